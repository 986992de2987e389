"""The models Kinora knows: what each can do, what it needs, and whether its weights are on disk.

Weights live in the Hugging Face cache (what `kinora models pull` fills) or in a models folder the
user names with KINORA_MODELS (one sub-folder per model, named after its id or its repo with '/'
replaced by '--', in diffusers' `save_pretrained` layout). Checking never touches the network.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.errors import EngineError

MODELS_ENV = "KINORA_MODELS"


@dataclass(frozen=True)
class ModelSpec:
    """One generator. Sizes and memory figures are estimates for planning, not guarantees."""

    id: str
    family: str  # "ltx2" | "wan" | "audio" | "builtin": picks the backend
    title: str
    pipeline_classes: tuple[str, ...] = ()
    modes: tuple[str, ...] = ("text",)
    native_width: int = 768
    native_height: int = 512
    native_fps: float = 24.0
    max_seconds: float = 20.0  # longer clips are chained segment by segment
    has_audio: bool = True  # False: a soundtrack model adds the sound
    vram_gb: float = 0.0  # for the whole pipeline resident in bf16 at native size
    download_gb: float = 0.0
    hf_repo: str | None = None
    default_steps: int = 30
    default_guidance: float = 3.0
    soundtrack_model: str | None = None  # for video-only families
    size_multiple: int = 32
    options: dict[str, Any] = field(default_factory=dict)  # family-specific knobs (e.g. builtin generator name)

    @property
    def needs_weights(self) -> bool:
        return self.hf_repo is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "family": self.family, "title": self.title, "pipeline_classes": list(self.pipeline_classes),
            "modes": list(self.modes), "native_size": [self.native_width, self.native_height],
            "native_fps": self.native_fps, "max_seconds": self.max_seconds, "has_audio": self.has_audio,
            "vram_gb": self.vram_gb, "download_gb": self.download_gb, "hf_repo": self.hf_repo,
            "soundtrack_model": self.soundtrack_model,
        }


_LTX2_CLASSES = ("LTX2Pipeline", "LTX2ConditionPipeline", "LTX2ImageToVideoPipeline", "LTX2LatentUpsamplePipeline")

BUILTIN_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        id="ltx-2", family="ltx2", title="LTX-2 (video + synchronized audio)", pipeline_classes=_LTX2_CLASSES,
        modes=("text", "image", "extend", "video", "retake", "keyframes"), native_width=768, native_height=512,
        native_fps=24.0, max_seconds=20.0, has_audio=True, vram_gb=40.0, download_gb=80.0,
        hf_repo="Lightricks/LTX-2", default_steps=40, default_guidance=4.0,
        options={"upscale_above": 720},  # 1080p: generate at 540p and double with the latent upsampler
    ),
    ModelSpec(
        id="wan-2.2-ti2v-5b", family="wan", title="Wan 2.2 TI2V-5B (video) + Stable Audio soundtrack",
        pipeline_classes=("WanPipeline", "WanImageToVideoPipeline"), modes=("text", "image", "extend"),
        native_width=1280, native_height=704, native_fps=24.0, max_seconds=5.0, has_audio=False,
        vram_gb=24.0, download_gb=34.0, hf_repo="Wan-AI/Wan2.2-TI2V-5B-Diffusers", default_steps=50,
        default_guidance=5.0, soundtrack_model="stable-audio-open-1.0",
    ),
    ModelSpec(
        id="stable-audio-open-1.0", family="audio", title="Stable Audio Open 1.0 (soundtracks for video-only models)",
        pipeline_classes=("StableAudioPipeline",), modes=(), native_fps=0.0, max_seconds=47.0, has_audio=True,
        vram_gb=6.0, download_gb=4.9, hf_repo="stabilityai/stable-audio-open-1.0", default_steps=100,
        default_guidance=7.0,
    ),
    ModelSpec(
        id="tiny-random", family="ltx2", title="Tiny random LTX-2 (makes noise; for tests and machines without weights)",
        pipeline_classes=_LTX2_CLASSES, modes=("text", "image", "extend", "video", "retake", "keyframes"),
        native_width=32, native_height=32, native_fps=24.0, max_seconds=20.0, has_audio=True, vram_gb=0.0,
        download_gb=0.0, default_steps=4, default_guidance=1.0, size_multiple=2,
        # A tiny LTX-2.3 (faithful configs at tiny width); upscale_above is small so tests reach two stages cheaply.
        options={"tiny": True, "version": "2.3", "upscale_above": 48},
    ),
    *(
        ModelSpec(id=f"builtin:{name}", family="builtin", title=title, modes=("text",), native_width=1280,
                  native_height=720, native_fps=24.0, max_seconds=20.0, has_audio=True, default_steps=1,
                  size_multiple=2, options={"generator": name})
        for name, title in (
            ("title", "Title card (text from the prompt)"),
            ("matte", "Color matte (color name or #hex in the prompt)"),
            ("bars", "Bars and tone"),
            ("countdown", "Countdown leader with sync pops"),
        )
    ),
)


class Registry:
    """A set of model specs by id. The default one holds BUILTIN_MODELS; tests make their own."""

    def __init__(self, specs: tuple[ModelSpec, ...] | list[ModelSpec] = BUILTIN_MODELS) -> None:
        self._specs = {spec.id: spec for spec in specs}

    def all_models(self) -> list[ModelSpec]:
        return list(self._specs.values())

    def get_model(self, model_id: str) -> ModelSpec:
        try:
            return self._specs[model_id]
        except KeyError:
            known = ", ".join(self._specs)
            raise EngineError(f"Unknown model '{model_id}'. Known models: {known} (see `kinora models list`).") from None


DEFAULT_REGISTRY = Registry()


def all_models() -> list[ModelSpec]:
    """Every model Kinora knows, installed or not."""
    return DEFAULT_REGISTRY.all_models()


def get_model(model_id: str) -> ModelSpec:
    """The spec for an id; EngineError naming the known ids when there is none."""
    return DEFAULT_REGISTRY.get_model(model_id)


def models_dir() -> Path | None:
    """The user's models folder (KINORA_MODELS), or None."""
    value = os.environ.get(MODELS_ENV)
    return Path(value).expanduser() if value else None


def local_folder(spec: ModelSpec) -> Path | None:
    """The model's folder inside the user's models folder, when it has a model_index.json."""
    base = models_dir()
    if base is None or spec.hf_repo is None:
        return None
    for name in (spec.id, spec.hf_repo.replace("/", "--"), spec.hf_repo.split("/")[-1]):
        folder = base / name
        if (folder / "model_index.json").is_file():
            return folder
    return None


def cached_snapshot(spec: ModelSpec) -> Path | None:
    """The model's snapshot folder in the Hugging Face cache when every component has its files (offline check)."""
    if spec.hf_repo is None:
        return None
    from huggingface_hub import try_to_load_from_cache

    index = try_to_load_from_cache(spec.hf_repo, "model_index.json")
    if not isinstance(index, str):
        return None
    snapshot = Path(index).parent
    return snapshot if _components_present(snapshot) else None


def _components_present(folder: Path) -> bool:
    """Every component folder named in model_index.json holds a config and (for models) safetensors."""
    try:
        index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    for name, value in index.items():
        if name.startswith("_") or not isinstance(value, list) or value[0] is None:
            continue
        sub = folder / name
        if not sub.is_dir() or not any(sub.iterdir()):
            return False
    return True


def weights_location(spec: ModelSpec) -> Path | None:
    """Where the weights are: the user's folder first, then the Hugging Face cache."""
    return local_folder(spec) or cached_snapshot(spec)


def is_installed(spec: ModelSpec) -> bool:
    """True when the model can run without a download (always for built-ins and tiny-random)."""
    if not spec.needs_weights:
        return True
    return weights_location(spec) is not None


def require_installed(spec: ModelSpec) -> Path | None:
    """The weights folder, or EngineError at once naming the model, its size and the pull command."""
    if not spec.needs_weights:
        return None
    location = weights_location(spec)
    if location is None:
        raise EngineError(
            f"Model '{spec.id}' is not installed: its weights (about {spec.download_gb:g} GB from "
            f"huggingface.co/{spec.hf_repo}) are not in the Hugging Face cache"
            f"{' or ' + str(models_dir()) if models_dir() else ''}. "
            f"Download them with `kinora models pull {spec.id}`, or set {MODELS_ENV} to a folder that holds them."
        )
    return location
