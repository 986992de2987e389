"""Run something once a window's first frame is on screen.

Work started together with `show()` competes with the first paint for the interpreter lock and, on
few cores, for the CPU: the window appears later, and a stall probe started with it counts that first
paint as a freeze of a window nobody can see yet. The main window starts its background loads and its
stall probe from here instead.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QWindow
from PySide6.QtWidgets import QWidget

# A window that is shown but never exposed (started minimized, on a platform that sends no expose)
# must still start its work.
FALLBACK_MS = 1000


class _FirstExpose(QObject):
    """Watches a QWindow for its first expose; calls back once, after that expose has painted."""

    def __init__(self, window: QWindow, callback: Callable[[], None]) -> None:
        super().__init__(window)
        self._window = window
        self._callback: Callable[[], None] | None = callback
        window.installEventFilter(self)
        QTimer.singleShot(FALLBACK_MS, self, self._fire)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Expose and self._window.isExposed():
            QTimer.singleShot(0, self, self._fire)  # posted: runs after this expose has painted the frame
        return False

    def _fire(self) -> None:
        callback, self._callback = self._callback, None
        if callback is None:
            return
        self._window.removeEventFilter(self)
        callback()


def after_first_frame(widget: QWidget, callback: Callable[[], None]) -> None:
    """Call `callback` on the GUI thread once `widget`'s window has painted its first frame.

    At once when the window is already on screen, or is not shown at all (nothing to wait for).
    """
    window = widget.window().windowHandle()
    if window is None or not widget.isVisible() or window.isExposed():
        callback()
        return
    _FirstExpose(window, callback)
