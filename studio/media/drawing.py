"""Text and shapes drawn into RGB arrays with OpenCV's built-in vector fonts (no font files needed)."""

from __future__ import annotations

import cv2
import numpy as np

from studio.errors import MediaError

FONTS = {
    "sans": cv2.FONT_HERSHEY_DUPLEX,
    "sans-light": cv2.FONT_HERSHEY_SIMPLEX,
    "serif": cv2.FONT_HERSHEY_TRIPLEX,
    "script": cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
    "mono": cv2.FONT_HERSHEY_PLAIN,
}

Color = tuple[int, ...]  # RGB, or one value for a single-channel mask


def font_face(name: str) -> int:
    """The OpenCV font for one of FONTS' names; MediaError lists the choices otherwise."""
    try:
        return FONTS[name]
    except KeyError:
        raise MediaError(f"unknown font {name!r}; choose one of {', '.join(FONTS)}") from None


def text_box(text: str, height_px: float, font: str = "sans") -> tuple[int, int, float, int]:
    """(width, height, scale, thickness) of text drawn with capitals height_px tall."""
    face = font_face(font)
    (_, unit_h), _ = cv2.getTextSize("H", face, 1.0, 1)
    scale = height_px / max(unit_h, 1)
    thickness = max(1, int(round(scale * 1.5)))
    (w, h), _ = cv2.getTextSize(text, face, scale, thickness)
    return w, h, scale, thickness


def draw_text(img: np.ndarray, text: str, origin: tuple[int, int], height_px: float, color: Color,
              font: str = "sans") -> None:
    """Draw text in place with its baseline-left corner at origin (x, y)."""
    _, _, scale, thickness = text_box(text, height_px, font)
    cv2.putText(img, text, origin, font_face(font), scale, tuple(int(c) for c in color), thickness, cv2.LINE_AA)


def draw_text_centered(img: np.ndarray, text: str, center: tuple[int, int], height_px: float, color: Color,
                       font: str = "sans", max_width: int | None = None) -> None:
    """Draw text centred on center, shrunk to fit max_width if given."""
    w, h, _, _ = text_box(text, height_px, font)
    if max_width and w > max_width:
        height_px *= max_width / w
        w, h, _, _ = text_box(text, height_px, font)
    draw_text(img, text, (int(center[0] - w / 2), int(center[1] + h / 2)), height_px, color, font)
