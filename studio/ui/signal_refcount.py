"""A guard against PySide6's borrowed-`True` return from `SignalInstance.emit` and `.disconnect`.

PySide6 6.12.0 returns `True` from `emit()` and `disconnect()` without taking a reference to it. On
CPython 3.11, where `True` is an ordinary counted object, every Python-side `emit()` therefore drops
one reference that was never taken. The studio emits thousands of signals a minute (the Preview's
position at 60 Hz, engine progress, worker results), so after a while `True`'s count reaches zero,
the interpreter frees it, and the process dies with a fatal error or a segmentation fault.

`install()` measures the leak once and, only where it is present, wraps both methods so they take
the missing reference. A fixed PySide6 (or a Python with immortal booleans) measures no leak and is
left alone.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

_PROBES = 8
_installed = False


class _Probe(QObject):
    ping = Signal()

    def pong(self) -> None:
        """A slot to connect and disconnect (the leak is measured on real calls)."""


def _true_refs_lost(call: Callable[[], Any]) -> int:
    before = sys.getrefcount(True)
    for _ in range(_PROBES):
        call()
    return before - sys.getrefcount(True)


def _emit_probe(probe: _Probe) -> None:
    probe.ping.emit()


def _disconnect_probe(probe: _Probe) -> None:
    probe.ping.connect(probe.pong)
    probe.ping.disconnect(probe.pong)


def _take_missing_reference(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(self: SignalInstance, *args: Any) -> Any:
        result = method(self, *args)
        if result is True or result is False:
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))  # the reference PySide did not take
        return result

    wrapped.__name__ = method.__name__
    wrapped.__doc__ = method.__doc__
    return wrapped


def install() -> list[str]:
    """Wrap the leaking SignalInstance methods (once per process); returns the names wrapped."""
    global _installed
    if _installed:
        return []
    _installed = True
    probe = _Probe()
    leaking = [name for name, check in (("emit", _emit_probe), ("disconnect", _disconnect_probe))
               if _true_refs_lost(lambda check=check: check(probe)) >= _PROBES]
    for name in leaking:
        setattr(SignalInstance, name, _take_missing_reference(getattr(SignalInstance, name)))
    return leaking
