"""A debug probe for GUI freezes: a fast timer that measures how late it fires.

If the GUI thread is busy for 200 ms, the next tick arrives ~200 ms late; the worst lateness
seen is the longest stall. Tests read `worst_ms`; the status bar shows it in debug mode;
`percentile_ms(99)` over the recent ticks says whether the worst was a one-off.

Lateness also grows when the GUI thread is runnable but not running (other processes on a busy
machine, or another thread holding the GIL). `worst_busy_ms` separates the two: the GUI thread's
own CPU time during its worst interval, which only our GUI-thread work can make large.
"""

from __future__ import annotations

import math
import time
from collections import deque

from PySide6.QtCore import QObject, QTimer, Signal

RECENT_TICKS = 100_000  # lateness samples kept for percentiles (~17 min at 10 ms)


class StallProbe(QObject):
    """Ticks every `interval_ms` and records how much later than planned each tick came."""

    stalled = Signal(float)  # lateness in ms, emitted when a tick is later than `report_ms`

    def __init__(self, interval_ms: int = 10, report_ms: float = 50.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.report_ms = report_ms
        self.worst_ms = 0.0
        self.worst_busy_ms = 0.0
        self.ticks = 0
        self._lateness: deque[float] = deque(maxlen=RECENT_TICKS)
        self._last: float | None = None
        self._last_cpu = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._last = None

    def reset(self) -> None:
        """Forget the worst stall so far (e.g. after start-up, before measuring a task)."""
        self.worst_ms = 0.0
        self.worst_busy_ms = 0.0
        self.ticks = 0
        self._lateness.clear()
        self._last = time.perf_counter() if self._timer.isActive() else None
        self._last_cpu = time.thread_time()

    def percentile_ms(self, q: float) -> float:
        """The q-th percentile (0-100, nearest rank) of tick lateness since the last reset; 0 before any tick."""
        if not self._lateness:
            return 0.0
        ordered = sorted(self._lateness)
        rank = max(1, math.ceil(q / 100.0 * len(ordered)))
        return ordered[min(rank, len(ordered)) - 1]

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def _tick(self) -> None:
        now = time.perf_counter()
        cpu = time.thread_time()  # this runs on the GUI thread, so: the GUI thread's CPU time
        if self._last is not None:
            self.worst_busy_ms = max(self.worst_busy_ms, (cpu - self._last_cpu) * 1000.0)
            late_ms = (now - self._last) * 1000.0 - self.interval_ms
            self.ticks += 1
            self._lateness.append(late_ms)
            if late_ms > self.worst_ms:
                self.worst_ms = late_ms
            if late_ms > self.report_ms:
                self.stalled.emit(late_ms)
        self._last = now
        self._last_cpu = cpu
