"""The Inspector's clip section: the selected timeline clip's position and source in/out (in the
project's timecode), its speed, its sound (gain, fades, volume keyframes), the text over its picture and
its reframe (position and scale), applied as one undoable edit."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
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
from studio.media.framing import FILLS, Framing
from studio.media.text_positions import POSITIONS  # not overlay: that loads OpenCV
from studio.project.clip_props import (
    MAX_DB,
    MAX_SPEED,
    MIN_DB,
    MIN_SPEED,
    SoundProps,
    format_keys,
    make_props,
    parse_keys,
)
from studio.project.framing import MAX_OFFSET, MAX_SCALE, MIN_SCALE, framing_metadata, make_framing
from studio.ui.theme import Tone, tone
from studio.ui.timeline.clip_facts import ClipEdit, ClipFacts
from studio.ui.timeline.timescale import parse_timecode, timecode

FILL_LABELS = {"blur": "Blurred fill", "black": "Black"}


class ClipInspector(QGroupBox):
    """Hidden until a timeline clip is selected; `apply_requested(ClipEdit)` when the creator applies
    (the editor makes it one undo step and answers a refusal through `show_error`)."""

    apply_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Timeline clip", parent)
        self._facts: ClipFacts | None = None
        self.place = QLabel(wordWrap=True)
        self.start = QLineEdit(placeholderText="HH:MM:SS:FF")
        self.source_in = QLineEdit(placeholderText="HH:MM:SS:FF")
        self.source_out = QLineEdit(placeholderText="HH:MM:SS:FF")
        self.speed = QDoubleSpinBox(suffix=" %", decimals=1, singleStep=10.0)
        self.speed.setRange(MIN_SPEED * 100, MAX_SPEED * 100)
        self._shown_speed = 100.0  # the spin's value for the clip's speed, as shown (rounded to its decimals)
        self.media = tone(QLabel(wordWrap=True), Tone.HINT)
        self.overwrite = QCheckBox("Cover clips in the way (overwrite)")
        self.gain = self._db_spin()
        self.fade_in = self._seconds_spin()
        self.fade_out = self._seconds_spin()
        self.keys = QLineEdit(placeholderText="e.g. 0:-6, 1.5:0  (seconds:dB)")
        self.text = QLineEdit(placeholderText="Text over the picture (a title, a caption)")
        self.text_position = QComboBox()
        for position in POSITIONS:
            self.text_position.addItem(position.capitalize(), position)
        self.reframe = QComboBox()
        self.reframe.addItem("Whole, over a blurred fill", "fit")
        self.reframe.addItem("Custom position and scale", "custom")
        self.scale = QDoubleSpinBox(suffix=" %", decimals=0, singleStep=5.0)
        self.scale.setRange(MIN_SCALE * 100, MAX_SCALE * 100)
        self.offset_x, self.offset_y = self._offset_spin(), self._offset_spin()
        self.fill = QComboBox()
        for fill in FILLS:
            self.fill.addItem(FILL_LABELS[fill], fill)
        self.scale.setToolTip("100 % fits the whole picture inside the frame; more crops it at the frame's edges")
        self.offset_x.setToolTip("From the frame's centre, in % of the frame's width (+ moves right)")
        self.offset_y.setToolTip("From the frame's centre, in % of the frame's height (+ moves down)")
        self.fill.setToolTip("What shows around the picture where no track beneath has one")
        self.start.setToolTip("Where the clip starts on its track (HH:MM:SS:FF, or seconds)")
        self.source_in.setToolTip("The first frame of its media it shows (HH:MM:SS:FF, or seconds)")
        self.source_out.setToolTip("Where in its media it ends (HH:MM:SS:FF, or seconds)")
        self.speed.setToolTip("How fast it plays its media, picture and sound (pitch follows): at 200 % its In "
                              "to Out takes half the time on the track; In stays")
        self.reframe.currentIndexChanged.connect(self._reframe_mode_changed)
        self.error = tone(QLabel(wordWrap=True, objectName="clipError"), Tone.WARNING)
        self.error.hide()
        apply = QPushButton("Apply")
        apply.clicked.connect(self.apply)
        form = QFormLayout()
        form.addRow("Clip", self.place)
        form.addRow("Start", self.start)
        form.addRow("In", self.source_in)
        form.addRow("Out", self.source_out)
        form.addRow("Speed", self.speed)
        form.addRow("", self.media)
        form.addRow("", self.overwrite)
        form.addRow("Gain", self.gain)
        form.addRow("Fade in", self.fade_in)
        form.addRow("Fade out", self.fade_out)
        form.addRow("Volume keys", self.keys)
        form.addRow("Text", self.text)
        form.addRow("Text at", self.text_position)
        form.addRow("Reframe", self.reframe)
        form.addRow("Scale", self.scale)
        form.addRow("X", self.offset_x)
        form.addRow("Y", self.offset_y)
        form.addRow("Around it", self.fill)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(apply)
        self._reframe_mode_changed()
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

    @staticmethod
    def _offset_spin() -> QDoubleSpinBox:
        """An offset from the frame's centre, in percent of the frame's width (X) or height (Y)."""
        spin = QDoubleSpinBox(suffix=" %", decimals=1, singleStep=5.0)
        spin.setRange(-MAX_OFFSET * 100, MAX_OFFSET * 100)
        return spin

    def _reframe_mode_changed(self) -> None:
        custom = self.reframe.currentData() == "custom"
        for widget in (self.scale, self.offset_x, self.offset_y, self.fill):
            widget.setEnabled(custom)

    def show_clip(self, facts: ClipFacts | None) -> None:
        """Show the clip (None hides the section)."""
        self._facts = facts
        if facts is None:
            self.hide()
            return
        tc = self._timecode
        self.setTitle(f"Timeline clip: {facts.name}" + (f"  (offline: {facts.offline})" if facts.offline else ""))
        self.place.setText(f"{facts.track}, {tc(facts.start)} – {tc(facts.end)} ({facts.end - facts.start:.2f} s)")
        self.start.setText(tc(facts.start))
        self.source_in.setText(tc(facts.source_in))
        self.source_out.setText(tc(facts.source_out))
        self.media.setText(f"Media {tc(facts.media[0])} – {tc(facts.media[1])}" if facts.media else "")
        # A held frame (an imported FreezeFrame) has no speed to set here: shown, not editable.
        self.speed.setSpecialValueText("Held frame" if facts.speed <= 0 else "")
        self.speed.setValue(facts.speed * 100 if facts.speed > 0 else self.speed.minimum())
        self.speed.setEnabled(facts.speed > 0)
        self._shown_speed = self.speed.value()
        self.overwrite.setChecked(False)
        self.gain.setValue(facts.sound.gain_db)
        self.fade_in.setValue(facts.sound.fade_in_s)
        self.fade_out.setValue(facts.sound.fade_out_s)
        self.keys.setText(format_keys(facts.sound.volume_keys))
        self.text.setText(facts.text)
        self.text_position.setCurrentIndex(max(0, self.text_position.findData(facts.text_position)))
        framing = facts.framing or Framing()
        self.reframe.setCurrentIndex(self.reframe.findData("custom" if facts.framing else "fit"))
        self.scale.setValue(framing.scale * 100)
        self.offset_x.setValue(framing.x * 100)
        self.offset_y.setValue(framing.y * 100)
        self.fill.setCurrentIndex(max(0, self.fill.findData(framing.fill)))
        self.error.hide()
        self.show()

    def _timecode(self, seconds: float) -> str:
        return timecode(seconds, self._facts.rate if self._facts else 24.0)

    def props(self) -> SoundProps:
        """The properties as entered (ProjectError names what is wrong)."""
        return make_props(self.gain.value(), self.fade_in.value(), self.fade_out.value(), parse_keys(self.keys.text()))

    def placement(self) -> tuple[float, float, float] | None:
        """(start, source in, source out) in seconds as entered; None where all three are as shown.
        ValueError names a field that is not a timecode."""
        facts = self._facts
        if facts is None:
            return None
        fields = (self.start, self.source_in, self.source_out)
        shown = (facts.start, facts.source_in, facts.source_out)
        if all(f.text().strip() == self._timecode(v) for f, v in zip(fields, shown)):
            return None
        values = []
        for name, field_ in zip(("Start", "In", "Out"), fields):
            try:
                values.append(parse_timecode(field_.text(), facts.rate))
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        start, source_in, source_out = values
        if source_out <= source_in:
            raise ValueError(f"Out ({self.source_out.text().strip()}) must come after In "
                             f"({self.source_in.text().strip()}).")
        return start, source_in, source_out

    def new_speed(self) -> float | None:
        """The speed as entered (1.0 is normal); None where it is as shown."""
        if not self.speed.isEnabled() or self.speed.value() == self._shown_speed:
            return None
        return self.speed.value() / 100

    def framing(self) -> Framing | None:
        """The reframe as entered (None: the project's framing, whole over a blurred fill); ProjectError names a value out of range."""
        if self.reframe.currentData() != "custom":
            return None
        return make_framing(self.scale.value() / 100, self.offset_x.value() / 100, self.offset_y.value() / 100,
                            self.fill.currentData())

    def show_error(self, message: str) -> None:
        """Say why the last Apply changed nothing (the editor's refusal, or a field that is wrong)."""
        self.error.setText(message)
        self.error.show()

    def apply(self) -> None:
        try:
            props = self.props()
            placement = self.placement()
            framing = self.framing()
        except (ProjectError, ValueError) as exc:
            self.show_error(str(exc))
            return
        self.error.hide()
        text = self.text.text().strip()
        entered = self._metadata(props, text, self.text_position.currentData(), framing)
        # Only what the creator changed: the other selected clips keep their own values, and keys typed
        # now count from the clip's start after a new in point (untouched ones follow its media).
        facts = self._facts
        shown = (self._metadata(facts.sound, facts.text, facts.text_position, facts.framing)
                 if facts is not None else {})
        changes = {key: value for key, value in entered.items() if shown.get(key, None) != value}
        self.apply_requested.emit(ClipEdit(changes, placement, self.overwrite.isChecked(), self.new_speed()))

    @staticmethod
    def _metadata(sound: SoundProps, text: str, text_position: str, framing: Framing | None) -> dict[str, object]:
        """The metadata["kinora"] keys the Inspector edits, as it would store them."""
        return {**sound.to_metadata(), "text": text or None, "text_position": text_position if text else None,
                **framing_metadata(framing)}
