"""Speed settings for a loaded diffusers pipeline: the attention kernel for the card, opt-in torch.compile.

- Attention: diffusers' attention dispatcher (`set_attention_backend`) picks the kernel. On CUDA, FlashAttention 3
  on Hopper (sm 9.x) when `flash_attn_interface` is installed, else FlashAttention 2 when `flash_attn` is;
  otherwise PyTorch's SDPA (diffusers' "native"), which chooses its own fused kernel. Nothing is changed on
  the CPU or MPS, where only SDPA is supported.
- torch.compile is opt-in (KINORA_COMPILE=1): the first take then pays minutes of compilation. The
  transformer's repeated blocks are compiled (regional compilation), as the diffusers docs recommend.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from typing import Any

from studio.engine.memory import MemoryPlan

COMPILE_ENV = "KINORA_COMPILE"
log = logging.getLogger(__name__)


def attention_backend(device: str, capability: tuple[int, int] | None) -> str | None:
    """The diffusers attention backend to use on this device, or None to keep the default (SDPA)."""
    if device != "cuda" or capability is None:
        return None
    if capability[0] == 9 and importlib.util.find_spec("flash_attn_interface") is not None:
        return "_flash_3"
    if capability[0] >= 8 and importlib.util.find_spec("flash_attn") is not None:
        return "flash"
    return None


def compile_requested() -> bool:
    return os.environ.get(COMPILE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def accelerate(pipe: Any, plan: MemoryPlan) -> None:
    """Apply the attention backend and (when asked for) regional torch.compile to `pipe`'s transformer."""
    transformer = getattr(pipe, "transformer", None)
    if transformer is None:
        return
    capability = None
    if plan.device == "cuda":
        import torch

        capability = torch.cuda.get_device_capability()
    backend = attention_backend(plan.device, capability)
    if backend is not None and hasattr(transformer, "set_attention_backend"):
        try:
            transformer.set_attention_backend(backend)
        except (ValueError, RuntimeError, ImportError) as exc:  # an unusable kernel must not stop generating
            log.warning("attention backend %s unavailable (%s); keeping SDPA", backend, exc)
    if compile_requested():
        if hasattr(transformer, "compile_repeated_blocks"):
            transformer.compile_repeated_blocks(fullgraph=False)
        else:
            transformer.compile()
