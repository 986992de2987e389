"""Built-in clips that need no model: title card, colour matte, bars and tone, countdown leader.

Each returns a GeneratedClip. Frames are a FrameSequence: a few distinct pictures and the order
they play in, so a 20 s 1080p title card holds one picture, not 480.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

import cv2
import numpy as np

from studio.errors import MediaError
from studio.media.drawing import Color, draw_text_centered
from studio.media.encode import as_rate

SAMPLE_RATE = 48000
TONE_HZ = 1000.0
# -20 dBFS: the usual line-up level for bars and tone.
TONE_LEVEL = 10 ** (-20 / 20)
POP_LEVEL = 0.5
Size = tuple[int, int]


class FrameSequence(Sequence[np.ndarray]):
    """Frames as distinct pictures plus, per frame, which picture it shows; np.asarray() materialises it."""

    def __init__(self, pictures: Sequence[np.ndarray], order: np.ndarray) -> None:
        self.pictures = list(pictures)
        self.order = np.asarray(order, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.order)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return FrameSequence(self.pictures, self.order[i])
        return self.pictures[int(self.order[i])]

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in self.order:
            yield self.pictures[int(i)]

    @property
    def shape(self) -> tuple[int, int, int, int]:
        h, w = self.pictures[0].shape[:2]
        return (len(self.order), h, w, 3)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        stacked = np.stack(self.pictures)[self.order]
        return stacked if dtype is None else stacked.astype(dtype)


@dataclass
class GeneratedClip:
    """Pictures (T, H, W, 3) uint8 RGB, sound (n, 2) float32 at sample_rate, played at fps."""

    frames: FrameSequence
    audio: np.ndarray
    sample_rate: int
    fps: Fraction

    @property
    def seconds(self) -> float:
        return len(self.frames) / float(self.fps)


def title_card(text: str, seconds: float = 3.0, fps: float | Fraction = 24, size: Size = (1920, 1080), *,
               subtitle: str = "", font: str = "sans", color: Color = (255, 255, 255),
               background: Color = (12, 12, 16)) -> GeneratedClip:
    """Centred text (and an optional smaller subtitle) on a plain background, with silence."""
    rate, n = _frame_count(seconds, fps)
    width, height = _check_size(size)
    img = _plain(size, background)
    has_sub = bool(subtitle)
    title_y = height // 2 - (height // 14 if has_sub else 0)
    draw_text_centered(img, text, (width // 2, title_y), height / 10, color, font, max_width=int(width * 0.9))
    if has_sub:
        draw_text_centered(img, subtitle, (width // 2, height // 2 + height // 10), height / 22, color, font,
                           max_width=int(width * 0.9))
    return GeneratedClip(FrameSequence([img], np.zeros(n)), _silence(n, rate), SAMPLE_RATE, rate)


def color_matte(color: Color, seconds: float = 3.0, fps: float | Fraction = 24,
                size: Size = (1920, 1080)) -> GeneratedClip:
    """A full frame of one colour, with silence."""
    rate, n = _frame_count(seconds, fps)
    return GeneratedClip(FrameSequence([_plain(size, color)], np.zeros(n)), _silence(n, rate), SAMPLE_RATE, rate)


def bars_and_tone(seconds: float = 5.0, fps: float | Fraction = 24, size: Size = (1920, 1080), *,
                  tone_hz: float = TONE_HZ, level: float = TONE_LEVEL) -> GeneratedClip:
    """75% colour bars with a continuous tone (1 kHz at -20 dBFS by default) on both channels."""
    rate, n = _frame_count(seconds, fps)
    width, height = _check_size(size)
    img = np.zeros((height, width, 3), np.uint8)
    bars = [(191, 191, 191), (191, 191, 0), (0, 191, 191), (0, 191, 0), (191, 0, 191), (191, 0, 0), (0, 0, 191)]
    top = int(height * 0.67)
    edges = np.linspace(0, width, len(bars) + 1).astype(int)
    for (x0, x1), c in zip(zip(edges[:-1], edges[1:]), bars):
        img[:top, x0:x1] = c
    castellations = [(0, 0, 191), (19, 19, 19), (191, 0, 191), (19, 19, 19), (0, 191, 191), (19, 19, 19), (191, 191, 191)]
    for (x0, x1), c in zip(zip(edges[:-1], edges[1:]), castellations):
        img[top:int(height * 0.75), x0:x1] = c
    img[int(height * 0.75):] = (16, 16, 16)
    img[int(height * 0.75):, : width // 5] = (0, 33, 76)
    img[int(height * 0.75):, width // 5: 2 * width // 5] = (235, 235, 235)
    samples = _samples(n, rate)
    tone = (level * np.sin(2 * np.pi * tone_hz * np.arange(samples) / SAMPLE_RATE)).astype(np.float32)
    return GeneratedClip(FrameSequence([img], np.zeros(n)), np.repeat(tone[:, None], 2, axis=1), SAMPLE_RATE, rate)


def countdown_leader(seconds: int = 5, fps: float | Fraction = 24, size: Size = (1920, 1080), *,
                     pop_hz: float = TONE_HZ, level: float = POP_LEVEL) -> GeneratedClip:
    """A countdown from `seconds` to 1 with a white flash frame and a 1 kHz pop at each second.

    The flash is the first frame at or after each whole second; its pop starts on the exact sample
    where that frame starts and lasts one frame, so sync.measure_offset reads 0 on a perfect file.
    """
    rate, n = _frame_count(seconds, fps)
    width, height = _check_size(size)
    flash_frames = flash_frame_indices(int(seconds), rate, n)
    pictures = [_plain(size, (255, 255, 255))]
    order = np.zeros(n, dtype=np.int64)
    for s in range(int(math.ceil(n / float(rate)))):
        img = _plain(size, (40, 40, 40))
        cx, cy, radius = width // 2, height // 2, int(min(width, height) * 0.4)
        cv2.circle(img, (cx, cy), radius, (200, 200, 200), max(1, height // 120), cv2.LINE_AA)
        cv2.line(img, (0, cy), (width, cy), (120, 120, 120), max(1, height // 270))
        cv2.line(img, (cx, 0), (cx, height), (120, 120, 120), max(1, height // 270))
        draw_text_centered(img, str(max(1, int(seconds) - s)), (cx, cy), height * 0.45, (235, 235, 235), "sans")
        pictures.append(img)
        first = int(math.ceil(s * rate - 1e-9))
        last = min(n, int(math.ceil((s + 1) * rate - 1e-9)))
        order[first:last] = len(pictures) - 1
    order[flash_frames] = 0
    audio = _silence(n, rate)
    pop_len = int(round(SAMPLE_RATE / float(rate)))
    pop = (level * np.sin(2 * np.pi * pop_hz * np.arange(pop_len) / SAMPLE_RATE)).astype(np.float32)
    for k in flash_frames:
        start = frame_start_sample(k, rate)
        end = min(len(audio), start + pop_len)
        audio[start:end] = pop[: end - start, None]
    return GeneratedClip(FrameSequence(pictures, order), audio, SAMPLE_RATE, rate)


def flash_frame_indices(seconds: int, rate: Fraction, n_frames: int) -> list[int]:
    """Index of the first frame at or after each whole second (0, 1, ...) that lies inside the clip."""
    return [k for k in (int(math.ceil(s * rate - 1e-9)) for s in range(seconds)) if k < n_frames]


def frame_start_sample(k: int, rate: Fraction) -> int:
    """The 48 kHz sample on which frame k starts (nearest sample for rates like 29.97)."""
    return int(round(Fraction(k) / rate * SAMPLE_RATE))


def _frame_count(seconds: float, fps: float | Fraction) -> tuple[Fraction, int]:
    if seconds <= 0:
        raise MediaError(f"a generated clip needs a positive length, got {seconds} s")
    rate = as_rate(fps)
    return rate, max(1, int(round(seconds * rate)))


def _samples(n_frames: int, rate: Fraction) -> int:
    return int(round(Fraction(n_frames) / rate * SAMPLE_RATE))


def _silence(n_frames: int, rate: Fraction) -> np.ndarray:
    return np.zeros((_samples(n_frames, rate), 2), np.float32)


def _check_size(size: Size) -> tuple[int, int]:
    width, height = int(size[0]), int(size[1])
    if width < 2 or height < 2 or width > 8192 or height > 8192:
        raise MediaError(f"frame size {width}x{height} is out of range (2..8192 pixels a side)")
    return width, height


def _plain(size: Size, color: Color) -> np.ndarray:
    width, height = _check_size(size)
    img = np.empty((height, width, 3), np.uint8)
    img[:] = tuple(int(c) for c in color)
    return img
