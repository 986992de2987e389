"""Per-version settings of the LTX-2 family, in one table that the backend and the tiny models read.

Sources (diffusers 0.42.1): `scripts/convert_ltx2_to_diffusers.py` (scheduler, vocoder, transformer flags per
version), `docs/source/en/api/pipelines/ltx2.md` (guidance per version, the two-stage and distilled recipes),
`diffusers.pipelines.ltx2.utils` (the distilled sigma schedules).

- LTX-2.0's transformer is built with `perturbed_attn=False`: spatio-temporal guidance (STG) on a block and
  the modality-isolation pass cost a transformer call each per step and change nothing it was trained for, so
  they are off; `use_cross_timestep=False` is the legacy 2.0 behaviour.
- LTX-2.3 and 2.5 (full model): CFG 3 (audio 7), STG 1 on block 28, modality 3, rescale 0.7, cross-timestep.
- Distilled checkpoints: the 8 distilled sigmas with every guidance term off (CFG 1, no STG, no modality pass),
  as the reference `DistilledPipeline` runs them; their scheduler has the shift off so the sigmas are used as given.
- Refinement after the latent upsampler: the 3 stage-2 sigmas, guidance off, the shift off (docs' stage 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# diffusers.pipelines.ltx2.utils; copied as plain numbers so reading the table needs no torch import.
DISTILLED_SIGMAS: tuple[float, ...] = (1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875)
STAGE_2_SIGMAS: tuple[float, ...] = (0.909375, 0.725, 0.421875)
TEMPORAL_ROUND_SIGMAS: tuple[float, ...] = DISTILLED_SIGMAS[4:]  # utils.TEMPORAL_ROUND_DISTILLED_SIGMA_VALUES

# FlowMatchEulerDiscreteScheduler as the converter writes it for the full (dev) checkpoints...
DEV_SCHEDULER: dict[str, Any] = {
    "use_dynamic_shifting": True, "base_shift": 0.95, "max_shift": 2.05, "base_image_seq_len": 1024,
    "max_image_seq_len": 4096, "shift_terminal": 0.1,
}
# ...and for distilled ones (LTX-2.5's repo ships this one): the given sigmas are used as they are.
UNSHIFTED_SCHEDULER: dict[str, Any] = {**DEV_SCHEDULER, "use_dynamic_shifting": False, "shift_terminal": None}


@dataclass(frozen=True)
class LTX2Version:
    """How one LTX-2 version (full or distilled) is run. Guidance values are the pipeline's keyword arguments."""

    version: str  # "2.0" | "2.3" | "2.5"
    distilled: bool
    scheduler: dict[str, Any]
    steps: int
    guidance: float
    sigmas: tuple[float, ...] | None = None  # a fixed schedule (distilled) instead of `steps`
    audio_guidance: float | None = None  # None: the same as the video guidance
    stg_scale: float = 0.0
    stg_blocks: tuple[int, ...] = ()
    modality_scale: float = 1.0
    guidance_rescale: float = 0.0
    use_cross_timestep: bool = False
    vocoder_rate: int = 24000
    pipeline: str = "LTX2Pipeline"
    transformer_flags: dict[str, Any] = field(default_factory=dict)  # what the converter sets per version
    has_duration_head: bool = False
    # x2 temporal refine rounds after the full-size pass of a two-stage fresh clip (LTX2DFRTemporalRefinePipeline;
    # the diffusers 1080p recipe runs one), when the model has a temporal upsampler; a spec's `temporal_rounds`
    # option overrides it.
    temporal_rounds: int = 0
    # Short sides above this are made in two stages (half size, latent upsample, refine); a spec's
    # `upscale_above` option overrides it. 720: 768x512 and 1280x720 in one pass, 1080p in two, as the docs do.
    two_stage_above: int = 720

    def call_args(self, guidance: float) -> dict[str, Any]:
        """Guidance keyword arguments for one pipeline call at the user's `guidance` (CFG) scale.

        The audio CFG follows the user's guidance when it is <= 1 (no CFG asked for: no unconditional pass);
        otherwise it is the version's recommended audio value (7 for 2.3/2.5) or the video value.
        """
        audio = guidance if guidance <= 1.0 or self.audio_guidance is None else self.audio_guidance
        args: dict[str, Any] = {
            "guidance_scale": guidance, "audio_guidance_scale": audio,
            "stg_scale": self.stg_scale, "audio_stg_scale": self.stg_scale,
            "modality_scale": self.modality_scale, "audio_modality_scale": self.modality_scale,
            "guidance_rescale": self.guidance_rescale, "audio_guidance_rescale": self.guidance_rescale,
            "use_cross_timestep": self.use_cross_timestep,
            "spatio_temporal_guidance_blocks": list(self.stg_blocks) if self.stg_scale > 0 else None,
        }
        return args

    def transformer_passes(self) -> int:
        """Transformer calls per denoising step with these settings (CFG batches its two halves in one call)."""
        return 1 + int(self.stg_scale > 0) + int(self.modality_scale > 1.0)

    def refine_args(self) -> dict[str, Any]:
        """Guidance for the short full-size refinement after the latent upsampler: all off (a distilled pass)."""
        return {**self.call_args(1.0), "stg_scale": 0.0, "audio_stg_scale": 0.0, "modality_scale": 1.0,
                "audio_modality_scale": 1.0, "spatio_temporal_guidance_blocks": None}


_V20_FLAGS = {"gated_attn": False, "cross_attn_mod": False, "audio_gated_attn": False, "audio_cross_attn_mod": False,
              "use_prompt_embeddings": True, "perturbed_attn": False}
_V23_FLAGS = {"gated_attn": True, "cross_attn_mod": True, "audio_gated_attn": True, "audio_cross_attn_mod": True,
              "use_prompt_embeddings": False, "perturbed_attn": True}
_V25_FLAGS = {**_V23_FLAGS, "ff_bias": False, "use_keyframes_abs_pos_embedding": True}

_FULL_23 = dict(steps=30, guidance=3.0, audio_guidance=7.0, stg_scale=1.0, stg_blocks=(28,), modality_scale=3.0,
                guidance_rescale=0.7, use_cross_timestep=True, vocoder_rate=48000)
_DISTILLED = dict(steps=len(DISTILLED_SIGMAS), guidance=1.0, sigmas=DISTILLED_SIGMAS, scheduler=UNSHIFTED_SCHEDULER)

VERSIONS: dict[tuple[str, bool], LTX2Version] = {
    ("2.0", False): LTX2Version("2.0", False, DEV_SCHEDULER, steps=40, guidance=4.0, transformer_flags=_V20_FLAGS),
    ("2.0", True): LTX2Version("2.0", True, transformer_flags=_V20_FLAGS, **_DISTILLED),
    ("2.3", False): LTX2Version("2.3", False, DEV_SCHEDULER, transformer_flags=_V23_FLAGS, **_FULL_23),
    ("2.3", True): LTX2Version("2.3", True, use_cross_timestep=True, vocoder_rate=48000,
                               transformer_flags=_V23_FLAGS, **_DISTILLED),
    # LTX-2.5's repo ships the distilled transformer and the unshifted scheduler; `transformer_full/` is not run.
    # Fresh clips run through LTX2DFRPipeline; the other modes through the LTX2 pipelines (same components).
    ("2.5", True): LTX2Version("2.5", True, use_cross_timestep=True, vocoder_rate=48000,
                               pipeline="LTX2DFRPipeline", transformer_flags=_V25_FLAGS, has_duration_head=True,
                               temporal_rounds=1,
                               **_DISTILLED),
}


def ltx2_version(options: dict[str, Any]) -> LTX2Version:
    """The settings for a model spec's options (`version`: "2.0" by default, `distilled`: False by default)."""
    version = str(options.get("version", "2.0"))
    distilled = bool(options.get("distilled", False)) or version == "2.5"
    try:
        return VERSIONS[(version, distilled)]
    except KeyError:
        known = ", ".join(f"{v}{' distilled' if d else ''}" for v, d in VERSIONS)
        from studio.errors import EngineError

        raise EngineError(f"LTX-2 version '{version}' is not known to this Kinora; known: {known}.") from None
