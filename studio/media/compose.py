"""Placing pictures in an output frame (fit, fill, or a clip's own position and scale) and layering
them, in yuv420p.

Export composites in the encoder's own format: each source picture is scaled and converted by
one swscale call straight to BT.709 yuv420p, pasted into a canvas, and handed to the encoder.
Nothing round-trips through RGB.
"""

from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np

from studio.media.framing import Framing

BLACK_Y, BLACK_C = 16, 128  # limited-range black


@dataclass(frozen=True)
class Placement:
    """Scale the source to scaled_w x scaled_h, take the (w x h) window at (crop_x, crop_y), and
    put it at (dest_x, dest_y) in the canvas. All even, so chroma planes line up."""

    scaled_w: int
    scaled_h: int
    crop_x: int
    crop_y: int
    dest_x: int
    dest_y: int
    w: int
    h: int

    def covers(self, width: int, height: int) -> bool:
        return self.dest_x == 0 and self.dest_y == 0 and self.w == width and self.h == height


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


def place(src_w: int, src_h: int, dst_w: int, dst_h: int, fit: str) -> Placement:
    """Where a src_w x src_h picture goes in an (even) dst_w x dst_h frame: "fit" (and "blur", whose
    background `blur_background` makes) letterboxes, "fill" scales to cover and crops the middle."""
    if fit == "fill":
        scale = max(dst_w / src_w, dst_h / src_h)
        sw, sh = max(dst_w, _even(src_w * scale)), max(dst_h, _even(src_h * scale))
    else:
        scale = min(dst_w / src_w, dst_h / src_h)
        sw, sh = min(dst_w, _even(src_w * scale)), min(dst_h, _even(src_h * scale))
    w, h = min(sw, dst_w), min(sh, dst_h)
    crop_x, crop_y = (sw - w) // 4 * 2, (sh - h) // 4 * 2
    dest_x, dest_y = (dst_w - w) // 4 * 2, (dst_h - h) // 4 * 2
    return Placement(sw, sh, crop_x, crop_y, dest_x, dest_y, w, h)


def _even_floor(x: float) -> int:
    """x rounded to an even number (negative allowed: a picture moved past the frame's left edge)."""
    return int(round(x / 2)) * 2


def place_framed(src_w: int, src_h: int, dst_w: int, dst_h: int, framing: Framing) -> Placement | None:
    """Where a src_w x src_h picture goes in a dst_w x dst_h frame at a clip's own scale and offset
    (`Framing`); the part outside the frame is cropped. None when none of it is inside the frame.

    The one geometry of a reframed clip: the Preview and export both place it with this.
    """
    scale = min(dst_w / src_w, dst_h / src_h) * framing.scale
    sw, sh = _even(src_w * scale), _even(src_h * scale)
    left = _even_floor((dst_w - sw) / 2 + framing.x * dst_w)
    top = _even_floor((dst_h - sh) / 2 + framing.y * dst_h)
    dest_x, dest_y = max(0, left), max(0, top)
    crop_x, crop_y = dest_x - left, dest_y - top
    w, h = min(sw - crop_x, dst_w - dest_x), min(sh - crop_y, dst_h - dest_y)
    if w <= 0 or h <= 0:
        return None
    return Placement(sw, sh, crop_x, crop_y, dest_x, dest_y, w, h)


def yuv_planes(frame: av.VideoFrame, width: int, height: int, rotation: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The picture scaled to width x height (display orientation) as BT.709 limited Y, U, V planes."""
    coded_w, coded_h = (height, width) if rotation in (90, 270) else (width, height)
    packed = frame.reformat(width=coded_w, height=coded_h, format="yuv420p",
                            dst_colorspace="ITU709", dst_color_range="MPEG").to_ndarray()
    y, u, v = split_i420(packed, coded_w, coded_h)
    if rotation:
        k = -rotation // 90
        y, u, v = (np.rot90(p, k=k) for p in (y, u, v))
    return y, u, v


def split_i420(packed: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views of the Y, U, V planes inside a contiguous (height * 3 / 2, width) I420 array."""
    y = packed[:height]
    flat = packed.reshape(-1)
    csize = (width // 2) * (height // 2)
    u = flat[width * height: width * height + csize].reshape(height // 2, width // 2)
    v = flat[width * height + csize: width * height + 2 * csize].reshape(height // 2, width // 2)
    return y, u, v


class YuvCanvas:
    """One output frame in yuv420p, in the contiguous layout av.VideoFrame.from_ndarray takes."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.data = np.empty((height * 3 // 2, width), np.uint8)
        self.y, self.u, self.v = split_i420(self.data, width, height)

    def fill_black(self) -> None:
        self.y[:] = BLACK_Y
        self.u[:] = BLACK_C
        self.v[:] = BLACK_C

    def paste(self, planes: tuple[np.ndarray, np.ndarray, np.ndarray], p: Placement, alpha: float = 1.0) -> None:
        """Put the picture at its placement; `alpha` < 1 mixes it over what is there (a dissolve)."""
        y, u, v = planes
        cy, cx, ch, cw, oy, ox = p.dest_y // 2, p.dest_x // 2, p.h // 2, p.w // 2, p.crop_y // 2, p.crop_x // 2
        for dst, src in ((self.y[p.dest_y:p.dest_y + p.h, p.dest_x:p.dest_x + p.w],
                          y[p.crop_y:p.crop_y + p.h, p.crop_x:p.crop_x + p.w]),
                         (self.u[cy:cy + ch, cx:cx + cw], u[oy:oy + ch, ox:ox + cw]),
                         (self.v[cy:cy + ch, cx:cx + cw], v[oy:oy + ch, ox:ox + cw])):
            if alpha >= 1.0:
                dst[...] = src
            else:
                dst[...] = (dst * (1.0 - alpha) + src * alpha + 0.5).astype(np.uint8)

    def blurred_fill(self, picture: av.VideoFrame, src_w: int, src_h: int, rotation: int = 0) -> None:
        """Cover the canvas with the picture scaled to fill it, blurred and dimmed: the background of a
        "blur" fit and of a reframed clip's "blur" fill (its bars are its own colours)."""
        fill = place(src_w, src_h, self.width, self.height, "fill")
        self.paste(yuv_planes(picture, fill.scaled_w, fill.scaled_h, rotation), fill)
        self.blur_background()

    def blur_background(self) -> None:
        """Blur and dim what the canvas holds (a fill of the picture), as the background of a "blur" fit."""
        import cv2

        for plane, neutral, keep in ((self.y, 16, 0.55), (self.u, 128, 0.8), (self.v, 128, 0.8)):
            h, w = plane.shape
            small = cv2.resize(plane, (max(1, w // 16), max(1, h // 16)), interpolation=cv2.INTER_AREA)
            small = cv2.GaussianBlur(small, (0, 0), 2.0)
            soft = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
            plane[...] = np.clip(neutral + (soft - neutral) * keep, 0, 255).astype(np.uint8)

    def to_frame(self) -> av.VideoFrame:
        frame = av.VideoFrame.from_ndarray(self.data, format="yuv420p")
        frame.colorspace = 1  # BT.709, as the planes were made
        frame.color_range = 1
        return frame


def blurred_fill_rgb(picture: av.VideoFrame, src_w: int, src_h: int, rotation: int, size: tuple[int, int]) -> np.ndarray:
    """The "blur" fill of a `size` frame as RGB, made by export's own compositor (so the Preview shows
    the very background export renders); an odd size repeats the last row or column."""
    w, h = size
    canvas = YuvCanvas(max(2, w - w % 2), max(2, h - h % 2))
    canvas.blurred_fill(picture, src_w, src_h, rotation)
    rgb: np.ndarray = canvas.to_frame().to_ndarray(format="rgb24")
    if rgb.shape[:2] != (h, w):
        rgb = np.pad(rgb, ((0, h - rgb.shape[0]), (0, w - rgb.shape[1]), (0, 0)), mode="edge")
    return rgb
