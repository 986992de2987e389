"""Run a function on a worker thread and get its result back on the GUI thread.

Everything slow (database queries, imports, thumbnails, engine calls) goes through `run_async`,
so the GUI thread only ever waits on its own event loop. A result whose receiver (the widget that asked)
has been deleted meanwhile is dropped, not delivered to a dead widget.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

# Relays waiting for their worker; held here so Python does not collect them before delivery.
_pending: set[_Relay] = set()


class _Relay(QObject):
    """Lives on the GUI thread; the worker emits `finished`, the queued slot calls back there."""

    finished = Signal(object, object)  # result, error

    def __init__(self, on_done: Callable[[Any], None] | None, on_error: Callable[[Exception], None] | None,
                 receiver: QObject | None) -> None:
        super().__init__()
        self._on_done = on_done
        self._on_error = on_error
        self._receiver = receiver
        self.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @Slot(object, object)
    def _deliver(self, result: Any, error: Exception | None) -> None:
        _pending.discard(self)
        if self._receiver is not None and not shiboken6.isValid(self._receiver):
            log.debug("dropped a background result: its receiver was deleted")
            return
        if error is not None:
            if self._on_error is not None:
                self._on_error(error)
            else:
                log.error("background task failed: %s", error, exc_info=error)
        elif self._on_done is not None:
            self._on_done(result)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # delivered to on_error on the GUI thread
            self._relay.finished.emit(None, exc)
        else:
            self._relay.finished.emit(result, None)


def run_async(fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[Exception], None] | None = None, pool: QThreadPool | None = None, *,
              receiver: QObject | None = None) -> None:
    """Call `fn()` on a pool thread; then `on_done(result)` or `on_error(exc)` on the GUI thread.

    `receiver` is the QObject the callbacks work on (default: the object of a bound-method callback);
    if it is deleted before the result arrives, neither callback runs. Pass it whenever the callbacks are
    lambdas or closures over a widget. Must be called from the GUI thread (the relay is created there).
    """
    if receiver is None:
        receiver = _bound_qobject(on_done) or _bound_qobject(on_error)
    relay = _Relay(on_done, on_error, receiver)
    _pending.add(relay)
    (pool or QThreadPool.globalInstance()).start(_Task(fn, relay))


def _bound_qobject(callback: Callable[..., Any] | None) -> QObject | None:
    owner = getattr(callback, "__self__", None)
    return owner if isinstance(owner, QObject) else None


def wait_for_tasks(timeout_ms: int = 30000, pool: QThreadPool | None = None) -> bool:
    """Block until the pool is idle (for shutdown and scripts; never call it from a GUI event)."""
    return (pool or QThreadPool.globalInstance()).waitForDone(timeout_ms)
