"""What the prompt panel offers: the models (with install state and memory need) and the style presets.

Both read files (the Hugging Face cache, the presets), so the window loads them off the GUI thread.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.errors import KinoraError

if TYPE_CHECKING:
    from studio.engine.memory import DeviceInfo

TINY_MODEL = "tiny-random"


@dataclass(frozen=True)
class ModelChoice:
    """What the model picker shows about one model (read from the engine registry off the GUI thread)."""

    id: str
    title: str
    installed: bool
    vram_gb: float | None
    download_gb: float | None
    native_height: int | None = None
    native_fps: float | None = None
    needs_weights: bool = False
    default_steps: int | None = None  # what the engine uses when the recipe names none
    default_guidance: float | None = None
    state: str = ""  # installed | incomplete | missing | built-in (engine.install.InstallState)
    plan: str | None = None  # the memory policy this card gives it
    chooses_length: bool = False  # it can pick a clip's length itself (LTX-2.5's duration head)

    @property
    def label(self) -> str:
        state = self.state or ("installed" if self.installed else "not installed")
        vram = f" · ~{self.vram_gb:.0f} GB VRAM here" if self.vram_gb else ""
        return f"{self.title} ({state}{vram})"

    @property
    def pull_command(self) -> str:
        return f"kinora models pull {self.id}"


def load_model_choices() -> list[ModelChoice]:
    """Every model that makes video, as the registry declares it, with its install state and the memory it
    needs on this card. Touches the disk and may run a child process: call off the GUI thread.

    Reading the card and counting a model's parameters import torch; in a process that has not loaded it (the
    studio's window) a child does that (engine.device_probe), since torch's initialisation holds the
    interpreter lock and froze the window. The child also leaves the footprints in their disk cache, so the
    estimates (`expectation_text`) then need no torch either."""
    from studio.engine.device_probe import device_from_dict, remember_device, run_in_child, torch_loaded

    if torch_loaded():
        from studio.engine.memory import detect_device

        return model_choices_on(detect_device())
    data = run_in_child(__name__, "print_model_choices")
    remember_device(device_from_dict(data["device"]))
    return [ModelChoice(**choice) for choice in data["choices"]]


def model_choices_on(device: DeviceInfo) -> list[ModelChoice]:
    """`load_model_choices` for a known device, read in this process (imports torch for uncached footprints)."""
    from studio.engine.backends import chooses_length
    from studio.engine.model_status import model_statuses

    return [ModelChoice(id=s.spec.id, title=s.spec.title, installed=s.usable, vram_gb=s.peak_vram_gb,
                        download_gb=s.download_gb or None,
                        native_height=min(s.spec.native_width, s.spec.native_height), native_fps=s.spec.native_fps,
                        needs_weights=s.spec.needs_weights, default_steps=s.spec.default_steps,
                        default_guidance=s.spec.default_guidance, state=s.state.value, plan=s.plan,
                        chooses_length=chooses_length(s.spec))
            for s in model_statuses(device) if s.spec.modes]


def print_model_choices() -> None:
    """The child's side of `load_model_choices`: the device and the choices as one line of JSON."""
    from studio.engine.memory import detect_device

    device = detect_device()
    print(json.dumps({"device": dataclasses.asdict(device),
                      "choices": [dataclasses.asdict(choice) for choice in model_choices_on(device)]}))


def expectation_text(model_id: str, width: int, height: int, seconds: float, fps: float) -> str:
    """What a job of this size will need here (plan, peak VRAM, RAM, time). Off the GUI thread: the device
    comes from engine.device_probe (a child process the first time), the footprints from the cache that
    `load_model_choices` filled, so torch is not imported here."""
    from studio.engine.device_probe import probe_device
    from studio.engine.memory import JobShape, expect
    from studio.engine.registry import get_model

    spec = get_model(model_id)
    job = JobShape(width, height, spec.valid_frame_count(max(1, round(seconds * fps))))
    return expect(spec, job, probe_device()).text()


def default_model(choices: list[ModelChoice]) -> ModelChoice | None:
    """The first installed model with real weights; tiny-random when no real weights are installed."""
    real = [c for c in choices if c.installed and c.needs_weights]
    if real:
        return real[0]
    return next((c for c in choices if c.id == TINY_MODEL), choices[0] if choices else None)


def load_styles() -> list[tuple[str, str]]:
    """(name, title) of each style preset from the engine's presets file; none when it cannot be read."""
    from studio.engine.styles import all_styles

    try:
        return [(style.name, style.title) for style in all_styles().values()]
    except (KinoraError, OSError, ValueError, KeyError):
        return []
