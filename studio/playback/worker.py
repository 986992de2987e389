"""A daemon thread that sleeps on a condition until there is work, for the playback feeders.

Subclasses keep their shared state under `self._cond`, notify it when they add work, and write
`_loop`, which waits with `_wait_for_work` and returns once that says the worker is closed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class BackgroundWorker:
    """Owns the condition, the closed flag and the thread; `close()` stops and joins it."""

    def __init__(self, name: str) -> None:
        """Start the thread: call this last in a subclass's __init__, once `_loop`'s state exists."""
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread (it finishes the item in hand first; waits up to 2 s for it)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=2.0)

    def _wait_for_work(self, ready: Callable[[], bool]) -> bool:
        """Holding `self._cond`: sleep until `ready()` or close; False once closed."""
        self._cond.wait_for(lambda: self._closed or ready())
        return not self._closed

    def _loop(self) -> None:
        raise NotImplementedError
