"""What the prompt panel offers: the models (with install state and memory need) and the style presets.

Both read files (the Hugging Face cache, the presets), so the window loads them off the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.errors import KinoraError

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

    @property
    def label(self) -> str:
        state = "installed" if self.installed else "not installed"
        vram = f" · needs {self.vram_gb:g} GB VRAM" if self.vram_gb else ""
        return f"{self.title} ({state}{vram})"

    @property
    def pull_command(self) -> str:
        return f"kinora models pull {self.id}"


def load_model_choices() -> list[ModelChoice]:
    """Every model that makes video, with its install state. Touches the disk: call off the GUI thread."""
    from studio.engine import registry

    return [ModelChoice(id=spec.id, title=spec.title, installed=registry.is_installed(spec),
                        vram_gb=spec.vram_gb or None, download_gb=spec.download_gb or None,
                        native_height=min(spec.native_width, spec.native_height), native_fps=spec.native_fps,
                        needs_weights=spec.needs_weights, default_steps=spec.default_steps,
                        default_guidance=spec.default_guidance)
            for spec in registry.all_models() if spec.modes]


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
