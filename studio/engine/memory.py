"""Memory plan: which device, which dtype, how much of the model stays on the GPU, and applying it.

The plan is chosen from the model's real components (engine.footprint) and the card's total memory
(engine.memory_estimate predicts each policy's peak); local video apps die of host RAM as often as of
VRAM, so both are checked. The policies go from fastest to most frugal; on an out-of-memory error,
while loading or generating, the runner steps to the next.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass
from typing import Any

from studio.errors import EngineError

from .memory_estimate import FP8_COMPONENTS, POLICIES, Estimate, JobShape, Policy, card_tflops, estimate, pick_policy
from .registry import ModelSpec

POLICY_ENV = "KINORA_MEMORY_POLICY"
GIB = 1024**3


@dataclass(frozen=True)
class DeviceInfo:
    kind: str  # "cuda" | "mps" | "cpu"
    name: str
    free_vram_gb: float  # 0 for the CPU; shown to the user, never used to plan (a warm model occupies it)
    total_vram_gb: float
    free_host_gb: float
    bf16: bool
    total_host_gb: float = 0.0  # 0: unknown (plans then assume the host can hold the weights)


@dataclass(frozen=True)
class MemoryPlan:
    device: str
    dtype_name: str  # "float32" | "bfloat16" | "float16"
    policy: str  # a Policy value
    vae_tiling: bool

    @property
    def fp8(self) -> bool:
        return Policy(self.policy).fp8

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "dtype": self.dtype_name, "policy": self.policy, "vae_tiling": self.vae_tiling}


def free_host_gb() -> float:
    """Host RAM available to a new allocation, in GiB."""
    try:
        import psutil

        return psutil.virtual_memory().available / GIB
    except ImportError:  # psutil is a dependency of accelerate, but stay useful without it
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024 / GIB
    return 0.0


def total_host_gb() -> float:
    """The host's installed RAM in GiB (plans use it: it does not change with what else is running)."""
    try:
        import psutil

        return psutil.virtual_memory().total / GIB
    except ImportError:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024 / GIB
    return 0.0


def detect_device() -> DeviceInfo:
    """The best accelerator present and its free memory (CUDA, then Apple MPS, then the CPU)."""
    import torch

    host, host_total = free_host_gb(), total_host_gb()
    if torch.cuda.is_available():
        free, total = torch.cuda.mem_get_info()
        return DeviceInfo("cuda", torch.cuda.get_device_name(), free / GIB, total / GIB, host,
                          torch.cuda.is_bf16_supported(), host_total)
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        # MPS shares host memory; what it can use is what the host has.
        return DeviceInfo("mps", "Apple GPU", host, host_total, host, True, host_total)
    return DeviceInfo("cpu", "CPU", 0.0, 0.0, host, False, host_total)


def choose_plan(spec: ModelSpec, device: DeviceInfo, *, override: str | None = None,
                job: JobShape | None = None) -> MemoryPlan:
    """The fastest plan whose predicted peak fits the card's TOTAL memory (and the host's total RAM).

    Never reads free memory: a warm model occupies the card, and planning from what it leaves made identical
    jobs alternate between plans, reloading the whole model each time. `override` (or KINORA_MEMORY_POLICY) wins.
    """
    override = override or os.environ.get(POLICY_ENV) or None
    if override is not None and override not in POLICIES:
        raise EngineError(f"Unknown memory policy '{override}'. Choose one of: {', '.join(POLICIES)}.")
    if device.kind == "cpu":
        return MemoryPlan("cpu", "float32", Policy.NONE.value, vae_tiling=False)
    dtype = "bfloat16" if device.bf16 else "float16"
    if override:
        return MemoryPlan(device.kind, dtype, override, vae_tiling=True)
    if device.kind == "mps":  # unified memory: offload hooks only add copies
        return MemoryPlan(device.kind, dtype, Policy.NONE.value, vae_tiling=True)
    policy = pick_policy(spec, device.total_vram_gb, device.total_host_gb, job)
    # Tiled VAE decode costs little and bounds the decode's memory, so every GPU plan tiles; a plan that only
    # differed in tiling would reload the warm model for nothing.
    return MemoryPlan(device.kind, dtype, policy.value, vae_tiling=True)


@dataclass(frozen=True)
class Expectation:
    """What a job will need on this machine, said before it starts (CLI `generate`, the Prompt panel)."""

    model_id: str
    device: DeviceInfo
    plan: MemoryPlan
    estimate: Estimate

    def text(self) -> str:
        if self.device.kind == "cpu":
            return (f"No GPU found: {self.model_id} runs on the CPU in float32 "
                    f"(about {self.estimate.host_ram_gb:.0f} GB of RAM; slow for anything but tiny models).")
        when = (f", about {_minutes(self.estimate.seconds)} of denoising on {self.device.name}"
                if self.estimate.seconds else "")
        return (f"Expect about {self.estimate.peak_vram_gb:.0f} GB of GPU memory at peak (memory policy "
                f"{self.plan.policy} on this {self.device.total_vram_gb:.0f} GB card) and "
                f"{self.estimate.host_ram_gb:.0f} GB of RAM{when} (estimates).")

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model_id, "device": self.device.name, "plan": self.plan.to_dict(),
                **self.estimate.to_dict()}


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def expect(spec: ModelSpec, job: JobShape, device: DeviceInfo | None = None, *,
           override: str | None = None) -> Expectation:
    """The plan this job gets here and its predicted peak VRAM, RAM and time."""
    device = device or detect_device()
    plan = choose_plan(spec, device, override=override, job=job)
    policy = Policy(plan.policy)
    tflops = card_tflops(device.name) if device.kind == "cuda" else None
    return Expectation(spec.id, device, plan, estimate(spec, policy, job, tflops=tflops))


def next_plan(plan: MemoryPlan) -> MemoryPlan | None:
    """The next more frugal plan, or None when the plan is already the most frugal."""
    index = POLICIES.index(plan.policy)
    if plan.device == "cpu" or index + 1 >= len(POLICIES):
        return None
    return MemoryPlan(plan.device, plan.dtype_name, POLICIES[index + 1], vae_tiling=True)


def check_host_ram(spec: ModelSpec, plan: MemoryPlan) -> None:
    """EngineError before loading when the host cannot hold what the plan keeps in RAM (free RAM, now)."""
    if not spec.needs_weights or plan.device == "cpu":
        return
    need = estimate(spec, Policy(plan.policy), None).host_ram_gb
    have = free_host_gb()
    if need > have:
        raise EngineError(
            f"Not enough free memory to load '{spec.id}' with memory policy {plan.policy}: it needs about "
            f"{need:.0f} GB of RAM and {have:.0f} GB is free. Close other applications, or choose a smaller model "
            f"(`kinora models plan {spec.id} --vram N --ram N` shows what each card and RAM size needs)."
        )


def apply_plan(pipe: Any, plan: MemoryPlan) -> None:
    """Place a diffusers pipeline according to the plan (fp8 storage, offload hooks or a plain .to(device))."""
    policy = Policy(plan.policy)
    if policy.fp8:
        _cast_to_fp8(pipe, plan)
    if policy is Policy.NONE:
        pipe.to(plan.device)
    elif policy in (Policy.MODEL_OFFLOAD, Policy.FP8_MODEL_OFFLOAD):
        pipe.enable_model_cpu_offload(device=plan.device)
    elif policy in (Policy.GROUP_OFFLOAD, Policy.FP8_GROUP_OFFLOAD):
        # Block-level groups with a prefetch stream: the next block copies in while this one computes.
        pipe.enable_group_offload(onload_device=plan.device, offload_device="cpu", offload_type="block_level",
                                  num_blocks_per_group=1, use_stream=plan.device == "cuda")
    else:
        pipe.enable_sequential_cpu_offload(device=plan.device)
    vae = getattr(pipe, "vae", None)
    if plan.vae_tiling and vae is not None and hasattr(vae, "enable_tiling"):
        vae.enable_tiling()


def _cast_to_fp8(pipe: Any, plan: MemoryPlan) -> None:
    """Store the two big components' weights in float8_e4m3fn, computing in the plan's dtype."""
    import torch
    from diffusers.hooks import apply_layerwise_casting

    for name in FP8_COMPONENTS:
        module = getattr(pipe, name, None)
        if module is None:
            continue
        if hasattr(module, "enable_layerwise_casting"):
            module.enable_layerwise_casting(storage_dtype=torch.float8_e4m3fn, compute_dtype=torch_dtype(plan))
        else:  # transformers models: the same hooks, diffusers' default skip list (norms, embeddings)
            apply_layerwise_casting(module, storage_dtype=torch.float8_e4m3fn, compute_dtype=torch_dtype(plan))


def torch_dtype(plan: MemoryPlan) -> Any:
    import torch

    return getattr(torch, plan.dtype_name)


def _accelerator_present() -> bool:
    import torch

    if torch.cuda.is_available():
        return True
    return getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()


def release_memory(*, unloading: bool = False) -> None:
    """Free what a job left behind and hand cached accelerator memory back; `unloading` after a model was dropped.

    A full garbage collection walks every tracked object while holding the GIL: ~250 ms with torch,
    diffusers, transformers and Qt loaded, a visible freeze of the GUI thread. The engine's worker
    freezes the imported modules out of the collector first (warm.warm_imports), which leaves a full
    pass walking only the model and what is new (~15 ms for a full-size LTX-2 transformer).
    Between jobs on the CPU the young generations are enough: nothing waits for that memory and
    automatic passes find older cycles. With a GPU, or after unloading, a full pass runs, so tensors
    held only by reference cycles (offload hooks make some) give their memory back.
    """
    accelerator = _accelerator_present()
    if unloading or accelerator:
        gc.collect()
    else:
        gc.collect(1)
    if not accelerator:
        return
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.ipc_collect()
    else:
        torch.mps.empty_cache()


def is_out_of_memory(exc: BaseException) -> bool:
    """True for torch's OOM error (CUDA or MPS) however it is raised."""
    import torch

    if isinstance(exc, torch.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


__all__ = ["POLICIES", "DeviceInfo", "Expectation", "JobShape", "MemoryPlan", "Policy", "apply_plan", "check_host_ram", "choose_plan",
           "detect_device", "expect", "is_out_of_memory", "next_plan", "release_memory"]

OOM_TIP = ("Try fewer seconds or a smaller size, close other programs using the GPU, "
           f"or set {POLICY_ENV}=sequential (slowest, least memory); `kinora models plan MODEL --vram N` "
           "shows what each memory policy needs.")
