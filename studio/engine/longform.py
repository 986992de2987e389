"""Clips longer than a model can make in one go: segments chained with extend, one take at the end.

Each segment after the first is an extend of everything so far: the last frames condition the new
ones (the overlap), and the sound crossfades at the seam (done by the backend's extend).
"""

from __future__ import annotations

import math

from studio.cancel import CancelToken
from studio.errors import EngineError
from studio.recipe import MIN_SECONDS, Recipe

from . import timing
from .backends.base import Backend, GenerationResult, ProgressFn, SourceClip
from .resume import Checkpoint

FRESH_MODES = ("text", "image", "keyframes", "reference")


def segment_count(seconds: float, max_seconds: float) -> int:
    """How many segments a clip of `seconds` needs when one segment holds at most `max_seconds`."""
    return max(1, math.ceil(seconds / max_seconds - 1e-9))


def is_chained(backend: Backend, request: Recipe) -> bool:
    """Whether `generate_clip` makes this request from several segments (a pause then restarts it: not built)."""
    return (not request.auto_seconds and request.mode in FRESH_MODES
            and request.seconds > backend.spec.max_seconds + 1e-6)


def generate_clip(backend: Backend, request: Recipe, *, source: SourceClip | None, progress: ProgressFn,
                  cancel: CancelToken, checkpoint: Checkpoint | None = None) -> GenerationResult:
    """`backend.generate`, chaining extends when the request is longer than the model's longest clip.

    `checkpoint` (resume points) serves a clip made in one go; a chained clip restarts after a pause."""
    spec = backend.spec
    if request.auto_seconds:  # the model picks one clip's length: never more than it makes in one go
        return backend.generate(request.replace(seconds=min(request.seconds, spec.max_seconds)), source=source,
                                progress=progress, cancel=cancel, checkpoint=checkpoint)
    if not is_chained(backend, request):
        return backend.generate(request, source=source, progress=progress, cancel=cancel, checkpoint=checkpoint)
    if "extend" not in spec.modes:
        raise EngineError(f"'{spec.id}' makes at most {spec.max_seconds:g} s and cannot extend a clip; "
                          f"ask for {spec.max_seconds:g} s or less, or pick another model.")
    segments = segment_count(request.seconds, spec.max_seconds)

    def segment_progress(index: int) -> ProgressFn:
        def report(phase: str, step: int, total: int, preview: object) -> None:
            progress(phase, index * total + step, segments * total, preview)  # type: ignore[arg-type]
        return report

    clip = backend.generate(request.replace(seconds=spec.max_seconds), source=source,
                            progress=segment_progress(0), cancel=cancel)
    index = 1
    while clip.seconds < request.seconds - 0.5 / request.fps:
        remaining = request.seconds - clip.seconds
        seed = ((request.seed or 0) + index) % 2**63
        # source_path only satisfies the recipe's "a remix names its parent" rule: the parent is `clip`.
        part = request.replace(mode="extend", seconds=max(MIN_SECONDS, min(spec.max_seconds, remaining)), seed=seed,
                               source_path=f"<segment {index}>", image=None, keyframes=())
        parent = SourceClip(clip.frames, clip.audio, clip.sample_rate, clip.fps)
        clip = backend.generate(part, source=parent, progress=segment_progress(min(index, segments - 1)),
                                cancel=cancel)
        index += 1
    frames = timing.fit_frames(clip.frames, request.frame_count)
    audio = timing.fit_audio(clip.audio, clip.sample_rate, len(frames) / clip.fps) if clip.audio is not None else None
    return GenerationResult(frames, audio, clip.sample_rate, clip.fps, clip.timings)
