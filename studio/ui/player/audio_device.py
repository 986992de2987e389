"""The Preview's sound card, opened off the launch path.

Importing sounddevice and opening an output stream (PortAudio scans the devices; PulseAudio or PipeWire
is connected to) takes from tens to hundreds of milliseconds. The window's first frame waits for none of
it: the Preview starts the open on a worker thread once its first frame is on screen (`open_soon`), and
whatever needs the device sooner (`sink()`) opens it there and then, or waits for the worker already at it.
Without a device, `studio.playback.open_audio_sink` gives the silent wall clock with its notice, as before.

One device serves several players (the Source and Program monitors): each gets a handle of its own on it
(studio/playback/shared_sink.py), so the sound card is opened once and never twice at the same time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject

from studio.ui.tasks import run_async

if TYPE_CHECKING:
    from studio.playback import Sink
    from studio.playback.shared_sink import SharedSink


def open_audio_sink() -> Sink:
    """studio.playback's opener, imported here: with it come numpy and PyAV, on the thread that opens."""
    from studio.playback import open_audio_sink as open_sink

    return open_sink()


class AudioDevice:
    """Opens one sink once, on whichever thread asks first, and gives each caller its own handle on it;
    `close()` releases it (also if opened later)."""

    def __init__(self, opener: Callable[[], Sink] | None = None) -> None:
        """`opener` makes the sink (default: the sound card, else the silent wall clock with its notice)."""
        self._opener = opener or open_audio_sink
        self._lock = threading.Lock()
        self._claimed = False  # someone is opening (or has opened) the device
        self._closed = False
        self._requested = False  # open_soon has started a worker
        self._waiting: list[tuple[Callable[[Sink], None], QObject]] = []  # open_soon's callers (GUI thread)
        self._done = threading.Event()
        self._shared: SharedSink | None = None
        self._error: BaseException | None = None

    @property
    def opened(self) -> bool:
        return self._shared is not None

    def open_soon(self, on_open: Callable[[Sink], None], receiver: QObject) -> None:
        """Open the device on a worker thread (the first call starts that); `on_open(sink)` runs on the GUI
        thread once it is open, with a sink of the caller's own on it (not once closed, nor once `receiver`
        is deleted). Call on the GUI thread; later callers wait for the same open, no worker waits for it."""
        self._waiting.append((on_open, receiver))
        if self._shared is not None:
            self._hand_out(self._shared)
        elif not self._requested:
            self._requested = True
            run_async(self._open_or_wait, self._hand_out)

    def _hand_out(self, shared: SharedSink | None) -> None:
        waiting, self._waiting = self._waiting, []
        if shared is None or self._closed:
            return
        for on_open, receiver in waiting:
            if shiboken6.isValid(receiver):
                on_open(shared.handle())

    def sink(self) -> Sink:
        """A sink of the caller's own on the device: opened on this thread if nobody has started to, else
        once the worker has it."""
        shared = self._open_or_wait()
        if shared is None:
            raise RuntimeError("the audio device was closed")
        return shared.handle()

    def close(self) -> None:
        """Release the device; one still being opened is released by its opener as soon as it is open."""
        with self._lock:
            self._closed = True
            shared, self._shared = self._shared, None
        if shared is not None:
            shared.close()

    def _open_or_wait(self) -> SharedSink | None:
        with self._lock:
            mine = not self._claimed
            self._claimed = True
        if mine:
            try:
                sink = self._opener()
            except BaseException as exc:  # handed to whoever waits, not lost on a worker thread
                self._error = exc
                self._done.set()
                raise
            from studio.playback.shared_sink import SharedSink

            shared = SharedSink(sink)
            with self._lock:
                closed = self._closed
                if not closed:
                    self._shared = shared
            if closed:  # closed while it opened: nobody will play through it
                sink.close()
            self._done.set()
            return None if closed else shared
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._shared
