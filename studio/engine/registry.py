"""The models Kinora knows: what each can do, what it needs, and whether its weights are on disk.

Weights live in the Hugging Face cache (what `kinora models pull` fills) or in a models folder the
user names with KINORA_MODELS (one sub-folder per model, named after its id or its repo with '/'
replaced by '--', in diffusers' `save_pretrained` layout). Checking never touches the network.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.errors import EngineError

if TYPE_CHECKING:
    from .footprint import Footprint
    from .install import InstallReport

MODELS_ENV = "KINORA_MODELS"


@dataclass(frozen=True)
class ModelSpec:
    """One generator, declared once: the runner, planner, CLI and Prompt panel all read this.

    Memory: models with `config_repo` get their parameter counts from the published configs shipped
    in `studio/engine/model_configs/<config_repo>/` (built on the meta device, see engine.footprint);
    `vram_gb` / `download_gb` are stated estimates only for models without shipped configs.
    """

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
    vram_gb: float = 0.0  # stated estimate, only for models without config_repo
    download_gb: float = 0.0  # stated estimate, only for models without config_repo
    hf_repo: str | None = None
    default_steps: int = 30
    default_guidance: float = 3.0
    soundtrack_model: str | None = None  # for video-only families
    size_multiple: int = 32
    frame_multiple: int = 1  # valid frame counts are k * frame_multiple + 1 (LTX's VAE: 8k + 1)
    config_repo: str | None = None  # folder under studio/engine/model_configs with the repo's published configs
    pull_ignore: tuple[str, ...] = ()  # repo folders `kinora models pull` skips (not used by Kinora's recipes)
    options: dict[str, Any] = field(default_factory=dict)  # family-specific knobs (e.g. builtin generator name)

    @property
    def needs_weights(self) -> bool:
        return self.hf_repo is not None

    def valid_frame_count(self, frames: int) -> int:
        """The nearest frame count at or above `frames` that the model accepts (k * frame_multiple + 1)."""
        if self.frame_multiple <= 1:
            return max(1, frames)
        k = max(0, -(-(frames - 1) // self.frame_multiple))
        return k * self.frame_multiple + 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "family": self.family, "title": self.title, "pipeline_classes": list(self.pipeline_classes),
            "modes": list(self.modes), "native_size": [self.native_width, self.native_height],
            "native_fps": self.native_fps, "max_seconds": self.max_seconds, "has_audio": self.has_audio,
            "vram_gb": self.vram_gb, "download_gb": self.download_gb, "hf_repo": self.hf_repo,
            "soundtrack_model": self.soundtrack_model, "size_multiple": self.size_multiple,
            "frame_multiple": self.frame_multiple, "default_steps": self.default_steps,
            "default_guidance": self.default_guidance, "options": dict(self.options),
        }


_LTX2_CLASSES = ("LTX2Pipeline", "LTX2ConditionPipeline", "LTX2ImageToVideoPipeline", "LTX2LatentUpsamplePipeline")
_LTX2_MODES = ("text", "image", "extend", "video", "retake", "keyframes")
# LTX-2.x VAEs compress 32x in space and 8x in time: sizes are multiples of 32, frame counts 8k + 1
# (AutoencoderKLLTX2Video spatial/temporal_compression_ratio in every shipped vae/config.json).
_LTX2_SHAPE: dict[str, Any] = {"family": "ltx2", "modes": _LTX2_MODES, "size_multiple": 32, "frame_multiple": 8,
                               "native_fps": 24.0, "max_seconds": 20.0, "has_audio": True}
# diffusers docs (api/pipelines/ltx2.md, "Multimodal Guidance"): the recommended LTX-2.3 call.
_LTX23_GUIDANCE = {"stg_scale": 1.0, "modality_scale": 3.0, "audio_guidance_scale": 7.0, "audio_stg_scale": 1.0,
                   "audio_modality_scale": 3.0, "spatio_temporal_guidance_blocks": [28], "use_cross_timestep": True}
# LTX-2.0's transformer ignores STG / modality / cross-timestep (issue 13 item 6): plain CFG only.
_LTX20_GUIDANCE = {"stg_scale": 0.0, "modality_scale": 1.0, "audio_stg_scale": 0.0, "audio_modality_scale": 1.0,
                   "use_cross_timestep": False}
# Distilled checkpoints run unguided on DISTILLED_SIGMA_VALUES (8 sigmas), then a 3-sigma refine
# (STAGE_2_DISTILLED_SIGMA_VALUES) after the latent upsample: diffusers docs "Distilled checkpoint generation".
_DISTILLED_GUIDANCE = {"stg_scale": 0.0, "modality_scale": 1.0, "audio_guidance_scale": 1.0, "audio_stg_scale": 0.0,
                       "audio_modality_scale": 1.0, "refine_steps": 3}

LTX_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        id="ltx-2.5", title="LTX-2.5 (flagship: video + synchronized audio, 1080p recipe)",
        pipeline_classes=("LTX2DFRPipeline", "LTX2DFRTemporalRefinePipeline", *_LTX2_CLASSES),
        # LTX2DFRPipeline's own default size (pipeline_ltx2_dfr.py __call__: 1216x704).
        native_width=1216, native_height=704, hf_repo="Lightricks/LTX-2.5-Diffusers", config_repo="LTX-2.5-Diffusers",
        # The repo's transformer/ is the distilled DiT (diffusers docs "LTX-2.5"): 8 distilled sigmas, CFG 1.
        default_steps=8, default_guidance=1.0,
        # transformer_full/ (the SFT DiT, another ~22B) and diffusion_decoder/ are not used by Kinora's recipes.
        pull_ignore=("transformer_full/*", "diffusion_decoder/*"),
        options={"version": "2.5", "distilled": True, "upscale_above": 720, "call": _DISTILLED_GUIDANCE},
        **_LTX2_SHAPE,
    ),
    ModelSpec(
        id="ltx-2.3", title="LTX-2.3 (video + synchronized audio)", pipeline_classes=_LTX2_CLASSES,
        hf_repo="diffusers/LTX-2.3-Diffusers", config_repo="LTX-2.3-Diffusers",
        default_steps=30, default_guidance=3.0,  # diffusers docs: recommended LTX-2.3 parameters
        options={"version": "2.3", "distilled": False, "upscale_above": 720, "call": _LTX23_GUIDANCE},
        **_LTX2_SHAPE,
    ),
    ModelSpec(
        id="ltx-2.3-distilled", title="LTX-2.3 distilled (fast: 8 steps + short refine)", pipeline_classes=_LTX2_CLASSES,
        hf_repo="diffusers/LTX-2.3-Distilled-Diffusers", config_repo="LTX-2.3-Distilled-Diffusers",
        default_steps=8, default_guidance=1.0,
        options={"version": "2.3", "distilled": True, "upscale_above": 720, "call": _DISTILLED_GUIDANCE},
        **_LTX2_SHAPE,
    ),
    ModelSpec(
        # Keep this id: it is LTX-2.0 and existing takes name it.
        id="ltx-2", title="LTX-2.0 (video + synchronized audio)", pipeline_classes=_LTX2_CLASSES,
        hf_repo="Lightricks/LTX-2", config_repo="LTX-2",
        # LTX-2.0 reference pipelines' defaults (40 steps, CFG 4); diffusers' examples use 30 / 3.0.
        default_steps=40, default_guidance=4.0,
        options={"version": "2.0", "distilled": False, "upscale_above": 720, "call": _LTX20_GUIDANCE},
        **_LTX2_SHAPE,
    ),
    ModelSpec(
        # The LTX-2.0 distilled checkpoint in diffusers' layout that diffusers' own docs load
        # ("Distilled checkpoint generation"); a community conversion, not a Lightricks repo.
        id="ltx-2-distilled", title="LTX-2.0 distilled (fast: 8 steps + short refine)", pipeline_classes=_LTX2_CLASSES,
        hf_repo="rootonchair/LTX-2-19b-distilled", config_repo="LTX-2-19b-distilled",
        default_steps=8, default_guidance=1.0,
        options={"version": "2.0", "distilled": True, "upscale_above": 720, "call": _DISTILLED_GUIDANCE},
        **_LTX2_SHAPE,
    ),
)

BUILTIN_MODELS: tuple[ModelSpec, ...] = (
    *LTX_MODELS,
    ModelSpec(
        id="wan-2.2-ti2v-5b", family="wan", title="Wan 2.2 TI2V-5B (video) + Stable Audio soundtrack",
        pipeline_classes=("WanPipeline", "WanImageToVideoPipeline"), modes=("text", "image", "extend"),
        native_width=1280, native_height=704, native_fps=24.0, max_seconds=5.0, has_audio=False,
        vram_gb=24.0, download_gb=34.0, hf_repo="Wan-AI/Wan2.2-TI2V-5B-Diffusers", default_steps=50,
        default_guidance=5.0, soundtrack_model="stable-audio-open-1.0", frame_multiple=4,
    ),
    ModelSpec(
        # Subject references (a cameo's stills) through WanVACEPipeline's `reference_images`; no shipped
        # configs here, so memory and download are stated estimates.
        id="wan-2.1-vace-1.3b", family="wan", title="Wan 2.1 VACE 1.3B (video, subject references) + Stable Audio",
        pipeline_classes=("WanVACEPipeline",), modes=("text", "reference"),
        native_width=832, native_height=480, native_fps=16.0, max_seconds=5.0, has_audio=False,
        vram_gb=12.0, download_gb=25.0, hf_repo="Wan-AI/Wan2.1-VACE-1.3B-diffusers", default_steps=50,
        default_guidance=5.0, soundtrack_model="stable-audio-open-1.0", frame_multiple=4,
    ),
    ModelSpec(
        id="stable-audio-open-1.0", family="audio", title="Stable Audio Open 1.0 (soundtracks for video-only models)",
        pipeline_classes=("StableAudioPipeline",), modes=(), native_fps=0.0, max_seconds=47.0, has_audio=True,
        vram_gb=6.0, download_gb=4.9, hf_repo="stabilityai/stable-audio-open-1.0", default_steps=100,
        default_guidance=7.0,
    ),
    ModelSpec(
        id="tiny-random", family="ltx2", title="Tiny random LTX-2.3 (makes noise; for tests and machines without weights)",
        pipeline_classes=_LTX2_CLASSES, modes=_LTX2_MODES,
        native_width=32, native_height=32, native_fps=24.0, max_seconds=20.0, has_audio=True, vram_gb=0.0,
        download_gb=0.0, default_steps=4, default_guidance=1.0, size_multiple=32, frame_multiple=8,
        # A tiny LTX-2.3 (faithful configs at tiny width); upscale_above is small so tests reach two stages cheaply.
        options={"version": "2.3", "distilled": False, "tiny": True, "upscale_above": 48},
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
    """The model's snapshot folder in the Hugging Face cache when it has a model_index.json (complete or not)."""
    if spec.hf_repo is None:
        return None
    from huggingface_hub import try_to_load_from_cache

    index = try_to_load_from_cache(spec.hf_repo, "model_index.json")
    return Path(index).parent if isinstance(index, str) else None


def install_report(spec: ModelSpec) -> InstallReport:
    """Installed / incomplete / missing, from local files only: the user's folder first, then the HF cache."""
    from .install import InstallReport, InstallState, check_folder

    if not spec.needs_weights:
        return InstallReport(InstallState.BUILT_IN)
    reports = [check_folder(folder) for folder in (local_folder(spec), cached_snapshot(spec)) if folder is not None]
    for report in reports:
        if report.state is InstallState.INSTALLED:
            return report
    return next((r for r in reports if r.state is InstallState.INCOMPLETE), InstallReport(InstallState.MISSING))


def weights_location(spec: ModelSpec) -> Path | None:
    """Where the complete weights are: the user's folder first, then the Hugging Face cache."""
    from .install import InstallState

    report = install_report(spec)
    return report.location if report.state is InstallState.INSTALLED else None


def is_installed(spec: ModelSpec) -> bool:
    """True when the model can run without a download (always for built-ins and tiny-random)."""
    return not spec.needs_weights or weights_location(spec) is not None


def model_footprint(spec: ModelSpec) -> Footprint | None:
    """Parameter counts per component from the model's configs: the installed copy's when it is on disk (so a
    pulled model is counted from what was pulled), else the published ones shipped with Kinora. Cached."""
    if spec.config_repo is None:
        return None
    from studio.paths import config_dir

    from .footprint import footprint_of
    from .model_configs import config_folder

    location = weights_location(spec) if spec.needs_weights else None
    folder = location if location is not None and (location / "model_index.json").is_file() else None
    return footprint_of(folder or config_folder(spec.config_repo), cache_dir=config_dir())


def download_gb(spec: ModelSpec) -> float:
    """The weights' size in GB (10^9 bytes) as stored (bf16), from the configs; the stated figure otherwise."""
    fp = model_footprint(spec)
    return round(fp.total_params * 2 / 1e9, 1) if fp is not None else spec.download_gb


def require_installed(spec: ModelSpec) -> Path | None:
    """The weights folder, or EngineError at once naming the model, its size and the pull command."""
    from .install import InstallState

    if not spec.needs_weights:
        return None
    report = install_report(spec)
    if report.state is InstallState.INCOMPLETE:
        raise EngineError(f"Model '{spec.id}' in {report.location} is {report.message(spec.id)}.")
    location = report.location if report.state is InstallState.INSTALLED else None
    if location is None:
        raise EngineError(
            f"Model '{spec.id}' is not installed: its weights (about {download_gb(spec):g} GB from "
            f"huggingface.co/{spec.hf_repo}) are not in the Hugging Face cache"
            f"{' or ' + str(models_dir()) if models_dir() else ''}. "
            f"Download them with `kinora models pull {spec.id}`, or set {MODELS_ENV} to a folder that holds them."
        )
    return location
