"""The Preview's transport row: buttons, scrub bar, timecode and level meter. Widgets only; the Preview wires them."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSlider, QToolButton, QWidget

from studio.ui.chrome import button_face


class TransportBar(QWidget):
    """Buttons for the given actions, then the scrub bar and the timecode."""

    def __init__(self, actions: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        row.setSpacing(2)
        self.buttons: dict[str, QToolButton] = {}
        for action in actions:
            button = QToolButton(self)
            button.setDefaultAction(action)
            button_face(button)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            row.addWidget(button)
            self.buttons[action.objectName()] = button
        self.scrub = QSlider(Qt.Orientation.Horizontal, self)
        self.scrub.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # arrow keys step frames, not the slider
        self.scrub.setToolTip("Drag to scrub (with sound)")
        self.scrub.setRange(0, 0)
        row.addWidget(self.scrub, 1)
        self.timecode = QLabel("00:00:00:00", self)
        self.timecode.setObjectName("timecode")
        self.timecode.setToolTip("Position / duration (hours:minutes:seconds:frames)")
        row.addWidget(self.timecode)
        self.meter = QProgressBar(self, objectName="levelMeter", textVisible=False)
        self.meter.setOrientation(Qt.Orientation.Vertical)
        self.meter.setRange(-60, 0)
        self.meter.setValue(-60)  # silence until the first level (a new bar holds -1: it read nearly full)
        self.meter.setFixedSize(8, 22)
        self.meter.setToolTip("Sound level (dBFS)")
        row.addWidget(self.meter)

    def show_level(self, peak: float | None) -> None:
        """The meter at `peak` (0..1, shown from -60 to 0 dBFS); hidden without sound output."""
        self.meter.setVisible(peak is not None)
        if peak is not None:
            self.meter.setValue(level_db(peak))


def level_db(peak: float, floor: int = -60) -> int:
    """A peak (0..1) in whole dBFS, no lower than `floor`."""
    return int(max(floor, min(0.0, 20 * math.log10(peak)))) if peak > 0 else floor
