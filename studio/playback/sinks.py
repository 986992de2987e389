"""Where playback time comes from: an audio device (the master clock) or the wall clock.

A sink is started with a `pull(n) -> (n, 2) float32` function and from then on reports `elapsed()`:
the seconds of output the listener has actually heard since `start`. With a sound card that is the
count of frames the device consumed, minus the stream's output latency, interpolated between
callbacks on the stream's own clock, so the picture follows the sound the creator hears. Without one, `WallClockSink` counts seconds of `time.monotonic()` and plays
nothing; its `notice` says so, and the UI shows it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

SAMPLE_RATE = 48000
CHANNELS = 2
SILENT_NOTICE = "No audio device: playback is silent"

# Returns (n, 2) float32, or None for "not ready": the sink plays silence and its clock waits.
Pull = Callable[[int], np.ndarray | None]


class Sink(Protocol):
    """The clock playback runs on. All methods are safe to call from any thread."""

    rate: int
    has_audio: bool
    notice: str | None

    def start(self, pull: Pull | None) -> None:
        """Restart the clock at zero; with audio, pull samples from `pull` from now on."""

    def stop(self) -> None:
        """Stop pulling samples; `elapsed()` holds its last value."""

    def elapsed(self) -> float:
        """Seconds of output heard since `start`."""

    def play_grain(self, samples: np.ndarray) -> None:
        """Play a short (n, 2) float32 snippet while stopped (audio scrubbing); silent sinks ignore it."""

    def close(self) -> None:
        """Release the device."""


class WallClockSink:
    """A silent sink whose clock is `time.monotonic()`: used when there is no audio device."""

    has_audio = False

    def __init__(self, notice: str | None = SILENT_NOTICE, rate: int = SAMPLE_RATE) -> None:
        self.rate = rate
        self.notice = notice
        self._lock = threading.Lock()
        self._started_at: float | None = None
        self._held = 0.0

    def start(self, pull: Pull | None) -> None:
        with self._lock:
            self._started_at = time.monotonic()
            self._held = 0.0

    def stop(self) -> None:
        with self._lock:
            if self._started_at is not None:
                self._held = time.monotonic() - self._started_at
            self._started_at = None

    def elapsed(self) -> float:
        with self._lock:
            if self._started_at is None:
                return self._held
            return time.monotonic() - self._started_at

    def play_grain(self, samples: np.ndarray) -> None:
        return None

    def close(self) -> None:
        self.stop()


class SoundDeviceSink:
    """Plays through PortAudio (`sounddevice.OutputStream`) and is the master clock.

    The stream is opened once and runs for the sink's life, writing silence while stopped, so play,
    pause and scrub grains start without reopening the device.
    """

    has_audio = True
    notice = None

    def __init__(self, sd_module, rate: int = SAMPLE_RATE, *, latency: str | float = "high") -> None:
        """`sd_module` is the imported sounddevice module (tests pass a stand-in).

        "high" latency gives a Python callback room against glitches; the clock subtracts the
        latency, so the picture still lines up with what is heard.
        """
        self.rate = rate
        self._lock = threading.Lock()
        self._pull: Pull | None = None
        self._grain: np.ndarray | None = None
        self._frames_before = 0  # frames delivered before the latest callback's block
        self._frames_after = 0  # frames delivered including the latest block
        self._block_heard_at: float | None = None  # when the latest block starts to sound, on `_clock`
        self._clock: Callable[[], float] = time.monotonic
        self._last = 0.0  # the clock never runs backwards within a run
        self._held = 0.0
        self._stream = sd_module.OutputStream(
            samplerate=rate, channels=CHANNELS, dtype="float32", latency=latency, callback=self._callback
        )
        self._stream.start()

    def _callback(self, outdata: np.ndarray, frames: int, time_info, status) -> None:
        if status:
            log.debug("audio stream status: %s", status)
        now = time.monotonic()
        with self._lock:
            pull, grain = self._pull, self._grain
            if pull is None:
                outdata[:] = 0.0
                if grain is not None:
                    n = min(frames, len(grain))
                    outdata[:n] = grain[:n]
                    self._grain = grain[n:] if len(grain) > n else None
                return
        samples = pull(frames)
        if samples is None:
            outdata[:] = 0.0
            return
        outdata[:] = samples
        heard_at, clock = self._heard_at(time_info, now)
        with self._lock:
            if self._pull is not pull:
                return  # restarted or stopped while we pulled: these frames belong to no run
            self._frames_before = self._frames_after
            self._frames_after += frames
            self._block_heard_at, self._clock = heard_at, clock

    def _heard_at(self, time_info, now: float) -> tuple[float, Callable[[], float]]:
        """When the block starts to sound, and the clock that time is on.

        The host's DAC time is on the stream's own clock, which `elapsed()` reads too: the Python
        callback often runs milliseconds late (it waits for the GIL), and counting from when it ran
        put the picture that much behind the sound. Some host APIs leave the timestamps at zero: then
        the callback's monotonic time plus the stream's latency.
        """
        dac = getattr(time_info, "outputBufferDacTime", 0.0) or 0.0
        current = getattr(time_info, "currentTime", 0.0) or 0.0
        if dac > 0.0 and current > 0.0 and dac >= current:
            return dac, self._stream_time
        return now + float(self._stream.latency), time.monotonic

    def _stream_time(self) -> float:
        return float(self._stream.time)

    def start(self, pull: Pull | None) -> None:
        with self._lock:
            self._pull = pull
            self._grain = None
            self._frames_before = self._frames_after = 0
            self._block_heard_at = None
            self._last = 0.0
            self._held = 0.0

    def stop(self) -> None:
        heard = self.elapsed()
        with self._lock:
            self._pull = None
            self._block_heard_at = None
            self._held = heard

    def elapsed(self) -> float:
        with self._lock:
            if self._block_heard_at is None:
                return self._held
            # Interpolate inside the latest block, never past what the device has been given.
            since = self._clock() - self._block_heard_at
            heard = min(self._frames_before / self.rate + since, self._frames_after / self.rate)
            self._last = max(self._last, heard)
            return self._last

    def play_grain(self, samples: np.ndarray) -> None:
        with self._lock:
            if self._pull is None:
                self._grain = np.ascontiguousarray(samples, dtype=np.float32)

    def close(self) -> None:
        self.stop()
        self._stream.abort()
        self._stream.close()


def open_audio_sink(rate: int = SAMPLE_RATE) -> Sink:
    """The sound card's sink when PortAudio and an output device work, else a silent wall-clock sink."""
    try:
        import sounddevice  # raises OSError when the PortAudio library is missing
    except (OSError, ImportError) as exc:
        log.info("PortAudio not available (%s); playback is silent", exc)
        return WallClockSink(SILENT_NOTICE, rate)
    try:
        return SoundDeviceSink(sounddevice, rate)
    except (sounddevice.PortAudioError, OSError, ValueError) as exc:
        log.info("No audio output device (%s); playback is silent", exc)
        return WallClockSink(SILENT_NOTICE, rate)
