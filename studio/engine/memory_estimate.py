"""Predicting a memory policy's peak VRAM, host RAM and time for one model, from its real components.

Weights come from engine.footprint (the published configs built on the meta device). Activations and
speed are stated estimates, not measurements: the coefficients below say where each comes from, and
bench/gpu_check.py prints the prediction next to the measured peak so they can be calibrated on a GPU.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from .registry import ModelSpec, model_footprint

GIB = 1024**3
BF16 = 2.0
FP8 = 1.05  # float8 storage; norms, embeddings and biases stay bf16 (diffusers' default skip list): ~5% more
FP8_COMPONENTS = ("transformer", "text_encoder")
# CUDA context, cuBLAS workspaces and allocator fragmentation: what a card's total never gives to tensors.
CONTEXT_GIB = 0.8
USABLE_FRACTION = 0.95
# Live activation widths per token inside one transformer block at its peak (residual, norm, q/k/v, attention
# out, the 4x feed-forward, RoPE tables): a stated coefficient, to be checked with bench/gpu_check.py.
ACTIVATION_WIDTHS = 16
DECODE_GIB = 3.0  # tiled VAE decode/encode (16-frame 512x512 tiles at 128 channels, ~3 live maps)
ENCODE_GIB = 1.0  # text encoding: 1024 tokens, the hidden states of every layer kept for the connectors
HOST_OVERHEAD_GIB = 3.0  # Python, torch, diffusers and transformers in the engine process
AUDIO_LATENTS_PER_SECOND = 25.0  # 16 kHz mel, hop 160, 4x audio VAE compression (transformer config)


class Policy(StrEnum):
    """Where the weights live while generating. The ladder goes from fastest to most frugal; on an
    out-of-memory error (loading or generating) the runner steps to the next one."""

    NONE = "none"  # every component resident on the accelerator
    # Each component on the accelerator only while it runs (accelerate hooks): the text encoder leaves the
    # GPU once the prompt is encoded, before the transformer comes on.
    MODEL_OFFLOAD = "model_offload"
    # As model_offload, with the transformer's and text encoder's weights stored as float8_e4m3fn and cast
    # to bf16 layer by layer as they compute (diffusers enable_layerwise_casting): half their VRAM.
    FP8_MODEL_OFFLOAD = "fp8_model_offload"
    # Blocks stream in from pinned host RAM on a side CUDA stream while the previous block computes.
    GROUP_OFFLOAD = "group_offload"
    FP8_GROUP_OFFLOAD = "fp8_group_offload"
    SEQUENTIAL = "sequential"  # leaf by leaf: least VRAM, slowest

    @property
    def fp8(self) -> bool:
        return self.value.startswith("fp8_")


POLICIES: tuple[str, ...] = tuple(p.value for p in Policy)


@dataclass(frozen=True)
class JobShape:
    """The size of one generation: what activations scale with."""

    width: int
    height: int
    frames: int

    @classmethod
    def native(cls, spec: ModelSpec, seconds: float = 5.0) -> JobShape:
        frames = spec.valid_frame_count(round(seconds * (spec.native_fps or 24.0)))
        return cls(spec.native_width, spec.native_height, frames)


@dataclass(frozen=True)
class Estimate:
    """A policy's predicted needs for one job (GiB) and whether they fit a card / host."""

    policy: Policy
    peak_vram_gb: float
    host_ram_gb: float
    largest_piece_gb: float  # the biggest set of weights on the accelerator at once
    activations_gb: float
    seconds: float | None = None  # rough generation time; None without a speed figure for the card

    def fits(self, vram_gb: float, ram_gb: float = 0.0) -> bool:
        fits_card = self.peak_vram_gb <= usable_vram(vram_gb)
        return fits_card and (ram_gb <= 0 or self.host_ram_gb <= ram_gb)

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy.value, "peak_vram_gb": round(self.peak_vram_gb, 1),
                "host_ram_gb": round(self.host_ram_gb, 1), "largest_piece_gb": round(self.largest_piece_gb, 1),
                "activations_gb": round(self.activations_gb, 1),
                "seconds": None if self.seconds is None else round(self.seconds)}


def usable_vram(total_gb: float) -> float:
    return max(0.0, total_gb * USABLE_FRACTION - CONTEXT_GIB)


def _transformer_config(spec: ModelSpec) -> dict[str, Any]:
    fp = model_footprint(spec)
    if fp is None:
        return {}
    try:
        return json.loads((Path(fp.source) / "transformer" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _blocks(spec: ModelSpec, component: str) -> int:
    """How many repeated blocks a component has (group offload moves one at a time)."""
    fp = model_footprint(spec)
    if fp is None:
        return 1
    try:
        config = json.loads((Path(fp.source) / component / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 1
    text = config.get("text_config", config)
    return int(text.get("num_layers") or text.get("num_hidden_layers") or 1)


def guidance_passes(spec: ModelSpec) -> int:
    """Transformer passes per denoising step: the conditional one plus one per active guidance term."""
    if spec.options.get("distilled"):
        return 1
    call = spec.options.get("call", {})
    passes = 1 + (spec.default_guidance > 1.0)
    passes += call.get("stg_scale", 0.0) > 0.0
    passes += call.get("modality_scale", 1.0) != 1.0
    return passes


@dataclass(frozen=True)
class Stage:
    """One denoising pass of the recipe: its video tokens, batch and steps."""

    width: int
    height: int
    tokens: int
    batch: int
    steps: int


def stages(spec: ModelSpec, job: JobShape) -> list[Stage]:
    """The recipe's denoising passes: above the model's `upscale_above`, a half-size pass with guidance, the
    latent upsampler, then a short unguided refine at full size (issue 13's two-stage recipe); else one pass."""
    latent_frames = (job.frames - 1) // max(1, spec.frame_multiple) + 1
    batch = 1 if spec.options.get("distilled") else 2  # guided passes run cond and uncond as one batch

    def tokens(width: int, height: int) -> int:
        return latent_frames * (height // 32) * (width // 32)

    if min(job.width, job.height) > spec.options.get("upscale_above", float("inf")):
        half_w, half_h = job.width // 2, job.height // 2
        refine = spec.options.get("call", {}).get("refine_steps", 3)
        return [Stage(half_w, half_h, tokens(half_w, half_h), batch, spec.default_steps),
                Stage(job.width, job.height, tokens(job.width, job.height), 1, refine)]
    return [Stage(job.width, job.height, tokens(job.width, job.height), batch, spec.default_steps)]


def denoise_activations_gb(spec: ModelSpec, job: JobShape) -> float:
    config = _transformer_config(spec)
    if not config:
        return 0.0
    audio_tokens = job.frames / (spec.native_fps or 24.0) * AUDIO_LATENTS_PER_SECOND
    video_width = config["num_attention_heads"] * config["attention_head_dim"]
    audio_width = config.get("audio_num_attention_heads", 0) * config.get("audio_attention_head_dim", 0)
    return max(stage.batch * (stage.tokens * video_width + audio_tokens * audio_width) * ACTIVATION_WIDTHS * BF16
               for stage in stages(spec, job)) / GIB


def _weights_gb(spec: ModelSpec, policy: Policy) -> dict[str, float]:
    fp = model_footprint(spec)
    if fp is None:
        return {"pipeline": spec.vram_gb} if spec.vram_gb else {}
    return {name: count * (FP8 if policy.fp8 and name in FP8_COMPONENTS else BF16) / GIB
            for name, count in fp.params.items()}


def _phase_weights(spec: ModelSpec, policy: Policy, weights: dict[str, float]) -> dict[str, float]:
    """GiB of weights on the accelerator while each phase runs."""
    phases = {"encode": "text_encoder", "denoise": "transformer", "decode": "vae"}
    if policy is Policy.NONE:
        return {phase: sum(weights.values()) for phase in phases}
    if policy in (Policy.MODEL_OFFLOAD, Policy.FP8_MODEL_OFFLOAD):
        return {phase: weights.get(name, max(weights.values(), default=0.0)) for phase, name in phases.items()}
    if policy in (Policy.GROUP_OFFLOAD, Policy.FP8_GROUP_OFFLOAD):
        # One block resident and the next prefetching; the parts outside the repeated blocks (embeddings,
        # projections: about a tenth of a text encoder) move as one group.
        return {phase: min(weights.get(name, 0.0), max(2 * weights.get(name, 0.0) / _blocks(spec, name),
                                                       0.1 * weights.get(name, 0.0)))
                for phase, name in phases.items()}
    return {phase: 0.1 * weights.get(name, 0.0) for phase, name in phases.items()}  # sequential: the largest leaf


def estimate(spec: ModelSpec, policy: Policy, job: JobShape | None, *, tflops: float | None = None) -> Estimate:
    """The predicted peak VRAM and host RAM of running `job` (native size, 5 s when None) under `policy`."""
    job = job or JobShape.native(spec)
    weights = _weights_gb(spec, policy)
    on_card = _phase_weights(spec, policy, weights)
    denoise = denoise_activations_gb(spec, job)
    peaks = {"encode": on_card["encode"] + ENCODE_GIB, "denoise": on_card["denoise"] + denoise,
             "decode": on_card["decode"] + DECODE_GIB} if weights else {"all": 0.0}
    footprint = model_footprint(spec)
    bf16_total = sum(count * BF16 / GIB for count in footprint.params.values()) if footprint else 0.0
    # The loader reads every component into host RAM before placing it, so the bf16 total is the host's
    # peak for every policy; offloaded policies then keep their copies there.
    host = (bf16_total or spec.download_gb) + HOST_OVERHEAD_GIB if spec.needs_weights else HOST_OVERHEAD_GIB
    seconds = estimate_seconds(spec, policy, job, weights, tflops) if tflops else None
    return Estimate(policy, max(peaks.values()), host, max(on_card.values(), default=0.0), denoise, seconds)


# Dense bf16 tensor throughput (TFLOPS) from the vendors' spec sheets, by a substring of the device name.
CARD_TFLOPS: tuple[tuple[str, float], ...] = (
    ("H200", 989.0), ("H100", 989.0), ("A100", 312.0), ("L40", 181.0), ("A6000", 155.0), ("5090", 209.0),
    ("4090", 165.0), ("4080", 97.0), ("3090", 71.0), ("4070", 58.0), ("4060", 30.0),
)
MFU = 0.4  # fraction of peak a large DiT reaches with SDPA/flash attention: a stated assumption
PCIE_GBPS = 20.0  # pinned host-to-device copies (PCIe 4 x16 in practice)


def card_tflops(device_name: str) -> float | None:
    """The card's bf16 throughput from its name, or None when it is not in the table."""
    upper = device_name.upper()
    return next((tf for key, tf in CARD_TFLOPS if key in upper), None)


def estimate_seconds(spec: ModelSpec, policy: Policy, job: JobShape, weights: dict[str, float],
                     tflops: float) -> float | None:
    """Rough seconds for the denoising loop: transformer FLOPs over the card's throughput, or the weight
    copies when an offload policy makes those the bottleneck. Encoding, decoding and loading not counted."""
    fp = model_footprint(spec)
    config = _transformer_config(spec)
    if fp is None or not config or "transformer" not in fp.params:
        return None
    width = config["num_attention_heads"] * config["attention_head_dim"]
    transfer = weights.get("transformer", 0.0) * GIB / 1e9 / PCIE_GBPS
    total = 0.0
    for stage in stages(spec, job):
        flops = 2 * fp.params["transformer"] * stage.tokens + 4 * config["num_layers"] * stage.tokens**2 * width
        per_pass = flops / (tflops * 1e12 * MFU)
        if policy in (Policy.GROUP_OFFLOAD, Policy.FP8_GROUP_OFFLOAD):
            per_pass = max(per_pass, transfer)  # the prefetch stream overlaps copies with compute
        elif policy is Policy.SEQUENTIAL:
            per_pass += 4 * transfer  # leaf by leaf, synchronously
        if policy.fp8:
            per_pass *= 1.1  # casting each layer up to bf16 as it runs
        # Each guidance term costs one more transformer pass' FLOPs, batched with the conditional one or not.
        passes = guidance_passes(spec) if stage.batch > 1 else 1
        total += stage.steps * passes * per_pass
    return total


def plan_rows(spec: ModelSpec, job: JobShape | None = None, *, tflops: float | None = None) -> list[Estimate]:
    """Every policy's estimate for one job, fastest first."""
    return [estimate(spec, policy, job, tflops=tflops) for policy in Policy]


def pick_policy(spec: ModelSpec, vram_gb: float, ram_gb: float = 0.0, job: JobShape | None = None) -> Policy:
    """The fastest policy whose predicted peak fits a card of `vram_gb` total (and `ram_gb` of host RAM, if
    known); the most frugal one when none does (the runner's retry and the message then say so)."""
    if model_footprint(spec) is None and not spec.vram_gb:
        return Policy.NONE  # built-ins and the tiny model: nothing worth offloading
    for row in plan_rows(spec, job):
        if row.fits(vram_gb, ram_gb):
            return row.policy
    return Policy.SEQUENTIAL
