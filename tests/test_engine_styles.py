"""Style presets: every preset file entry is usable and a style changes both prompts."""

from __future__ import annotations

import pytest

from studio.engine.styles import all_styles, get_style, styled_prompts
from studio.errors import EngineError


def test_the_presets_the_studio_promises_exist():
    assert {"realistic", "cinematic", "anime", "3d", "claymation"} <= set(all_styles())
    assert all(style.prompt and style.title for style in all_styles().values())


def test_a_style_extends_the_prompt_and_the_negative_prompt():
    prompt, negative = styled_prompts("a cat on a roof", "blurry", "Claymation")
    assert prompt.startswith("a cat on a roof, ") and "stop-motion" in prompt
    assert negative.startswith("blurry, ") and get_style("claymation").negative in negative
    assert styled_prompts("a cat", "", None) == ("a cat", "")


def test_an_unknown_style_names_the_known_ones():
    with pytest.raises(EngineError, match="anime"):
        get_style("vaporwave")
