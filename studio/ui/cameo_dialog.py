"""The Cameo dialog (record yourself, or take a recording file, and verify it) and the review list of uses.

Recording shows the script's prompts (a random phrase to read, then turn left, then right) on a timer
while the camera and microphone record on a worker thread; verification and saving run on a worker
thread too. Without a camera the dialog says so and takes a file recorded to the same script.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.consent.records import Access, Cameo
from studio.consent.service import CameoService
from studio.consent.usage import Notification
from studio.consent.verify import Script, Verification, random_script
from studio.ui.tasks import run_async

ID_ROLE = Qt.ItemDataRole.UserRole
STILL_HEIGHT = 120


def _strip(images: list[QImage], height: int) -> QImage:
    """The reference stills side by side at `height` (built on a worker thread: QImage, not QPixmap)."""
    scaled = [i.scaledToHeight(height, Qt.TransformationMode.SmoothTransformation) for i in images if not i.isNull()]
    strip = QImage(sum(i.width() + 6 for i in scaled) or 1, height, QImage.Format.Format_ARGB32_Premultiplied)
    strip.fill(Qt.GlobalColor.transparent)
    painter = QPainter(strip)
    x = 0
    for image in scaled:
        painter.drawImage(x, 0, image)
        x += image.width() + 6
    painter.end()
    return strip


class CameoDialog(QDialog):
    """Make my cameo: handle, access, restrictions, a recording that passes verification."""

    saved = Signal(object)  # the Cameo

    def __init__(self, service: CameoService, parent: QWidget | None = None, *, camera: bool | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Your cameo")
        self.resize(620, 520)
        self.service = service
        self.script: Script = random_script()
        self._started = 0.0
        self._tmp = tempfile.TemporaryDirectory(prefix="kinora-cameo-")

        self.handle = QLineEdit(self, placeholderText="@yourname")
        self.access = QComboBox(self)
        for level in Access:
            self.access.addItem(level.label, str(level))
        self.access.setCurrentIndex(list(Access).index(Access.APPROVED))
        self.restrictions = QLineEdit(self, placeholderText="in your words, e.g. no political content; no ads")
        form = QFormLayout()
        form.addRow("Handle", self.handle)
        form.addRow("Who may use it", self.access)
        form.addRow("Restrictions", self.restrictions)

        self.instruction = QLabel(self, objectName="cameoInstruction", alignment=Qt.AlignmentFlag.AlignCenter,
                                  wordWrap=True)
        self.instruction.setMinimumHeight(90)
        self.instruction.setStyleSheet("font-size: 18px; font-weight: 600;")
        self.timeline = QLabel(self._script_text(), self, wordWrap=True)
        self.progress = QProgressBar(self, maximum=1000, textVisible=False)
        self.result = QLabel("", self, wordWrap=True, objectName="cameoResult")
        self.stills = QLabel(self, objectName="cameoStills")  # the reference stills, once verified

        if camera is None:
            from studio.consent.capture import camera_available

            camera = camera_available()
        self._camera = camera
        self.record_button = QPushButton("Record (8 s)", self, enabled=camera)
        self.record_button.clicked.connect(self.record)
        self.file_button = QPushButton("Use a recording file…", self)
        self.file_button.clicked.connect(self.choose_file)
        if not camera:
            self.instruction.setText("No camera found. Record yourself following the script below with any camera, "
                                     "then choose the file.")
        else:
            self.instruction.setText("Press Record, then follow the prompts shown here.")
        buttons = QHBoxLayout()
        buttons.addWidget(self.record_button)
        buttons.addWidget(self.file_button)
        buttons.addStretch(1)
        close = QPushButton("Close", self)
        close.clicked.connect(self.reject)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.instruction)
        layout.addWidget(self.progress)
        layout.addWidget(self.timeline)
        layout.addWidget(self.result)
        layout.addWidget(self.stills, 1)
        layout.addLayout(buttons)
        self._timer = QTimer(self, interval=100)
        self._timer.timeout.connect(self._tick)

    def _script_text(self) -> str:
        s = self.script
        return (f"Script ({s.duration:.0f} s, alone in the picture): {s.phrase_window[0]:.1f}-{s.phrase_window[1]:.1f} s "
                f"read aloud \u201c{s.phrase}\u201d; {s.left_window[0]:.1f}-{s.left_window[1]:.1f} s turn your head "
                f"left; {s.right_window[0]:.1f}-{s.right_window[1]:.1f} s turn it right. The voice sample is kept, "
                "but no model here can condition on a voice yet.")

    def record(self) -> None:
        from studio.consent.capture import record

        path = Path(self._tmp.name) / "recording.mp4"
        self._busy(True)
        self._started = time.monotonic()
        self._timer.start()
        script = self.script
        run_async(lambda: record(path, script), self._recorded, self._failed, receiver=self)

    def _tick(self) -> None:
        t = time.monotonic() - self._started
        self.instruction.setText(self.script.prompt_at(t))
        self.progress.setValue(min(1000, int(1000 * t / self.script.duration)))

    def _recorded(self, path: Path) -> None:
        self._timer.stop()
        self.use_file(path)

    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Choose your cameo recording", "", "Videos (*.mp4 *.mov *.webm *.mkv)")
        if name:
            self.use_file(Path(name))

    def use_file(self, path: Path) -> None:
        """Verify `path` and keep it as the cameo (on a worker thread); the result is shown here."""
        self._busy(True)
        self.result.setText("Verifying: one face, the head turning, speech while the phrase is shown…")
        handle, access = self.handle.text(), str(self.access.currentData())
        restrictions = tuple(r.strip() for r in self.restrictions.text().split(";") if r.strip())
        service, script = self.service, self.script
        run_async(lambda: service.create(path, handle, access, restrictions, script), self._saved, self._failed,
                  receiver=self)

    def _saved(self, made: tuple[Cameo, Verification]) -> None:
        cameo, result = made
        self._busy(False)
        self.result.setText(f"\u2714 Verified: @{cameo.handle} is saved with {len(cameo.still_media_ids)} reference "
                            f"stills and a voice sample ({result.one_face_ratio:.0%} of frames with one face, "
                            f"{result.voiced_ratio:.0%} voiced while reading). Who may use it: {cameo.access.label}.")
        self.saved.emit(cameo)
        service = self.service
        run_async(lambda: _strip([QImage(str(p)) for p in service.still_paths(cameo)], STILL_HEIGHT),
                  lambda image: self.stills.setPixmap(QPixmap.fromImage(image)), None, receiver=self)

    def _failed(self, exc: Exception) -> None:
        self._timer.stop()
        self._busy(False)
        self.result.setText(f"\u2716 {exc}")

    def _busy(self, busy: bool) -> None:
        self.file_button.setEnabled(not busy)
        self.record_button.setEnabled(not busy and self._camera)

    def done(self, code: int) -> None:
        self._timer.stop()
        super().done(code)


def use_line(use: Notification) -> str:
    state = (f"removed \u2014 {use.removed}" if use.removed else "removal requested" if use.removal_requested
             else "clip here" if use.take_id is not None else "not published (no clip)")
    return f"@{use.handle} used by {use.maker_name}: \u201c{use.prompt[:70]}\u201d  [{state}]"


class CameoUsesView(QWidget):
    """The review list: every signed receipt for my cameos; play the clip or ask for its removal."""

    play_take = Signal(int)

    def __init__(self, service: CameoService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        self.list.currentItemChanged.connect(self._selection_changed)
        self.list.itemActivated.connect(self._play)
        self.hint = QLabel("", self, wordWrap=True)
        self.play_button = QPushButton("Play clip", self, enabled=False)
        self.play_button.clicked.connect(lambda: self._play(self.list.currentItem()))
        self.remove_button = QPushButton("Ask for removal", self, enabled=False)
        self.remove_button.clicked.connect(self.request_removal)
        row = QHBoxLayout()
        row.addWidget(self.play_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Uses of your cameos</b> (signed receipts from the feeds you follow)", self))
        layout.addWidget(self.list, 1)
        layout.addWidget(self.hint)
        layout.addLayout(row)
        self._uses: dict[str, Notification] = {}

    def reload(self) -> None:
        run_async(self.service.uses, self.show_uses, lambda exc: self.hint.setText(f"Could not read uses: {exc}"),
                  receiver=self)

    def show_uses(self, uses: list[Notification]) -> None:
        self.list.clear()
        self._uses = {u.receipt_id: u for u in uses}
        for use in uses:
            item = QListWidgetItem(use_line(use))
            item.setData(ID_ROLE, use.receipt_id)
            self.list.addItem(item)
        if not uses:
            self.hint.setText("Nobody has used your cameos yet.")  # otherwise the last action's message stays
        self._selection_changed()

    def _current(self) -> Notification | None:
        item = self.list.currentItem()
        return self._uses.get(item.data(ID_ROLE)) if item is not None else None

    def _selection_changed(self, *_args: object) -> None:
        use = self._current()
        self.play_button.setEnabled(use is not None and use.take_id is not None)
        self.remove_button.setEnabled(use is not None and not use.removed and not use.removal_requested)

    def _play(self, item: QListWidgetItem | None) -> None:
        use = self._uses.get(item.data(ID_ROLE)) if item is not None else None
        if use is not None and use.take_id is not None:
            self.play_take.emit(use.take_id)

    def request_removal(self) -> None:
        use = self._current()
        if use is None:
            return
        self.remove_button.setEnabled(False)
        run_async(lambda: self.service.request_removal(use.receipt_id),
                  lambda _id: (self.hint.setText(f"Removal requested from {use.maker_name}; their studio acts on "
                                                 "its next sync."), self.reload()),
                  lambda exc: self.hint.setText(f"Could not ask for removal: {exc}"), receiver=self)
