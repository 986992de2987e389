"""Style presets (resources/presets/styles.json): words added to the prompt and the negative prompt."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from studio.errors import EngineError


@dataclass(frozen=True)
class StylePreset:
    name: str
    title: str
    prompt: str
    negative: str


@lru_cache(maxsize=1)
def all_styles() -> dict[str, StylePreset]:
    """Every preset by name, read once from the package's resources."""
    text = resources.files("studio.resources").joinpath("presets/styles.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return {name: StylePreset(name=name, title=v["title"], prompt=v["prompt"], negative=v.get("negative", ""))
            for name, v in data["styles"].items()}


def get_style(name: str) -> StylePreset:
    styles = all_styles()
    key = name.strip().lower()
    if key not in styles:
        raise EngineError(f"Unknown style '{name}'. Choose one of: {', '.join(styles)}.")
    return styles[key]


def styled_prompts(prompt: str, negative: str, style: str | None) -> tuple[str, str]:
    """The prompt and negative prompt with the style's words appended (unchanged without a style)."""
    if not style:
        return prompt, negative
    preset = get_style(style)
    joined_negative = ", ".join(part for part in (negative, preset.negative) if part)
    return f"{prompt}, {preset.prompt}", joined_negative
