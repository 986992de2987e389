"""Stopping long work (a generation, an export) from another thread.

The UI or CLI thread calls `cancel()`; the worker calls `raise_if_cancelled()` between steps or
frames, which raises `studio.errors.Cancelled` naming what stopped.
"""

from __future__ import annotations

import threading

from studio.errors import Cancelled


class CancelToken:
    """Set from any thread, checked by the worker. `what` names the work in the Cancelled message."""

    def __init__(self, what: str = "work") -> None:
        self.what = what
        self.reason = "canceled"  # or "paused": what the engine records when the job stops
        self._event = threading.Event()

    def cancel(self, reason: str = "canceled") -> None:
        """Ask the work to stop; `reason` ("canceled" or "paused") goes into the Cancelled it raises."""
        self.reason = reason
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise Cancelled ("Export canceled.", "Generation paused.") once cancel() was called."""
        if self._event.is_set():
            raise Cancelled(f"{self.what[:1].upper()}{self.what[1:]} {self.reason}.", self.reason)
