"""Memory policy: which device, which dtype, how much of the model stays on the GPU.

Local video apps die of host RAM as often as of VRAM, so both are checked before loading. The
policies go from fastest to most frugal; on an out-of-memory error the runner steps to the next.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass
from typing import Any

from studio.errors import EngineError

from .registry import ModelSpec

# Fastest first. Each frees more VRAM than the one before, at the cost of speed.
POLICIES: tuple[str, ...] = ("none", "model_offload", "group_offload", "sequential")
POLICY_ENV = "KINORA_MEMORY_POLICY"
GIB = 1024**3


@dataclass(frozen=True)
class DeviceInfo:
    kind: str  # "cuda" | "mps" | "cpu"
    name: str
    free_vram_gb: float  # 0 for the CPU
    total_vram_gb: float
    free_host_gb: float
    bf16: bool


@dataclass(frozen=True)
class MemoryPlan:
    device: str
    dtype_name: str  # "float32" | "bfloat16" | "float16"
    policy: str
    vae_tiling: bool

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


def detect_device() -> DeviceInfo:
    """The best accelerator present and its free memory (CUDA, then Apple MPS, then the CPU)."""
    import torch

    host = free_host_gb()
    if torch.cuda.is_available():
        free, total = torch.cuda.mem_get_info()
        return DeviceInfo("cuda", torch.cuda.get_device_name(), free / GIB, total / GIB, host,
                          torch.cuda.is_bf16_supported())
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        # MPS shares host memory; what it can use is what the host has free.
        return DeviceInfo("mps", "Apple GPU", host, host, host, True)
    return DeviceInfo("cpu", "CPU", 0.0, 0.0, host, False)


def choose_plan(spec: ModelSpec, device: DeviceInfo, *, override: str | None = None, pixels_per_clip: int = 0) -> MemoryPlan:
    """Pick dtype, offload policy and VAE tiling for a model on a device. `override` (or KINORA_MEMORY_POLICY) wins."""
    override = override or os.environ.get(POLICY_ENV) or None
    if override is not None and override not in POLICIES:
        raise EngineError(f"Unknown memory policy '{override}'. Choose one of: {', '.join(POLICIES)}.")
    if device.kind == "cpu":
        return MemoryPlan("cpu", "float32", "none", vae_tiling=pixels_per_clip > 512 * 512 * 121)
    dtype = "bfloat16" if device.bf16 else "float16"
    need = spec.vram_gb
    if override:
        policy = override
    elif device.kind == "mps" or need <= device.free_vram_gb * 0.9:
        policy = "none"  # offload hooks do not help on unified memory
    elif need * 0.5 <= device.free_vram_gb:
        policy = "model_offload"
    elif device.free_vram_gb >= 6:
        policy = "group_offload"
    else:
        policy = "sequential"
    big_clip = pixels_per_clip > 768 * 512 * 121
    return MemoryPlan(device.kind, dtype, policy, vae_tiling=policy != "none" or big_clip)


def next_plan(plan: MemoryPlan) -> MemoryPlan | None:
    """The next more frugal plan, or None when the plan is already the most frugal."""
    index = POLICIES.index(plan.policy)
    if plan.device == "cpu" or index + 1 >= len(POLICIES):
        return None
    return MemoryPlan(plan.device, plan.dtype_name, POLICIES[index + 1], vae_tiling=True)


def check_host_ram(spec: ModelSpec, plan: MemoryPlan) -> None:
    """EngineError before loading when the host cannot hold the weights (offloaded weights live in host RAM)."""
    if not spec.needs_weights:
        return
    # bf16 weights take about as much RAM as their download; fp32 twice that.
    need = spec.download_gb * (2.0 if plan.dtype_name == "float32" else 1.0)
    if plan.policy == "none" and plan.device == "cuda":
        need *= 0.3  # loaded straight to the GPU; host RAM only holds a shard at a time
    have = free_host_gb()
    if need > have:
        raise EngineError(
            f"Not enough free memory to load '{spec.id}': it needs about {need:.0f} GB of RAM and {have:.0f} GB "
            f"is free. Close other applications, or choose a smaller model."
        )


def apply_plan(pipe: Any, plan: MemoryPlan) -> None:
    """Place a diffusers pipeline according to the plan (offload hooks or a plain .to(device))."""
    if plan.policy == "none":
        pipe.to(plan.device)
    elif plan.policy == "model_offload":
        pipe.enable_model_cpu_offload(device=plan.device)
    elif plan.policy == "group_offload":
        pipe.enable_group_offload(onload_device=plan.device, offload_device="cpu", offload_type="leaf_level",
                                  use_stream=plan.device == "cuda")
    else:
        pipe.enable_sequential_cpu_offload(device=plan.device)
    vae = getattr(pipe, "vae", None)
    if plan.vae_tiling and vae is not None and hasattr(vae, "enable_tiling"):
        vae.enable_tiling()


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


OOM_TIP = ("Try fewer seconds or a smaller size, close other programs using the GPU, "
           f"or set {POLICY_ENV}=sequential (slowest, least memory).")
