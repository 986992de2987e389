"""One sound card for several players, each through a handle of its own.

The Source and Program monitors each used to open an output stream: two clocks, and on bare ALSA (no
PulseAudio or PipeWire to mix) the hardware device opens once, so the second monitor played silently
with the no-device notice. They play one at a time anyway (starting one pauses the other, as editors
do), so one stream serves both: each player gets a `SinkHandle`, the handle that starts last plays
through the device, and a handle that is not playing never touches it, so the other player loading,
pausing or closing leaves the sound that plays alone. A handle whose run another one took over holds
its clock where it was (its player shows a still picture until it is paused or started again).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from studio.playback.sinks import Pull, Sink


class SharedSink:
    """Owns one sink (the sound card) that `handle()`s take turns on; `close()` releases it."""

    def __init__(self, device: Sink) -> None:
        self.device = device
        self._lock = threading.Lock()
        self._playing: SinkHandle | None = None  # the handle whose run the device plays (started, not stopped)

    def handle(self) -> SinkHandle:
        """A sink for one more player (cheap; nothing is opened)."""
        return SinkHandle(self)

    def close(self) -> None:
        """Release the device; every handle is quiet from now on."""
        with self._lock:
            self._playing = None
        self.device.close()

    def _start(self, handle: SinkHandle, pull: Pull | None) -> None:
        with self._lock:
            other = self._playing
            if other is not None and other is not handle:
                other._held = self.device.elapsed()  # its clock stops where this run took the device
            self._playing = handle
            self.device.start(pull)

    def _stop(self, handle: SinkHandle) -> None:
        with self._lock:
            if self._playing is not handle:
                return  # not playing: the device is another player's (or nobody's)
            self.device.stop()
            handle._held = self.device.elapsed()
            self._playing = None

    def _elapsed(self, handle: SinkHandle) -> float:
        with self._lock:
            return self.device.elapsed() if self._playing is handle else handle._held

    def _grain(self, handle: SinkHandle, samples: np.ndarray) -> None:
        with self._lock:
            if self._playing is None or self._playing is handle:  # never over another player's sound
                self.device.play_grain(samples)


class SinkHandle:
    """One player's sink on a `SharedSink` (a `Sink`); closing it ends its run, not the device."""

    def __init__(self, shared: SharedSink) -> None:
        self._shared = shared
        self.rate = shared.device.rate
        self.has_audio = shared.device.has_audio
        self.notice = shared.device.notice
        self._held = 0.0  # elapsed() while the device plays another handle's run (or none)

    def start(self, pull: Pull | None) -> None:
        self._shared._start(self, pull)

    def stop(self) -> None:
        self._shared._stop(self)

    def elapsed(self) -> float:
        return self._shared._elapsed(self)

    def play_grain(self, samples: np.ndarray) -> None:
        self._shared._grain(self, samples)

    def close(self) -> None:
        self.stop()
