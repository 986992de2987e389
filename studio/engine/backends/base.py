"""What every backend receives and returns."""

from __future__ import annotations

import abc
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from studio.cancel import CancelToken
from studio.engine.registry import ModelSpec
from studio.engine.resume import Checkpoint
from studio.recipe import Recipe

if TYPE_CHECKING:
    from studio.engine.memory import MemoryPlan
    from studio.engine.registry import Registry

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
    """A loaded model. One instance is kept warm by the runner between jobs of the same model.

    A backend declares once what it is: `family` (the registry's `ModelSpec.family` it serves) and one
    method per mode, marked with `@mode("name")`. `generate` dispatches to them; adding a mode is one method
    and its decorator. Subclasses register themselves with `@register_backend`.
    """

    family: ClassVar[str] = ""
    modes: ClassVar[dict[str, str]] = {}  # mode -> method name, filled from the @mode marks
    remix_modes: ClassVar[frozenset[str]] = frozenset({"extend", "video", "retake"})  # modes that need a parent

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        # The running job's resume point and the point kept at a pause (set by `generate` for one call).
        self.checkpoint = Checkpoint()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found = dict(getattr(cls, "modes", {}))
        for name, value in vars(cls).items():
            declared = getattr(value, "_kinora_mode", None)
            if declared is not None:
                found[declared] = name
        cls.modes = found

    @classmethod
    def chooses_length(cls, spec: ModelSpec) -> bool:
        """Whether `auto_seconds` can pick a clip's length for `spec` (it has a duration predictor)."""
        return False

    @classmethod
    @abc.abstractmethod
    def load(cls, spec: ModelSpec, plan: MemoryPlan, registry: Registry) -> Backend:
        """Load the model behind `spec` (EngineError with the pull command when its weights are missing)."""

    def generate(self, request: Recipe, *, source: SourceClip | None, progress: ProgressFn,
                 cancel: CancelToken, checkpoint: Checkpoint | None = None) -> GenerationResult:
        """Make the clip with the method declared for `request.mode`. `request.seed` is set.

        Raises Cancelled (via the token) within one step of a cancel. `checkpoint`: where a paused run of this job
        stopped (continue from there), and where this run's pause is kept; only where `resume_support` allows.
        """
        from studio.errors import EngineError

        if not self.loaded:
            raise EngineError(f"Model '{self.spec.id}' was unloaded; submit the job again.")
        method = self.modes.get(request.mode)
        if method is None:
            raise EngineError(f"Model '{self.spec.id}' cannot do mode '{request.mode}'.")
        if request.mode in self.remix_modes and source is None:
            raise EngineError(f"Mode '{request.mode}' needs a parent clip, and none was given.")
        started = time.monotonic()
        # The mode methods read the job's checkpoint here; a warm backend must not carry it into the next job.
        resumable = checkpoint is not None and self.resume_support(request) is None
        self.checkpoint = checkpoint if checkpoint is not None and resumable else Checkpoint()
        try:
            with self.inference_context():
                if request.enhance_prompt and request.prompt.strip():  # before the length: the head reads the prompt
                    request = request.replace(prompt=self.enhance_prompt(request), enhance_prompt=False)
                if request.auto_seconds:
                    request = request.replace(seconds=self.auto_seconds(request), auto_seconds=False)
                result: GenerationResult = getattr(self, method)(request, source=source, progress=progress,
                                                                 cancel=cancel)
        finally:
            self.checkpoint = Checkpoint()
        result.timings.setdefault("generate_s", time.monotonic() - started)
        return result

    def resume_support(self, request: Recipe) -> str | None:
        """None when a pause of `request` during its denoising steps can be continued from the step it stopped at;
        otherwise why Resume restarts it (shown per job in the Queue dock and `kinora show`)."""
        return f"'{self.spec.id}' does not keep its steps at a pause (not built for this model)"

    def enhance_prompt(self, request: Recipe) -> str:
        """`request.prompt` rewritten by the model's prompt enhancer (the recipe's opt-in `enhance_prompt`).

        Only models that ship an enhancer override this.
        """
        from studio.errors import EngineError

        raise EngineError(f"Model '{self.spec.id}' has no prompt enhancer; generate without --enhance-prompt.")

    def auto_seconds(self, request: Recipe) -> float:
        """The length this model picks for `request` (at most `request.seconds`) when the recipe leaves it on auto.

        Only models with a duration predictor (LTX-2.5's duration head) override this.
        """
        from studio.errors import EngineError

        raise EngineError(f"Model '{self.spec.id}' cannot choose a clip's length itself; give the length in seconds "
                          f"(--seconds N), or pick a model with a duration head (ltx-2.5).")

    @property
    def loaded(self) -> bool:
        """False once `unload` dropped the weights."""
        return True

    def inference_context(self) -> contextlib.AbstractContextManager[Any]:
        """What every mode runs inside; model backends return torch.inference_mode() (no autograd bookkeeping)."""
        return contextlib.nullcontext()

    def unload(self) -> None:
        """Drop the weights (pause, model switch, after an out-of-memory error)."""


ModeMethod = Callable[..., GenerationResult]
_BACKENDS: dict[str, type[Backend]] = {}


def mode(name: str) -> Callable[[ModeMethod], ModeMethod]:
    """Mark a backend method as the one that makes mode `name` (signature: request, *, source, progress, cancel)."""

    def mark(method: ModeMethod) -> ModeMethod:
        method._kinora_mode = name  # type: ignore[attr-defined]
        return method

    return mark


def register_backend(cls: type[Backend]) -> type[Backend]:
    """Class decorator: make `cls` the backend of its `family`."""
    if not cls.family:
        raise TypeError(f"{cls.__name__} declares no family")
    _BACKENDS[cls.family] = cls
    return cls


def registered_backend(family: str) -> type[Backend] | None:
    """The backend class registered for a family, or None."""
    return _BACKENDS.get(family)


def source_audio(source: SourceClip, rate: int) -> np.ndarray:
    """The parent's sound at `rate` (through a filtering resampler), exactly as long as its frames; silence if none."""
    from studio.engine import timing

    if source.audio is None:
        return np.zeros((round(source.seconds * rate), 2), dtype=np.float32)
    return timing.fit_audio(timing.resample_audio(source.audio, source.sample_rate, rate), rate, source.seconds)


def read_image(path: str | None) -> np.ndarray:
    """An image file as (H, W, 3) uint8 RGB; EngineError naming the file when it cannot be read."""
    import cv2

    from studio.errors import EngineError

    if not path:
        raise EngineError("This mode needs an image file and none was given.")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise EngineError(f"Could not read the image '{path}'. Use a PNG or JPEG file.")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


# keep(pipe, index, tensors): called when a pause stops a pass after its step `index` (0-based), with the
# callback's tensors, to keep where it stopped (studio.engine.resume).
KeepFn = Callable[[Any, int, dict[str, Any]], None]


def step_callback(total: int, progress: ProgressFn, cancel: CancelToken,
                  preview: Callable[[Any], np.ndarray] | None, offset: int = 0,
                  keep: KeepFn | None = None) -> Callable[..., dict[str, Any]]:
    """A diffusers `callback_on_step_end` that reports each step and raises on cancel.

    `offset` steps were done by earlier passes of the same take (a two-stage take reports one run). A cancel stops
    before the step is reported. A pause with a `keep` stops after it, so the step the user last saw is the step
    kept (asked for during the report or during the step's work, it stops at this step), and `keep` gets it first.
    """

    def on_step_end(pipe: Any, index: int, _timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
        if keep is None or cancel.reason != "paused":
            cancel.raise_if_cancelled()
        latents = tensors.get("latents")
        thunk = (lambda: preview(latents)) if preview is not None and latents is not None else None
        step = offset + index + 1
        progress("denoising", step, total, thunk)
        if cancel.cancelled:
            if keep is not None and cancel.reason == "paused":
                keep(pipe, index, tensors)
            cancel.raise_if_cancelled()
        if step == total:
            progress("decoding", total, total, None)
        return {}

    return on_step_end


def torch_inference() -> contextlib.AbstractContextManager[Any]:
    """torch.inference_mode(): no autograd state for any tensor made inside."""
    import torch

    return torch.inference_mode()


def torch_generator(seed: int) -> Any:
    """A CPU generator: the same seed gives the same noise on any device."""
    import torch

    return torch.Generator(device="cpu").manual_seed(seed)


def frames_from_output(frames: Any) -> np.ndarray:
    """Pipeline np output (1, T, H, W, 3) floats in [0, 1] -> (T, H, W, 3) uint8."""
    from studio.engine.timing import to_uint8

    array = np.asarray(frames)
    return to_uint8(array[0] if array.ndim == 5 else array)
