"""Time <-> pixel mapping, timecode text and snapping for the timeline (no Qt).

Scene x is seconds times pixels-per-second, so every item (clip, waveform, playhead, ruler tick) is
placed by the same function and stays aligned at every zoom level.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

MIN_PPS = 0.02  # one hour fits in ~72 px
MAX_PPS = 4000.0  # about 160 px per frame at 24 fps
ZOOM_STEP = 1.25

# Tick spacings (seconds) the ruler may use; the first one wide enough wins.
_TICK_STEPS = (
    1 / 24, 2 / 24, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600,
)


@dataclass
class TimeScale:
    """How many pixels one second takes; the one mapping every timeline item uses."""

    pixels_per_second: float = 60.0

    def x(self, seconds: float) -> float:
        """Scene x of a time in seconds."""
        return seconds * self.pixels_per_second

    def t(self, x: float) -> float:
        """Time in seconds of a scene x."""
        return x / self.pixels_per_second

    def zoomed(self, factor: float) -> TimeScale:
        """A copy zoomed by factor, clamped to the supported range."""
        return TimeScale(clamp_pps(self.pixels_per_second * factor))

    def tick_step(self, min_pixels: float = 80.0) -> float:
        """Seconds between labelled ruler ticks so that labels are at least min_pixels apart."""
        for step in _TICK_STEPS:
            if step * self.pixels_per_second >= min_pixels:
                return step
        return _TICK_STEPS[-1] * math.ceil(min_pixels / (_TICK_STEPS[-1] * self.pixels_per_second))


def clamp_pps(pps: float) -> float:
    """Keep a zoom level inside what the view can draw."""
    return max(MIN_PPS, min(MAX_PPS, pps))


def fit_pps(duration: float, width_px: float) -> float:
    """The zoom that shows duration seconds in width_px pixels (an empty edit shows 30 s)."""
    return clamp_pps(max(width_px, 1.0) / max(duration, 1.0 if duration > 0 else 30.0))


def timecode(seconds: float, fps: float = 24.0) -> str:
    """HH:MM:SS:FF timecode (non-drop) of the frame on screen at `seconds`: the one that started last
    (as the player counts frames), so the timeline, its ruler and the monitors always agree."""
    fps_int = max(1, round(fps))
    frames = max(0, math.floor(seconds * fps + 1e-6))
    ff = frames % fps_int
    total_s = frames // fps_int
    return f"{total_s // 3600:02d}:{total_s // 60 % 60:02d}:{total_s % 60:02d}:{ff:02d}"


def parse_timecode(text: str, fps: float = 24.0) -> float:
    """Seconds of the frame `timecode` names: "HH:MM:SS:FF" (fewer fields count from the right, so
    "2:12" is 2 s 12 frames) or plain seconds ("1.5"). ValueError names what was expected."""
    text = text.strip()
    fps_int = max(1, round(fps))
    try:
        if ":" not in text:
            seconds = float(text)
            if seconds < 0:
                raise ValueError
            return seconds
        parts = [int(p) for p in text.split(":")]
        if len(parts) > 4 or any(p < 0 for p in parts) or parts[-1] >= fps_int:
            raise ValueError
    except ValueError:
        raise ValueError(f"'{text}' is not a time: write a timecode HH:MM:SS:FF (frames below {fps_int}) "
                         "or seconds such as 1.5") from None
    ff, ss, mm, hh = (parts[::-1] + [0, 0, 0])[:4]
    return ((hh * 3600 + mm * 60 + ss) * fps_int + ff) / fps


def snap(t: float, targets: Iterable[float], tolerance: float) -> float:
    """The target nearest t when it lies within tolerance seconds, else t itself."""
    best, best_d = t, tolerance
    for target in targets:
        d = abs(target - t)
        if d <= best_d:
            best, best_d = target, d
    return best


def snap_range(start: float, duration: float, targets: Iterable[float], tolerance: float) -> float:
    """New start for a clip being moved so that its head or its tail lands on the nearest target."""
    # Head on target, tail on target.
    return snap(start, (c for target in targets for c in (target, target - duration)), tolerance)
