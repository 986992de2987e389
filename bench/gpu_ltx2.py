"""LTX-2 on a GPU: seconds per transformer call and peak VRAM, per memory policy, with random weights.

The full-size LTX-2 (19B) audio-video transformer is built from its published configuration
(diffusers' LTX2VideoTransformer3DModel defaults, rope_type "split", as in
scripts/convert_ltx2_to_diffusers.py for LTX-2.0) with random bf16 weights: nothing is downloaded,
and speed and memory do not depend on the weight values. Two sizes: 768x512 with 121 frames (5 s)
and 768x512 for 20 s (481 frames), one transformer call each (batch 1). A sampling step with
classifier-free guidance costs two such calls, and LTX-2's extra guidance passes up to four.

Policies timed: none (all on the GPU), group_offload (leaf-level, CUDA streams) and sequential
(accelerate's cpu_offload). model_offload moves whole components, so for the transformer alone it is
the same as none once loaded; it is not timed separately.

Run on a machine with CUDA:  .venv/bin/python bench/gpu_ltx2.py [--policies none,group_offload]
Without CUDA it says so and exits 0. `--smoke` runs the same code on the CPU with a tiny config, to
check the script itself (figures from it mean nothing).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# LTX-2.0 transformer (19B): diffusers' defaults are this checkpoint's; "split" rope is set by its converter.
FULL_CONFIG: dict = {"rope_type": "split"}
TINY_CONFIG: dict = dict(
    in_channels=4, out_channels=4, num_attention_heads=2, attention_head_dim=8, cross_attention_dim=16,
    audio_in_channels=4, audio_out_channels=4, audio_num_attention_heads=2, audio_attention_head_dim=4,
    audio_cross_attention_dim=8, num_layers=2, caption_channels=32, rope_double_precision=False, rope_type="split",
)
SCENARIOS = (("768x512, 121 frames (5 s)", 768, 512, 121), ("768x512, 481 frames (20 s)", 768, 512, 481))
SMOKE_SCENARIOS = (("64x64, 9 frames", 64, 64, 9),)
POLICIES = ("none", "group_offload", "sequential")
TEXT_TOKENS = 1024  # the pipelines' max_sequence_length
FPS = 24.0
AUDIO_LATENTS_PER_S = 16000 / 160 / 4  # sample rate / mel hop / audio VAE temporal ratio


def build(config: dict, device, dtype):  # noqa: ANN001, ANN201
    """The transformer with random weights, allocated straight on `device` (no fp32 copy, no download)."""
    import torch
    from diffusers import LTX2VideoTransformer3DModel

    with torch.device("meta"):
        model = LTX2VideoTransformer3DModel(**config)
    model = model.to(dtype=dtype).to_empty(device=device)
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0.0, 0.02)
    return model.eval()


def place(model, policy: str, device):  # noqa: ANN001, ANN201
    if policy == "group_offload":
        model.enable_group_offload(onload_device=device, offload_device="cpu", offload_type="leaf_level",
                                   use_stream=device.type == "cuda")
    elif policy == "sequential":
        from accelerate import cpu_offload

        cpu_offload(model, execution_device=device)
    else:
        model.to(device)
    return model


def inputs(model, width: int, height: int, frames: int, device, dtype) -> dict:  # noqa: ANN001
    import torch

    cfg = model.config
    f, h, w = (frames - 1) // 8 + 1, height // 32, width // 32
    audio_frames = round(frames / FPS * AUDIO_LATENTS_PER_S)
    make = lambda *shape: torch.randn(*shape, device=device, dtype=dtype)  # noqa: E731
    return dict(
        hidden_states=make(1, f * h * w, cfg.in_channels),
        audio_hidden_states=make(1, audio_frames, cfg.audio_in_channels),
        encoder_hidden_states=make(1, TEXT_TOKENS, cfg.caption_channels),
        audio_encoder_hidden_states=make(1, TEXT_TOKENS, cfg.caption_channels),
        timestep=torch.full((1,), 500.0, device=device),
        encoder_attention_mask=torch.ones(1, TEXT_TOKENS, device=device, dtype=torch.long),
        audio_encoder_attention_mask=torch.ones(1, TEXT_TOKENS, device=device, dtype=torch.long),
        num_frames=f, height=h, width=w, fps=FPS, audio_num_frames=audio_frames, return_dict=False,
    )


def time_call(model, args: dict, device, repeats: int) -> float:  # noqa: ANN001
    import torch

    with torch.no_grad():
        model(**args)  # warm-up (kernels, offload hooks)
        if device.type == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        for _ in range(repeats):
            model(**args)
        if device.type == "cuda":
            torch.cuda.synchronize()
    return (time.perf_counter() - started) / repeats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policies", default=",".join(POLICIES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny config on the CPU: checks the script only")
    options = parser.parse_args()
    import torch
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.set_verbosity_error()  # the float32-modules notice on every .to() is noise here
    if options.smoke:
        device, dtype, config, scenarios = torch.device("cpu"), torch.float32, TINY_CONFIG, SMOKE_SCENARIOS
        print("SMOKE RUN: tiny transformer on the CPU; the figures below say nothing about LTX-2's speed.")
    elif not torch.cuda.is_available():
        print("No CUDA GPU here: this benchmark times the full-size LTX-2 transformer (about 38 GB of bf16 "
              "weights) and needs an NVIDIA GPU with 48 GB or more for policy 'none' (less with offload). "
              "Run it on such a machine; `--smoke` checks the script on the CPU.")
        return 0
    else:
        device, dtype, config, scenarios = torch.device("cuda"), torch.bfloat16, FULL_CONFIG, SCENARIOS
        print(f"GPU: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    for policy in options.policies.split(","):
        model = place(build(config, device if policy == "none" else torch.device("cpu"), dtype), policy, device)
        params = sum(p.numel() for p in model.parameters()) / 1e9
        for label, width, height, frames in scenarios:
            if device.type == "cuda":
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats()
            try:
                seconds = time_call(model, inputs(model, width, height, frames, device, dtype), device, options.repeats)
            except torch.OutOfMemoryError:
                print(f"{policy:<14} {label:<28} out of memory")
                continue
            peak = torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else float("nan")
            print(f"{policy:<14} {label:<28} {params:5.1f}B params  {seconds:7.2f} s/call  peak VRAM {peak:6.1f} GiB")
        del model
        gc.collect()
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
