"""after_first_frame: work that must not compete with a window's first paint starts after it."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from studio.ui.first_frame import after_first_frame


class Painted(QWidget):
    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def paintEvent(self, event) -> None:  # noqa: ANN001
        self.log.append("paint")
        super().paintEvent(event)


def test_the_callback_runs_once_after_the_first_paint(qtbot):
    log: list[str] = []
    widget = Painted(log)
    qtbot.addWidget(widget)
    widget.resize(200, 100)
    widget.show()
    after_first_frame(widget, lambda: log.append("started"))
    assert "started" not in log  # not before the window is on screen
    qtbot.waitUntil(lambda: "started" in log)
    assert log.index("paint") < log.index("started")
    widget.update()
    qtbot.wait(1200)  # past the fallback timer: it must not call a second time
    assert log.count("started") == 1


def test_a_hidden_widget_or_one_already_on_screen_runs_it_at_once(qtbot):
    log: list[str] = []
    hidden = Painted(log)
    qtbot.addWidget(hidden)
    after_first_frame(hidden, lambda: log.append("hidden"))
    assert log == ["hidden"]

    shown = Painted(log)
    qtbot.addWidget(shown)
    with qtbot.waitExposed(shown):
        shown.show()
    after_first_frame(shown, lambda: log.append("shown"))
    assert log[-1] == "shown"
