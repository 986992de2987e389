"""Cancelling long media work (export) from another thread."""

from __future__ import annotations

import threading

from studio.errors import MediaError


class Cancelled(MediaError):
    """The work was cancelled by the user; nothing was left under the destination name."""


class CancelToken:
    """Set by the UI or CLI thread, checked by the worker between frames."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise Cancelled if cancel() was called."""
        if self._event.is_set():
            raise Cancelled("export cancelled; no file was written")
