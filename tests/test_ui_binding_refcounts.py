"""The installed Qt binding must not use up references to None or True.

PySide6-Essentials 6.12.0 on CPython 3.11 returned None from every void call (processEvents, setText,
...) and True from every emit() without taking a reference. The studio makes such calls without end,
so after a while the interpreter freed None or True and the process died mid-run ("Fatal Python error",
or a segmentation fault inside pytest-qt's processEvents). pyproject.toml excludes that release; this
test fails fast, with the reason, if a binding with the same defect is installed again.
"""

from __future__ import annotations

import gc
import sys
import threading

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QLabel

from studio.ui.tasks import run_async, wait_for_tasks

CALLS = 3000
# A leaking binding loses one reference per call, all CALLS of them. Threads left by earlier tests
# (decoders, proxies) also free objects that point at None while we count, so allow that churn.
SLACK = CALLS // 2


class _Sender(QObject):
    value = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.received: list[object] = []
        self.value.connect(self.received.append, Qt.ConnectionType.QueuedConnection)


def _lost(singleton: object, calls) -> int:
    gc.collect()
    gc.disable()  # a collection in the middle would free objects holding None and blur the count
    try:
        before = sys.getrefcount(singleton)
        calls()
        return before - sys.getrefcount(singleton)
    finally:
        gc.enable()


def test_void_calls_keep_none_alive(qtbot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    app = QApplication.instance()

    def calls() -> None:
        for i in range(CALLS):
            label.setText(str(i % 10))
            app.processEvents()

    assert _lost(None, calls) < SLACK


def test_emits_from_the_gui_and_a_worker_keep_true_alive(qtbot) -> None:
    sender = _Sender()

    def calls() -> None:
        for i in range(CALLS):
            sender.value.emit(i)
        worker = threading.Thread(target=lambda: [sender.value.emit(i) for i in range(CALLS)])
        worker.start()
        worker.join()

    assert _lost(True, calls) < SLACK
    qtbot.waitUntil(lambda: len(sender.received) == 2 * CALLS)


def test_background_tasks_keep_none_alive(qtbot) -> None:
    results: list[int] = []

    def calls() -> None:
        for i in range(CALLS):
            run_async(lambda i=i: i, results.append)
        assert wait_for_tasks(30000)
        qtbot.waitUntil(lambda: len(results) == CALLS)

    assert _lost(None, calls) < SLACK
