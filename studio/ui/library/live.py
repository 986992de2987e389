"""The library as other processes change it: a poll (off the GUI thread) for takes that the CLI, the
API or the engine made, started or finished since the last look, so the grid shows them without F5."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal

from studio.library import Library
from studio.ui.tasks import run_async

POLL_MS = 2000


class LibraryWatcher(QObject):
    """Emits `touched(list[int])` with the ids of takes changed since the previous poll."""

    touched = Signal(list)

    def __init__(self, lib: Library, parent: QObject | None = None, interval_ms: int = POLL_MS) -> None:
        super().__init__(parent)
        self._lib = lib
        self._since = time.time()  # what the grid loads at start is already shown
        self._busy = False
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.poll)

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def poll(self) -> None:
        if self._busy:
            return
        self._busy = True
        lib, since = self._lib, self._since
        run_async(lambda: lib.takes_touched_since(since), self._polled, self._failed, receiver=self)

    def _polled(self, result: tuple[list[int], float]) -> None:
        self._busy = False
        ids, self._since = result
        if ids:
            self.touched.emit(ids)

    def _failed(self, _exc: BaseException) -> None:
        self._busy = False  # a busy database: the next poll tries again
