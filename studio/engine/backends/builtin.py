"""Built-in generators (title card, color matte, bars and tone, countdown leader): no weights, same runner."""

from __future__ import annotations

import math

import numpy as np

from studio.cancel import CancelToken
from studio.engine import timing
from studio.engine.memory import MemoryPlan
from studio.engine.registry import ModelSpec, Registry
from studio.errors import EngineError
from studio.recipe import Recipe

from .base import Backend, GenerationResult, ProgressFn, SourceClip, mode, register_backend

_NAMED_COLORS: dict[str, tuple[int, int, int]] = {
    "black": (0, 0, 0), "white": (255, 255, 255), "red": (220, 30, 30), "green": (30, 180, 60),
    "blue": (30, 70, 220), "yellow": (240, 210, 40), "orange": (245, 140, 30), "purple": (130, 50, 180),
    "gray": (128, 128, 128), "grey": (128, 128, 128), "pink": (240, 130, 170), "cyan": (40, 200, 220),
}


def parse_color(text: str) -> tuple[int, int, int]:
    """A color name or #rrggbb from the prompt; EngineError listing the names otherwise."""
    word = text.strip().lower()
    if word.startswith("#") and len(word) == 7:
        try:
            return int(word[1:3], 16), int(word[3:5], 16), int(word[5:7], 16)
        except ValueError:
            pass
    if word in _NAMED_COLORS:
        return _NAMED_COLORS[word]
    raise EngineError(f"'{text}' is not a color. Write #rrggbb or one of: {', '.join(_NAMED_COLORS)}.")


@register_backend
class BuiltinBackend(Backend):
    """Wraps studio.media.generators; one 'step' per clip, so progress and cancel behave like a model's."""

    family = "builtin"

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.generator = spec.options["generator"]

    @classmethod
    def load(cls, spec: ModelSpec, plan: MemoryPlan, registry: Registry) -> BuiltinBackend:
        return cls(spec)

    def resume_support(self, request: Recipe) -> str | None:
        return "a built-in generator makes its clip in one step, so there is no step to continue from"

    @mode("text")
    def _text(self, request: Recipe, *, source: SourceClip | None, progress: ProgressFn,
              cancel: CancelToken) -> GenerationResult:
        from studio.media import generators

        cancel.raise_if_cancelled()
        progress("denoising", 0, 1, None)
        size = timing.valid_size(request.width, request.height, 2)
        if self.generator == "title":
            clip = generators.title_card(request.prompt, request.seconds, request.fps, size)
        elif self.generator == "matte":
            clip = generators.color_matte(parse_color(request.prompt), request.seconds, request.fps, size)
        elif self.generator == "bars":
            clip = generators.bars_and_tone(request.seconds, request.fps, size)
        else:
            # The leader counts whole seconds; the clip is then trimmed to the seconds asked for.
            clip = generators.countdown_leader(max(1, math.ceil(request.seconds)), request.fps, size)
        frames = timing.fit_frames(np.asarray(clip.frames), request.frame_count)
        frames = timing.resize_frames(frames, request.width, request.height)
        cancel.raise_if_cancelled()
        progress("denoising", 1, 1, lambda: frames[len(frames) // 2])
        audio = timing.fit_audio(clip.audio, clip.sample_rate, request.frame_count / request.fps)
        return GenerationResult(frames, audio, clip.sample_rate, float(request.fps))
