"""The dark theme (studio/ui/theme.py, studio/ui/chrome.py): neither an application-wide style sheet nor a
Python style, and the looks that used to come from them (hint/error/notice text, the blue Generate button, the
active monitor's dock title, a prompt marked invalid, the image drop zone, tool buttons with a face and checked
ones in blue) are still there. Pixels are read from offscreen grabs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QToolButton, QWidget

from studio.app import make_application
from studio.ui.chrome import Dock, button_face
from studio.ui.image_drop import ImageDropZone
from studio.ui.model_choices import ModelChoice
from studio.ui.prompt_panel import PromptPanel
from studio.ui.queue_panel import QueuePanel
from studio.ui.theme import (
    ACCENT,
    ACCENT_BUTTON,
    ERROR,
    HINT,
    INVALID,
    NOTICE,
    SELECTION,
    TEXT,
    TIMECODE,
    TIMECODE_BACKGROUND,
    WARNING,
    Tone,
    set_flag,
    tone,
)


@pytest.fixture
def app(qapp) -> QApplication:
    return make_application()


def text_colour(widget: QWidget) -> str:
    return widget.palette().color(QPalette.ColorRole.WindowText).name()


def colours(image: QImage, y: int | None = None, x: int | None = None) -> set[str]:
    """The colours of one row (y) or one column (x) of `image`."""
    if y is not None:
        return {image.pixelColor(i, y).name() for i in range(image.width())}
    return {image.pixelColor(x, j).name() for j in range(image.height())}


def near(colour: str, wanted: str, tolerance: int = 40) -> bool:
    a, b = QColor(colour), QColor(wanted)
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) <= tolerance


def test_the_application_has_no_style_sheet(app):
    # Start-up cost (issue 15): any app-wide sheet styles every widget through QStyleSheetStyle.
    assert app.styleSheet() == ""
    # Nor a style written in Python: PySide called it for every control drawn (~14 ms of the first frame).
    assert type(app.style()).__module__.startswith("PySide6") and app.style().name() == "fusion"
    assert app.palette().color(QPalette.ColorRole.WindowText).name() == TEXT


def test_tones_colour_the_text_and_the_default_stays_plain(app, qtbot):
    plain = QLabel("plain")
    assert text_colour(plain) == TEXT
    assert text_colour(tone(QLabel(), Tone.HINT)) == HINT
    assert text_colour(tone(QLabel(), "error")) == ERROR
    assert text_colour(tone(QLabel(), Tone.NOTICE)) == NOTICE
    assert text_colour(tone(QLabel(), Tone.WARNING)) == WARNING
    clock = tone(QLabel(), Tone.TIMECODE)
    assert text_colour(clock) == TIMECODE and clock.autoFillBackground()
    assert clock.palette().color(QPalette.ColorRole.Window).name() == TIMECODE_BACKGROUND


def test_the_prompt_panel_keeps_its_tones_and_its_blue_generate_button(app, qtbot):
    panel = PromptPanel()
    qtbot.addWidget(panel)
    assert text_colour(panel.error) == ERROR
    assert text_colour(panel.model_note) == NOTICE
    assert text_colour(panel.expectation) == HINT
    button = panel.generate_button
    assert button.palette().color(QPalette.ColorRole.Button).name() == ACCENT_BUTTON
    assert button.palette().color(QPalette.ColorRole.ButtonText).name() == "#ffffff"
    assert button.font().bold()
    queue = QueuePanel()
    qtbot.addWidget(queue)
    [empty] = [label for label in queue.findChildren(QLabel) if label.text().startswith("No jobs")]
    assert text_colour(empty) == HINT


def test_the_active_monitor_dock_title_is_underlined_in_the_accent(app, qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QWidget())
    dock = Dock("Program", window)
    dock.setWidget(QWidget())
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    window.resize(400, 300)
    window.show()
    qtbot.waitExposed(window)

    def title_rule() -> set[str]:
        image = dock.grab().toImage()
        top = dock.widget().geometry().top()  # the title bar ends where the dock's page begins
        return colours(image, y=top - 1) | colours(image, y=top - 2)

    assert not any(near(c, ACCENT) for c in title_rule())
    set_flag(dock, "activeMonitor", True)
    assert any(near(c, ACCENT) for c in title_rule())
    set_flag(dock, "activeMonitor", False)
    assert not any(near(c, ACCENT) for c in title_rule())


def test_an_empty_prompt_gets_a_red_border_until_it_is_cleared(app, qtbot):
    panel = PromptPanel()
    qtbot.addWidget(panel)
    panel.set_models([ModelChoice("tiny-random", "Tiny random", True, None, None, 32, 24.0, needs_weights=False)])
    panel.resize(400, 900)
    panel.show()
    qtbot.waitExposed(panel)
    left_edge = lambda: colours(panel.prompt.grab().toImage(), x=0)  # noqa: E731
    assert not any(near(c, INVALID) for c in left_edge())
    panel.generate()  # an empty prompt: refused inline
    assert panel.prompt.property("invalid")
    assert any(near(c, INVALID) for c in left_edge())
    panel.prompt.setPlainText("a red ball")
    panel.generate()
    assert not any(near(c, INVALID) for c in left_edge())


def test_the_drop_zone_border_lights_up_while_an_image_hovers(app, qtbot):
    zone = ImageDropZone()
    qtbot.addWidget(zone)
    zone.resize(300, 60)
    zone.show()
    qtbot.waitExposed(zone)
    top_row = lambda: colours(zone.grab().toImage(), y=0)  # noqa: E731
    assert not any(near(c, ACCENT) for c in top_row())
    set_flag(zone, "hover", True)
    assert any(near(c, ACCENT) for c in top_row())


def test_tool_buttons_keep_a_face_and_show_checked_in_the_selection_blue(app, qtbot):
    row = QWidget()
    qtbot.addWidget(row)
    button = button_face(QToolButton(row, checkable=True, text="Loop"))
    button.resize(60, 24)
    row.show()
    qtbot.waitExposed(row)
    face = lambda: colours(button.grab().toImage(), x=5)  # noqa: E731  (a column of the face, left of the text)
    assert not button.autoRaise()  # a face also where the toolbar would draw none
    blue = lambda: [c for c in face() if QColor(c).blue() - QColor(c).red() > 60]  # noqa: E731  (Fusion lightens it)
    assert blue() == []
    button.setChecked(True)
    assert blue() != [] and button.palette().color(QPalette.ColorRole.Button).name() == SELECTION
    button.setChecked(False)
    assert blue() == []
