"""What every backend receives and returns."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from studio.cancel import CancelToken
from studio.engine.registry import ModelSpec
from studio.recipe import Recipe

# progress(phase, step, total, preview): preview is a thunk, so the cheap latent preview is only
# computed when the runner wants one (every few steps).
ProgressFn = Callable[[str, int, int, "Callable[[], np.ndarray] | None"], None]


@dataclass
class InMemoryClip:
    """Frames and sound held in memory: uint8 RGB frames and float32 stereo audio (or None)."""

    frames: np.ndarray  # (T, H, W, 3) uint8
    audio: np.ndarray | None  # (n, 2) float32
    sample_rate: int
    fps: float

    @property
    def seconds(self) -> float:
        return len(self.frames) / self.fps


@dataclass
class SourceClip(InMemoryClip):
    """A parent clip to remix."""


@dataclass
class GenerationResult(InMemoryClip):
    """Frames and sound of exactly the length the take will have."""

    timings: dict[str, float] = field(default_factory=dict)


class Backend(abc.ABC):
    """A loaded model. One instance is kept warm by the runner between jobs of the same model."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    @abc.abstractmethod
    def generate(self, request: Recipe, *, source: SourceClip | None, progress: ProgressFn,
                 cancel: CancelToken) -> GenerationResult:
        """Make the clip. `request.seed` is set. Raise Cancelled (via the token) within one step of a cancel."""

    def unload(self) -> None:
        """Drop the weights (pause, model switch, after an out-of-memory error)."""


def step_callback(total: int, progress: ProgressFn, cancel: CancelToken,
                  preview: Callable[[Any], np.ndarray] | None) -> Callable[..., dict[str, Any]]:
    """A diffusers `callback_on_step_end` that reports each step and raises on cancel."""

    def on_step_end(_pipe: Any, index: int, _timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
        cancel.raise_if_cancelled()
        latents = tensors.get("latents")
        thunk = (lambda: preview(latents)) if preview is not None and latents is not None else None
        progress("denoising", index + 1, total, thunk)
        if index + 1 == total:
            progress("decoding", total, total, None)
        return {}

    return on_step_end


def torch_generator(seed: int) -> Any:
    """A CPU generator: the same seed gives the same noise on any device."""
    import torch

    return torch.Generator(device="cpu").manual_seed(seed)


def frames_from_output(frames: Any) -> np.ndarray:
    """Pipeline np output (1, T, H, W, 3) floats in [0, 1] -> (T, H, W, 3) uint8."""
    from studio.engine.timing import to_uint8

    array = np.asarray(frames)
    return to_uint8(array[0] if array.ndim == 5 else array)
