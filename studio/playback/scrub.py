"""Audio scrubbing: a short grain of sound at the scrub position, read off the GUI thread.

Only the newest request matters while the creator drags, so requests replace each other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from studio.playback.worker import BackgroundWorker

log = logging.getLogger(__name__)

GRAIN_S = 0.08
FADE_S = 0.005


def make_grain(samples: np.ndarray, rate: int, fade_s: float = FADE_S) -> np.ndarray:
    """`samples` with short linear fades at both ends, so a grain starts and stops without a click."""
    grain = np.array(samples, dtype=np.float32, copy=True)
    n = min(int(fade_s * rate), len(grain) // 2)
    if n > 0:
        ramp = np.linspace(0.0, 1.0, n, endpoint=False, dtype=np.float32)[:, None]
        grain[:n] *= ramp
        grain[-n:] *= ramp[::-1]
    return grain


class Scrubber(BackgroundWorker):
    """Reads `read(t, t + GRAIN_S)` for the latest requested time and hands it to `play`."""

    def __init__(self, read: Callable[[float, float], np.ndarray], play: Callable[[np.ndarray], None],
                 rate: int) -> None:
        self._read = read
        self._play = play
        self._rate = rate
        self._wanted: float | None = None
        super().__init__("kinora-scrub")

    def request(self, t: float) -> None:
        with self._cond:
            self._wanted = t
            self._cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self._cond:
                if not self._wait_for_work(lambda: self._wanted is not None):
                    return
                t, self._wanted = self._wanted, None
            try:
                self._play(make_grain(self._read(t, t + GRAIN_S), self._rate))
            except Exception:  # scrubbing sound is a nicety: never let it break the player
                log.exception("audio scrub grain at %.3f s failed", t)
