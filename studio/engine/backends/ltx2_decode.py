"""Latents to pictures and sound without holding the clip as floats.

A 20 s 1080p clip is 481 frames: 12 GB as float32 on the host, and the pipeline's own `output_type="np"`
path makes several such copies (decode output, post-processing, the uint8 conversion). Here the video
latents are decoded in overlapping temporal tiles (the same tiles and linear blend as diffusers'
`AutoencoderKLLTX2Video._temporal_tiled_decode`), each finished chunk becomes uint8 on the device, and only
that uint8 chunk reaches the host, resized to the exact requested size and written into the one output array.
Peak host memory is the uint8 clip plus one tile.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

# Pixel frames per decoded tile and between tile starts: 8 frames of overlap are blended, as diffusers does.
TILE_FRAMES = 32
TILE_STRIDE = 24


def _decode_tile(vae: Any, tile: Any) -> Any:
    import torch

    temb = None
    if vae.config.timestep_conditioning:  # decode at timestep 0 with no added noise (the pipeline's default)
        temb = torch.zeros(tile.shape[0], device=tile.device, dtype=tile.dtype)
    return vae.decode(tile, temb, return_dict=False)[0]


def _to_uint8(chunk: Any) -> np.ndarray:
    """(1, 3, F, H, W) in [-1, 1] on the device -> (F, H, W, 3) uint8 on the host."""
    import torch

    pixels = ((chunk[0].float() + 1.0) * 127.5).clamp_(0.0, 255.0).add_(0.5).to(torch.uint8)
    return pixels.permute(1, 2, 3, 0).contiguous().cpu().numpy()


def iter_decoded(vae: Any, latents: Any) -> Iterator[np.ndarray]:
    """Decode raw (denormalised) video latents (1, C, F, H, W) into uint8 chunks (f, H, W, 3), in order."""
    ratio = int(vae.config.temporal_compression_ratio)
    total = (latents.shape[2] - 1) * ratio + 1
    latents = latents.to(vae.dtype)
    tile_latent = TILE_FRAMES // ratio
    stride_latent = TILE_STRIDE // ratio
    blend = TILE_FRAMES - TILE_STRIDE
    if latents.shape[2] <= tile_latent + 1:
        yield _to_uint8(_decode_tile(vae, latents))
        return
    previous = None
    emitted = 0
    for start in range(0, latents.shape[2], stride_latent):
        decoded = _decode_tile(vae, latents[:, :, start:start + tile_latent + 1])
        if start > 0:
            decoded = decoded[:, :, :-1]
        if previous is not None:
            extent = min(previous.shape[2], decoded.shape[2], blend)
            for x in range(extent):
                weight = x / extent
                decoded[:, :, x] = previous[:, :, -extent + x] * (1 - weight) + decoded[:, :, x] * weight
            chunk = decoded[:, :, :TILE_STRIDE]
        else:
            chunk = decoded[:, :, :TILE_STRIDE + 1]
        chunk = chunk[:, :, : total - emitted]
        if chunk.shape[2]:
            emitted += chunk.shape[2]
            yield _to_uint8(chunk)
        previous = decoded
        if emitted >= total:
            return


def decode_video(vae: Any, latents: Any, count: int, width: int, height: int) -> np.ndarray:
    """Exactly `count` uint8 frames at width x height (trimmed, or the last frame held; resized chunk by chunk)."""
    from studio.engine import timing

    out = np.empty((count, height, width, 3), dtype=np.uint8)
    filled = 0
    for chunk in iter_decoded(vae, latents):
        take = min(len(chunk), count - filled)
        if take > 0:
            out[filled:filled + take] = timing.resize_frames(chunk[:take], width, height)
            filled += take
        del chunk
    if filled == 0:
        raise RuntimeError("the VAE decoded no frames")
    out[filled:] = out[filled - 1]
    return out


def decode_audio(pipe: Any, audio_latents: Any) -> tuple[np.ndarray, int]:
    """Raw audio latents (1, C, L, M) -> (n, 2) float32 waveform at the vocoder's output rate."""
    from studio.engine import timing

    mel = pipe.audio_vae.decode(audio_latents.to(pipe.audio_vae.dtype), return_dict=False)[0]
    waveform = pipe.vocoder(mel.to(pipe.vocoder.dtype))
    return timing.as_stereo(waveform[0].float().cpu().numpy().T), int(pipe.vocoder.config.output_sampling_rate)
