"""The visible "AI-generated" mark burned into exports: text and a small mark in a corner.

The mark is drawn once per output size as an RGBA patch, converted to BT.709 limited-range YUV,
and blended into each frame's planes, so export never converts whole frames to RGB for it.
(Blending commutes with the affine RGB->YUV map, so this equals blending in RGB.)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from studio.errors import MediaError
from studio.media.drawing import draw_text, text_box

CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")


@dataclass(frozen=True)
class WatermarkSettings:
    """What the mark says and where: text, corner, opacity (0..1), text height as a fraction of
    the frame height, margin as a fraction of the frame height, and whether the small mark shows."""

    text: str = "AI-generated"
    corner: str = "bottom-right"
    opacity: float = 0.75
    scale: float = 0.03
    margin: float = 0.03
    show_mark: bool = True

    def __post_init__(self) -> None:
        if self.corner not in CORNERS:
            raise MediaError(f"watermark corner must be one of {', '.join(CORNERS)}, not {self.corner!r}")
        if not 0.0 <= self.opacity <= 1.0:
            raise MediaError(f"watermark opacity must be between 0 and 1, not {self.opacity}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WatermarkSettings:
        return cls(**d)


class YuvWatermark:
    """A watermark ready to blend into yuv420p frames of one size."""

    def __init__(self, settings: WatermarkSettings, width: int, height: int) -> None:
        rgb, alpha = render_rgba(settings, height)
        ph, pw = alpha.shape
        margin = int(round(settings.margin * height))
        x = margin if settings.corner.endswith("left") else width - pw - margin
        y = margin if settings.corner.startswith("top") else height - ph - margin
        # Even origin and size so the chroma planes line up with the luma.
        x, y = max(0, x - x % 2), max(0, y - y % 2)
        pw, ph = min(pw, width - x), min(ph, height - y)
        pw, ph = pw - pw % 2, ph - ph % 2
        rgb, alpha = rgb[:ph, :pw], alpha[:ph, :pw]
        self.x, self.y, self.w, self.h = x, y, pw, ph
        y_plane, u_plane, v_plane = rgb_to_yuv709(rgb)
        self.alpha_y = alpha
        self.alpha_c = alpha.reshape(ph // 2, 2, pw // 2, 2).mean(axis=(1, 3))
        self.luma = y_plane
        # Chroma of the mark weighted by its alpha, so its soft edges keep the frame's colour.
        weight = np.maximum(self.alpha_c, 1e-6)
        self.u = (u_plane * alpha).reshape(ph // 2, 2, pw // 2, 2).mean(axis=(1, 3)) / weight
        self.v = (v_plane * alpha).reshape(ph // 2, 2, pw // 2, 2).mean(axis=(1, 3)) / weight

    def apply(self, y: np.ndarray, u: np.ndarray, v: np.ndarray) -> None:
        """Blend in place into the Y, U and V planes of one frame."""
        if self.w <= 0 or self.h <= 0:
            return
        _blend(y[self.y:self.y + self.h, self.x:self.x + self.w], self.luma, self.alpha_y)
        cy, cx, ch, cw = self.y // 2, self.x // 2, self.h // 2, self.w // 2
        _blend(u[cy:cy + ch, cx:cx + cw], self.u, self.alpha_c)
        _blend(v[cy:cy + ch, cx:cx + cw], self.v, self.alpha_c)


def render_rgba(settings: WatermarkSettings, frame_height: int) -> tuple[np.ndarray, np.ndarray]:
    """The mark as (RGB float32 0..255, alpha float32 0..1): white text and mark over a soft shadow."""
    text_h = max(8.0, settings.scale * frame_height)
    tw, th, _, _ = text_box(settings.text, text_h)
    pad = int(text_h * 0.4)
    mark_d = int(text_h * 1.4) if settings.show_mark else 0
    gap = int(text_h * 0.4) if settings.show_mark else 0
    width, height = pad * 2 + mark_d + gap + tw, pad * 2 + max(th, mark_d) + int(text_h * 0.3)
    white = np.zeros((height, width), np.uint8)
    baseline = pad + (max(th, mark_d) + th) // 2
    if settings.show_mark:
        _draw_mark(white, (pad + mark_d // 2, pad + max(th, mark_d) // 2), mark_d // 2)
    draw_text(white, settings.text, (pad + mark_d + gap, baseline), text_h, (255, 255, 255))
    blur = max(1, int(text_h * 0.15)) * 2 + 1
    shadow = cv2.GaussianBlur(cv2.dilate(white, np.ones((3, 3), np.uint8)), (blur, blur), 0)
    a_white = white.astype(np.float32) / 255
    a_shadow = shadow.astype(np.float32) / 255 * 0.6
    alpha = (a_white + a_shadow * (1 - a_white)) * settings.opacity
    # Colour: white where the text is, black in the shadow around it.
    value = np.where(alpha > 0, 255 * a_white * settings.opacity / np.maximum(alpha, 1e-6), 0)
    rgb = np.repeat(value[:, :, None], 3, axis=2).astype(np.float32)
    return rgb, alpha.astype(np.float32)


def rgb_to_yuv709(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RGB 0..255 to BT.709 limited-range Y, Cb, Cr (float32), what H.264 players expect."""
    r, g, b = (rgb[..., i].astype(np.float32) / 255 for i in range(3))
    luma = 0.2126 * r + 0.7152 * g + 0.0722 * b
    y = 16 + 219 * luma
    u = 128 + 224 * (b - luma) / 1.8556
    v = 128 + 224 * (r - luma) / 1.5748
    return y, u, v


def _draw_mark(mask: np.ndarray, center: tuple[int, int], radius: int) -> None:
    """A ring with a four-point spark inside: the Kinora "made by AI" mark."""
    cx, cy = center
    cv2.circle(mask, center, radius, 255, max(1, radius // 6), cv2.LINE_AA)
    r = int(radius * 0.62)
    w = max(1, int(radius * 0.18))
    spark = np.array([(cx, cy - r), (cx + w, cy - w), (cx + r, cy), (cx + w, cy + w),
                      (cx, cy + r), (cx - w, cy + w), (cx - r, cy), (cx - w, cy - w)], np.int32)
    cv2.fillPoly(mask, [spark], 255, cv2.LINE_AA)


def _blend(plane: np.ndarray, value: np.ndarray, alpha: np.ndarray) -> None:
    mixed = plane.astype(np.float32) * (1 - alpha) + value * alpha
    plane[:] = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
