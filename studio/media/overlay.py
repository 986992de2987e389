"""Text over a clip's picture (a title, a caption): one drawing, blended into the Preview's RGB frames and
into export's yuv420p frames alike, sized to the frame it lands on."""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from studio.media.drawing import draw_text_centered
from studio.media.watermark import rgb_to_yuv709

TEXT_HEIGHT = 0.07  # of the frame's height
_CENTRES = {"top": 0.12, "center": 0.5, "bottom": 0.86}


@lru_cache(maxsize=16)
def text_overlay(text: str, position: str, width: int, height: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    """(x, y, RGB float32, alpha float32) of white text over a soft shadow, cropped to where it is drawn
    (x, y and the size even, so the chroma planes line up)."""
    mask = np.zeros((height, width), np.uint8)
    centre = (width // 2, int(height * _CENTRES.get(position, _CENTRES["bottom"])))
    draw_text_centered(mask, text, centre, max(8.0, TEXT_HEIGHT * height), (255,), max_width=int(width * 0.9))
    blur = max(1, int(TEXT_HEIGHT * height * 0.15)) * 2 + 1
    shadow = cv2.GaussianBlur(cv2.dilate(mask, np.ones((3, 3), np.uint8)), (blur, blur), 0)
    white = mask.astype(np.float32) / 255
    alpha = white + shadow.astype(np.float32) / 255 * 0.6 * (1 - white)
    rows, cols = np.nonzero(alpha > 0)
    if not len(rows):
        return 0, 0, np.zeros((0, 0, 3), np.float32), np.zeros((0, 0), np.float32)
    y0, x0 = rows.min() // 2 * 2, cols.min() // 2 * 2
    y1, x1 = min(height, (rows.max() // 2 + 1) * 2), min(width, (cols.max() // 2 + 1) * 2)
    value = np.where(alpha > 0, 255 * white / np.maximum(alpha, 1e-6), 0)[y0:y1, x0:x1]
    return x0, y0, np.repeat(value[:, :, None], 3, axis=2).astype(np.float32), alpha[y0:y1, x0:x1]


def blend_text_rgb(frame: np.ndarray, text: str, position: str) -> np.ndarray:
    """A copy of the RGB frame with the text drawn over it."""
    h, w = frame.shape[:2]
    x, y, rgb, alpha = text_overlay(text, position, w, h)
    out = frame.copy()
    region = out[y:y + alpha.shape[0], x:x + alpha.shape[1]].astype(np.float32)
    out[y:y + alpha.shape[0], x:x + alpha.shape[1]] = np.clip(
        region * (1 - alpha[..., None]) + rgb * alpha[..., None] + 0.5, 0, 255).astype(np.uint8)
    return out


def blend_text_yuv(y: np.ndarray, u: np.ndarray, v: np.ndarray, text: str, position: str,
                   opacity: float = 1.0) -> None:
    """Draw the text over yuv420p planes in place (`opacity`: its picture's, while it dissolves in)."""
    height, width = y.shape
    x0, y0, rgb, alpha = text_overlay(text, position, width, height)
    alpha = alpha * opacity
    h, w = alpha.shape
    if not h or not w:
        return
    luma, cb, cr = rgb_to_yuv709(rgb)
    alpha_c = alpha.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    for plane, value, a, (py, px) in ((y, luma, alpha, (y0, x0)),
                                      (u, cb.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)), alpha_c, (y0 // 2, x0 // 2)),
                                      (v, cr.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)), alpha_c, (y0 // 2, x0 // 2))):
        region = plane[py:py + a.shape[0], px:px + a.shape[1]]
        region[:] = np.clip(region.astype(np.float32) * (1 - a) + value * a + 0.5, 0, 255).astype(np.uint8)
