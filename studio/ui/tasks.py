"""Run a function on a worker thread and get its result back on the GUI thread.

Everything slow (database queries, imports, thumbnails, engine calls) goes through `run_async`,
so the GUI thread only ever waits on its own event loop. A result whose receiver (the widget that asked)
has been deleted meanwhile is dropped, not delivered to a dead widget.

Results travel the way the engine bridge's events do: the worker puts them in a locked mailbox and
wakes one long-lived dispatcher with an argument-less queued signal. No Python object crosses a Qt
event queue, and no per-call QObject is made on one thread and freed on another or inside its own slot.

The workers are Python threads (`TaskPool`), not QThreadPool, so no Python override is ever called
from a thread Qt made (PySide6 6.12.0 dropped a reference to `None` on each such call, which is how the
test suite came to crash).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)


@dataclass
class _Request:
    on_done: Callable[[Any], None] | None
    on_error: Callable[[Exception], None] | None
    receiver: QObject | None
    result: Any = None
    error: Exception | None = None


class _Dispatcher(QObject):
    """Lives on the GUI thread for the whole process; delivers finished requests there."""

    _arrived = Signal()  # worker thread -> GUI thread wake-up

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._mailbox: list[_Request] = []
        self._arrived.connect(self._drain, Qt.ConnectionType.QueuedConnection)

    def post(self, request: _Request) -> None:
        """Called on a worker thread with a finished request."""
        with self._lock:
            wake = not self._mailbox
            self._mailbox.append(request)
        if wake:
            self._arrived.emit()

    @Slot()
    def _drain(self) -> None:
        with self._lock:
            requests, self._mailbox = self._mailbox, []
        for request in requests:
            _deliver(request)


def _deliver(request: _Request) -> None:
    if request.receiver is not None and not shiboken6.isValid(request.receiver):
        log.debug("dropped a background result: its receiver was deleted")
        return
    if request.error is not None:
        if request.on_error is not None:
            request.on_error(request.error)
        else:
            log.error("background task failed: %s", request.error, exc_info=request.error)
    elif request.on_done is not None:
        request.on_done(request.result)


_dispatcher: _Dispatcher | None = None


def _gui_dispatcher() -> _Dispatcher:
    global _dispatcher
    if _dispatcher is None:
        _dispatcher = _Dispatcher()
    return _dispatcher


class TaskPool:
    """Worker threads that can be waited on until idle (the studio's replacement for QThreadPool)."""

    def __init__(self, threads: int, name: str = "kinora-task") -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name)
        self._idle = threading.Condition()
        self._running = 0

    def submit(self, fn: Callable[[], None]) -> None:
        """Run `fn()` on a worker thread (it must catch its own exceptions)."""
        with self._idle:
            self._running += 1
        self._executor.submit(self._run, fn)

    def _run(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until no task is queued or running; False if `timeout_ms` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout_ms / 1000)


_default_pool: TaskPool | None = None


def default_pool() -> TaskPool:
    """The shared pool `run_async` uses unless given another."""
    global _default_pool
    if _default_pool is None:
        _default_pool = TaskPool(max(2, min(8, os.cpu_count() or 2)))
    return _default_pool


def run_async(fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[Exception], None] | None = None, pool: TaskPool | None = None, *,
              receiver: QObject | None = None) -> None:
    """Call `fn()` on a pool thread; then `on_done(result)` or `on_error(exc)` on the GUI thread.

    `receiver` is the QObject the callbacks work on (default: the object of a bound-method callback);
    if it is deleted before the result arrives, neither callback runs. Pass it whenever the callbacks are
    lambdas or closures over a widget. Must be called from the GUI thread (the first call makes the
    dispatcher there).
    """
    if receiver is None:
        receiver = _bound_qobject(on_done) or _bound_qobject(on_error)
    request = _Request(on_done, on_error, receiver)
    dispatcher = _gui_dispatcher()

    def work() -> None:
        try:
            request.result = fn()
        except Exception as exc:  # delivered to on_error on the GUI thread
            request.error = exc
        dispatcher.post(request)

    (pool or default_pool()).submit(work)


def _bound_qobject(callback: Callable[..., Any] | None) -> QObject | None:
    owner = getattr(callback, "__self__", None)
    return owner if isinstance(owner, QObject) else None


def wait_for_tasks(timeout_ms: int = 30000, pool: TaskPool | None = None) -> bool:
    """Block until the pool is idle (for shutdown and scripts; never call it from a GUI event)."""
    return (pool or default_pool()).wait(timeout_ms)
