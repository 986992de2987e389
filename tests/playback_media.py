"""Tiny test media for the playback tests: every frame carries its number (and its clip's id) as
black/white stripes that survive H.264, so a test reads back exactly which frame is on screen."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from studio.playback import Player

SIZE = 64
FPS = 12.0  # a low rate leaves a loaded test machine plenty of time per frame: no spurious drops
RATE = 48000
_BITS = 8  # 6 bits of frame index, 2 bits of clip id, 8 pixels per stripe
_STRIPE = SIZE // _BITS


def paint_frame(index: int, clip_id: int = 0) -> np.ndarray:
    """A SIZE x SIZE RGB frame whose stripes spell `index` (0..63) and `clip_id` (0..3)."""
    value = (index & 0x3F) | ((clip_id & 0x3) << 6)
    frame = np.zeros((SIZE, SIZE, 3), dtype=np.uint8)
    for bit in range(_BITS):
        if value >> bit & 1:
            frame[:, bit * _STRIPE : (bit + 1) * _STRIPE] = 255
    return frame


def read_frame(frame: np.ndarray) -> tuple[int, int]:
    """(frame index, clip id) painted by paint_frame, read back from a decoded (maybe scaled) frame."""
    width = frame.shape[1]
    value = 0
    for bit in range(_BITS):
        lo, hi = bit * width // _BITS, (bit + 1) * width // _BITS
        stripe = frame[:, lo + (hi - lo) // 4 : hi - (hi - lo) // 4]
        if stripe.mean() > 127:
            value |= 1 << bit
    return value & 0x3F, value >> 6


def painted_frames(count: int, clip_id: int = 0) -> np.ndarray:
    return np.stack([paint_frame(i, clip_id) for i in range(count)])


def tone(count: int, fps: float = FPS, hz: float = 440.0, level: float = 0.3) -> np.ndarray:
    """A stereo sine as long as `count` frames at `fps`."""
    t = np.arange(int(round(count / fps * RATE))) / RATE
    mono = (level * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    return np.stack([mono, mono], axis=1)


def write_test_clip(path: Path, count: int, clip_id: int = 0, hz: float = 440.0) -> Path:
    """An MP4 of `count` painted frames at FPS with a tone, through the media layer's writer."""
    from studio.media.encode import write_clip

    return write_clip(painted_frames(count, clip_id), tone(count, hz=hz), FPS, RATE, path)


def wait_until(condition: Callable[[], bool], timeout: float = 20.0, poll: float = 0.004) -> None:
    """Poll `condition` until true; a generous timeout keeps slow machines from failing (no timing assert)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached before the timeout")
        time.sleep(poll)


def frames_shown(player: Player) -> list[tuple[int, int]]:
    """Drive the clock tick like the GUI timer until playback stops; (frame index, clip id) of each
    frame shown, in order."""
    shown: list[tuple[int, int]] = []
    last = None

    def tick() -> bool:
        nonlocal last
        frame = player.current_frame()
        if frame is not None and frame is not last:
            last = frame
            shown.append(read_frame(frame.image))
        return not player.playing

    wait_until(tick, timeout=30.0, poll=0.002)
    return shown


class ManualClock:
    """A silent sink whose clock is whatever the test set (`advance`, or `now` itself): the sync tests
    move it by hand, so which frame a tick shows never depends on the machine's speed."""

    has_audio = False
    notice = None
    rate = RATE

    def __init__(self) -> None:
        self.now = 0.0
        self.running = False

    def start(self, pull) -> None:
        self.now, self.running = 0.0, True

    def stop(self) -> None:
        self.running = False

    def elapsed(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        if self.running:
            self.now += seconds

    def play_grain(self, samples: np.ndarray) -> None:
        return None

    def close(self) -> None:
        self.stop()
