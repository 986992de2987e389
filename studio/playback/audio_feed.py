"""Audio decoded ahead of the sound card, so the device callback never waits on a decoder.

The feeder thread reads the source in fixed blocks and keeps about half a second ready. Output
frame k of a playback run always carries media sample `start + speed * k`: when the callback finds
a block missing it writes silence for it and moves on, so a late decoder costs a dropout, never
A/V sync.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

import numpy as np

from studio.playback.worker import BackgroundWorker

log = logging.getLogger(__name__)

ReadAudio = Callable[[float, float], np.ndarray]

BLOCK = 1024


def shuttle_block(read: ReadAudio, media_sample: int, speed: int, frames: int, rate: int) -> np.ndarray:
    """`frames` output samples of media starting at `media_sample`, played at integer `speed`.

    Faster speeds keep every |speed|-th sample (shuttle audio, pitched up); reverse plays backwards.
    """
    step = abs(speed)
    span = frames * step
    if speed > 0:
        lo = media_sample
        raw = read(lo / rate, (lo + span) / rate)
        return np.ascontiguousarray(raw[::step][:frames])
    lo = media_sample - span + 1
    raw = read(lo / rate, (lo + span) / rate)
    return np.ascontiguousarray(raw[::-1][::step][:frames])


class AudioFeeder(BackgroundWorker):
    """Fills a bounded ring of audio blocks for one playback run; `pull` is the sink's callback side."""

    def __init__(self, read: ReadAudio, rate: int, *, ahead_s: float = 0.5, block: int = BLOCK) -> None:
        self._read = read
        self.peak = 0.0  # the loudest sample of the block the device took last (the level meter)
        self._rate = rate
        self._block = block
        self._capacity = max(2, int(ahead_s * rate / block))
        self._blocks: deque[tuple[int, np.ndarray]] = deque()  # (first output frame, samples)
        self._run = 0  # bumped by every start/stop so a block read for an old run is thrown away
        self._start_sample = 0
        self._speed = 0
        self._next_out = 0  # next output frame the thread will read
        self._consumed = 0  # next output frame the device will play
        self._underruns = 0
        super().__init__("kinora-audio-feed")

    @property
    def underruns(self) -> int:
        """Blocks the device needed before the feeder had them (each one a short dropout)."""
        return self._underruns

    def buffered_frames(self) -> int:
        """Output frames decoded and not yet played."""
        with self._cond:
            return sum(max(0, first + len(b) - max(first, self._consumed)) for first, b in self._blocks)

    def start(self, media_time: float, speed: int) -> None:
        """Begin a run at `media_time` (seconds) and integer `speed` (negative plays backwards)."""
        with self._cond:
            self._run += 1
            self._blocks.clear()
            self._start_sample = int(round(media_time * self._rate))
            self._speed = speed
            self._next_out = 0
            self._consumed = 0
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._run += 1
            self._speed = 0
            self._blocks.clear()
            self._cond.notify_all()

    def pull(self, frames: int) -> np.ndarray | None:
        """The next `frames` output samples (n, 2) float32; silence where the feeder fell behind.

        None while a run's first block is still being decoded: the sink then keeps its clock at
        zero, so playback starts when its sound does instead of trailing it.
        """
        out = np.zeros((frames, 2), dtype=np.float32)
        with self._cond:
            if self._consumed == 0 and not self._blocks:
                return None
            lo, hi = self._consumed, self._consumed + frames
            while self._blocks and self._blocks[0][0] + len(self._blocks[0][1]) <= lo:
                self._blocks.popleft()
            filled = 0
            for first, samples in self._blocks:
                if first >= hi:
                    break
                a, b = max(lo, first), min(hi, first + len(samples))
                if b > a:
                    out[a - lo : b - lo] = samples[a - first : b - first]
                    filled += b - a
            if filled < frames and self._speed != 0:
                self._underruns += 1
            self._consumed = hi
            self.peak = float(np.abs(out).max()) if frames else 0.0
            self._cond.notify_all()
        return out

    def _loop(self) -> None:
        while True:
            with self._cond:
                if not self._wait_for_work(lambda: self._speed != 0 and len(self._blocks) < self._capacity):
                    return
                run, speed = self._run, self._speed
                # Skip what the device already played without us.
                first = max(self._next_out, self._consumed - self._consumed % self._block)
                media_sample = self._start_sample + speed * first
            try:
                samples = shuttle_block(self._read, media_sample, speed, self._block, self._rate)
            except Exception:  # a decode error must not kill playback: play silence, keep the log
                log.exception("audio read failed at sample %d", media_sample)
                samples = np.zeros((self._block, 2), dtype=np.float32)
            with self._cond:
                if run == self._run:
                    self._blocks.append((first, samples))
                    self._next_out = first + self._block
