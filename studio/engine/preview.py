"""A cheap look at a clip while it forms: one latent frame through a fixed linear map to RGB.

The projection is not calibrated to any VAE (LTX-2 publishes no latent-to-RGB factors): it is a
fixed, seeded map from the latent channels to three, normalised per image. It shows layout and
motion, not true color, and costs a few microseconds instead of a VAE decode.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

PREVIEW_MAX_SIDE = 256


@lru_cache(maxsize=8)
def _projection(channels: int) -> np.ndarray:
    rng = np.random.default_rng(1234)
    return (rng.standard_normal((channels, 3)) / np.sqrt(channels)).astype(np.float32)


def latent_frame_to_rgb(latent: np.ndarray) -> np.ndarray:
    """(H, W, C) latent -> (h, w, 3) uint8 image, upscaled by nearest neighbour to at most PREVIEW_MAX_SIDE."""
    rgb = latent.astype(np.float32) @ _projection(latent.shape[-1])
    lo, hi = np.percentile(rgb, 1), np.percentile(rgb, 99)
    if hi - lo > 1e-3:
        rgb = np.clip((rgb - lo) / (hi - lo), 0.0, 1.0)
    else:  # a flat frame (e.g. one latent pixel of a small clip): per-image stretching would make it black
        rgb = np.clip(0.5 + 0.25 * rgb, 0.0, 1.0)
    scale = max(1, PREVIEW_MAX_SIDE // max(rgb.shape[0], rgb.shape[1]))
    rgb = np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)
    return (rgb * 255.0 + 0.5).astype(np.uint8)


def packed_latents_preview(packed: object, frames: int, height: int, width: int) -> np.ndarray:
    """Preview from packed transformer latents (B, F*H*W [+ extra tokens], C): the middle latent frame."""
    import torch

    assert isinstance(packed, torch.Tensor)
    tokens = packed[0, : frames * height * width].detach().float().cpu().numpy()
    grid = tokens.reshape(frames, height, width, -1)
    return latent_frame_to_rgb(grid[frames // 2])


def unpacked_latents_preview(latents: object) -> np.ndarray:
    """Preview from (B, C, F, H, W) latents (Wan and other pipelines that keep latents unpacked)."""
    import torch

    assert isinstance(latents, torch.Tensor)
    frame = latents[0, :, latents.shape[2] // 2].detach().float().cpu().numpy()
    return latent_frame_to_rgb(np.moveaxis(frame, 0, -1))
