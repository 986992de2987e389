"""The Preview's transport row: buttons, scrub bar and timecode. Widgets only; the Preview wires them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QWidget


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
            button.setAutoRaise(True)
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
