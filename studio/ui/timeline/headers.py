"""Track headers beside the tracks: name and mute / solo / lock toggles, one row per track."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from studio.project.timeline import kinora_data
from studio.ui.chrome import button_face
from studio.ui.timeline.view import ROW_GAP, TimelineView

if TYPE_CHECKING:
    import opentimelineio as otio

HEADER_W = 132
FLAGS = (("mute", "M", "Mute this track in playback and export"),
         ("solo", "S", "Play only soloed tracks"),
         ("lock", "L", "Lock this track against edits"))


class TrackHeaders(QWidget):
    """A column of headers aligned with the view's rows; follows its vertical scroll."""

    flagToggled = Signal(str, str, bool)  # track name, flag, new value

    def __init__(self, view: TimelineView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.setFixedWidth(HEADER_W)
        self._rows: list[QFrame] = []
        self._buttons: dict[str, dict[str, QToolButton]] = {}
        self._layout_key: list[tuple[str, str, float]] = []
        view.verticalScrollBar().valueChanged.connect(self._place)

    def show_timeline(self, timeline: otio.schema.Timeline) -> None:
        """Show the view's rows; rows are rebuilt only when the tracks themselves change."""
        layout_key = [(row.name, row.kind, row.height) for row in self.view.rows]
        if layout_key != self._layout_key:
            self._build_rows()
            self._layout_key = layout_key
        for row in self.view.rows:
            data = kinora_data(timeline.tracks[row.track_index])
            for flag, button in self._buttons[row.name].items():
                button.blockSignals(True)  # showing the state is not toggling it
                button.setChecked(bool(data.get(flag)))
                button.blockSignals(False)
        self._place()

    def _build_rows(self) -> None:
        for frame in self._rows:
            frame.setParent(None)
            frame.deleteLater()
        self._rows, self._buttons = [], {}
        for row in self.view.rows:
            frame = QFrame(self)
            frame.setObjectName("trackHeader")
            frame.setStyleSheet("#trackHeader { background: #2a2c31; border-bottom: 1px solid #18191c; }")
            layout = QHBoxLayout(frame)
            layout.setContentsMargins(6, 2, 4, 2)
            layout.setSpacing(2)
            label = QLabel(row.name, frame)
            label.setStyleSheet("font-weight: bold; background: transparent; color: %s;"
                                % ("#8fb3ff" if row.kind == "video" else "#8fe0b3"))
            layout.addWidget(label)
            layout.addStretch(1)
            self._buttons[row.name] = {}
            for flag, text, tip in FLAGS:
                if flag == "solo" and row.kind == "video":
                    continue  # solo is a listening tool; the picture shows the top track anyway
                button = QToolButton(frame)
                button.setText(text)
                button.setToolTip(tip)
                button.setCheckable(True)
                button.setObjectName(f"{row.name}-{flag}")
                button.setFixedSize(22, 20)
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                button_face(button)
                button.toggled.connect(lambda checked, n=row.name, f=flag: self.flagToggled.emit(n, f, checked))
                layout.addWidget(button)
                self._buttons[row.name][flag] = button
            frame.setGeometry(0, 0, HEADER_W, int(row.height + ROW_GAP))
            frame.show()
            self._rows.append(frame)

    def _place(self) -> None:
        offset = self.view.verticalScrollBar().value()
        for frame, row in zip(self._rows, self.view.rows):
            frame.move(0, int(row.y) - offset + self.view.frameWidth())

