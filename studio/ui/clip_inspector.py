"""The Inspector's clip section: where the selected timeline clip sits, its source in/out, and the sound
properties an editor sets on it (gain, fades, volume keyframes), applied as one undoable edit."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.errors import ProjectError
from studio.media.text_positions import POSITIONS  # not overlay: that loads OpenCV
from studio.project.clip_props import MAX_DB, MIN_DB, SoundProps, format_keys, make_props, parse_keys
from studio.ui.timeline.clip_facts import ClipFacts
from studio.ui.timeline.timescale import timecode


class ClipInspector(QGroupBox):
    """Hidden until a timeline clip is selected; `apply_requested(dict)` (metadata["kinora"] changes: the
    sound properties and the text over the picture) when the creator applies."""

    apply_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Timeline clip", parent)
        self.place = QLabel(wordWrap=True)
        self.source = QLabel(wordWrap=True)
        self.gain = self._db_spin()
        self.fade_in = self._seconds_spin()
        self.fade_out = self._seconds_spin()
        self.keys = QLineEdit(placeholderText="e.g. 0:-6, 1.5:0  (seconds:dB)")
        self.text = QLineEdit(placeholderText="Text over the picture (a title, a caption)")
        self.text_position = QComboBox()
        for position in POSITIONS:
            self.text_position.addItem(position.capitalize(), position)
        self.error = QLabel(wordWrap=True, objectName="clipError")
        self.error.setStyleSheet("color: #f2a64e;")
        self.error.hide()
        apply = QPushButton("Apply")
        apply.clicked.connect(self.apply)
        form = QFormLayout()
        form.addRow("Position", self.place)
        form.addRow("Source", self.source)
        form.addRow("Gain", self.gain)
        form.addRow("Fade in", self.fade_in)
        form.addRow("Fade out", self.fade_out)
        form.addRow("Volume keys", self.keys)
        form.addRow("Text", self.text)
        form.addRow("Text at", self.text_position)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(apply)
        self.hide()

    @staticmethod
    def _db_spin() -> QDoubleSpinBox:
        spin = QDoubleSpinBox(suffix=" dB", decimals=1, singleStep=1.0)
        spin.setRange(MIN_DB, MAX_DB)
        return spin

    @staticmethod
    def _seconds_spin() -> QDoubleSpinBox:
        spin = QDoubleSpinBox(suffix=" s", decimals=2, singleStep=0.1)
        spin.setRange(0.0, 600.0)
        return spin

    def show_clip(self, facts: ClipFacts | None) -> None:
        """Show the clip (None hides the section)."""
        if facts is None:
            self.hide()
            return
        self.setTitle(f"Timeline clip: {facts.name}" + (f"  (offline: {facts.offline})" if facts.offline else ""))
        self.place.setText(f"{facts.track}, {timecode(facts.start, facts.rate)} – {timecode(facts.end, facts.rate)} "
                           f"({facts.end - facts.start:.2f} s)")
        self.source.setText(f"in {facts.source_in:.2f} s, out {facts.source_out:.2f} s")
        self.gain.setValue(facts.sound.gain_db)
        self.fade_in.setValue(facts.sound.fade_in_s)
        self.fade_out.setValue(facts.sound.fade_out_s)
        self.keys.setText(format_keys(facts.sound.volume_keys))
        self.text.setText(facts.text)
        self.text_position.setCurrentIndex(max(0, self.text_position.findData(facts.text_position)))
        self.error.hide()
        self.show()

    def props(self) -> SoundProps:
        """The properties as entered (ProjectError names what is wrong)."""
        return make_props(self.gain.value(), self.fade_in.value(), self.fade_out.value(), parse_keys(self.keys.text()))

    def apply(self) -> None:
        try:
            props = self.props()
        except ProjectError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.error.hide()
        text = self.text.text().strip()
        self.apply_requested.emit({**props.to_metadata(), "text": text or None,
                                   "text_position": self.text_position.currentData() if text else None})
