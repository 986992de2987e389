"""Sample-exact random access to a media file's audio, decoded in windows and kept in a small LRU."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from studio.errors import MediaError

log = logging.getLogger(__name__)

ReadFile = Callable[[Path, float, float, int], np.ndarray]


def _read_with_media(path: Path, start: float, end: float, rate: int) -> np.ndarray:
    from studio.media.audio import read_audio

    return read_audio(path, start=start, end=end, rate=rate)


class AudioWindows:
    """Audio of one file as samples at `rate`: `samples(first, n)` is exact to the sample.

    Windows of `window_s` seconds are decoded once (a 20 s take is a single window) so that
    consecutive reads join without a seam; times before 0 or after the end read as silence.
    Thread-safe: the feeder and the scrubber read from their own threads.
    """

    def __init__(self, path: Path, rate: int, *, duration: float | None = None, window_s: float = 30.0,
                 keep: int = 3, read: ReadFile = _read_with_media) -> None:
        """`duration` (seconds, when known) spares decoding past the end of the sound."""
        self.path = Path(path)
        self.rate = rate
        self._end = None if duration is None else int(round(duration * rate))
        self._window = int(window_s * rate)
        self._keep = keep
        self._read = read
        self._lock = threading.Lock()
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()

    def _window_samples(self, k: int) -> np.ndarray:
        with self._lock:
            if k in self._cache:
                self._cache.move_to_end(k)
                return self._cache[k]
        start = k * self._window
        try:
            data = self._read(self.path, start / self.rate, (start + self._window) / self.rate, self.rate)
        except MediaError as exc:
            # No sound stream, or damaged: this stretch plays silent rather than retrying every block.
            log.warning("%s; playing it silent", exc)
            data = np.zeros((self._window, 2), dtype=np.float32)
        data = np.asarray(data, dtype=np.float32).reshape(-1, 2)[: self._window]
        with self._lock:
            self._cache[k] = data
            while len(self._cache) > self._keep:
                self._cache.popitem(last=False)
        return data

    def samples(self, first: int, n: int) -> np.ndarray:
        """`n` samples (n, 2) float32 starting at sample `first` (may be negative)."""
        out = np.zeros((max(n, 0), 2), dtype=np.float32)
        pos = max(first, 0)
        end = first + n if self._end is None else min(first + n, self._end)
        while pos < end:
            k = pos // self._window
            window = self._window_samples(k)
            offset = pos - k * self._window
            if offset >= len(window):
                break  # past the end of the file: the rest stays silent
            take = min(end - pos, len(window) - offset)
            out[pos - first : pos - first + take] = window[offset : offset + take]
            pos += take
            if len(window) < self._window:
                break
        return out
