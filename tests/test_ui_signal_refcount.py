"""Emitting signals from Python must not use up references to `True` (PySide6 6.12 on CPython 3.11)."""

from __future__ import annotations

import sys
import threading

from PySide6.QtCore import QObject, Qt, Signal

import studio.ui  # noqa: F401  (installs the guard)


class _Sender(QObject):
    value = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.received: list[object] = []
        self.value.connect(self.received.append, Qt.ConnectionType.QueuedConnection)


def test_many_emits_from_the_gui_and_a_worker_keep_true_alive(qtbot) -> None:
    sender = _Sender()
    before = sys.getrefcount(True)
    for i in range(5000):
        sender.value.emit(i)  # unguarded, each of these would free one reference to True
    worker = threading.Thread(target=lambda: [sender.value.emit(i) for i in range(5000)])
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(sender.received) == 10000)
    assert sys.getrefcount(True) >= before - 100  # a little slack for the interpreter's own churn


def test_connect_then_disconnect_keeps_true_alive(qtbot) -> None:
    sender = _Sender()
    before = sys.getrefcount(True)
    for _ in range(2000):
        sender.value.connect(sender.deleteLater)
        sender.value.disconnect(sender.deleteLater)
    assert sys.getrefcount(True) >= before - 100
