"""The Export dialog: preset, fit/fill, watermark, Content Credentials, progress with ETA, cancel.

`ExportDialog(lib, project_id, parent=None, *, take_id=None)` exports the project (or, with
`take_id`, one take). The export runs through the one task mechanism (`ExportJob`); given the
window's `queue`, it goes into the Queue dock (progress, cancel) and the dialog closes, otherwise the
dialog shows its progress. When it is done `exported(Path)` is emitted (and, in the dialog, the
folder opens unless unticked); an error names the step that failed. The settings are remembered.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from studio.ui.export_job import PROGRESS_STEPS, ExportJob, ExportQueue, describe_status
from studio.ui.settings import studio_settings

if TYPE_CHECKING:
    from studio.exporting import ExportStatus
    from studio.library.library import Library


PRESET_LABELS = {"source": "Source size", "9:16": "9:16 vertical (1080×1920)", "16:9": "16:9 (1920×1080)",
                 "1:1": "1:1 square (1080×1080)", "720p": "720p (1280×720)"}
FIT_LABELS = {"fit": "Fit (letterbox)", "fill": "Fill (crop)", "blur": "Fit over a blurred fill"}


class ExportDialog(QDialog):
    """Export a project (or one take) to MP4, signed and watermarked by default."""

    exported = Signal(object)  # Path of the finished file

    def __init__(self, lib: Library, project_id: int | None, parent: QWidget | None = None, *,
                 take_id: int | None = None, span: tuple[float, float] | None = None,
                 queue: ExportQueue | None = None, name: str = "kinora-export") -> None:
        """`span`: the timeline's In and Out marks (seconds); only that part is exported. `queue`: run it
        in the Queue dock. `name`: the project's, for the default file name."""
        from studio.media.presets import FITS, PRESETS
        from studio.media.watermark import CORNERS, WatermarkSettings

        super().__init__(parent)
        self.lib = lib
        self.project_id = project_id
        self.take_id = take_id
        self.span = span
        self.queue = queue
        self.name = name
        self.thread: ExportJob | None = None
        self.result_path: Path | None = None
        self.setWindowTitle("Export take" if take_id is not None else "Export project")

        self.preset = QComboBox()
        for name in PRESETS:
            self.preset.addItem(PRESET_LABELS.get(name, name), name)
        self.fit = QComboBox()
        for name in FITS:
            self.fit.addItem(FIT_LABELS.get(name, name), name)
        self.preset.currentIndexChanged.connect(self._preset_changed)

        defaults = WatermarkSettings()
        self.watermark = QGroupBox("Visible “AI-generated” watermark")
        self.watermark.setCheckable(True)
        self.watermark.setChecked(True)
        self.watermark_text = QLineEdit(defaults.text)
        self.watermark_position = QComboBox()
        for position in CORNERS:
            self.watermark_position.addItem(position.replace("-", " ").capitalize(), position)
        self.watermark_position.setCurrentIndex(max(0, self.watermark_position.findData(defaults.corner)))
        self.watermark_opacity = QSlider(Qt.Orientation.Horizontal)
        self.watermark_opacity.setRange(10, 100)
        self.watermark_opacity.setValue(round(defaults.opacity * 100))
        wm_form = QFormLayout(self.watermark)
        wm_form.addRow("Text", self.watermark_text)
        wm_form.addRow("Position", self.watermark_position)
        wm_form.addRow("Opacity", self.watermark_opacity)

        self.credentials = QCheckBox("Sign with Content Credentials (what made it, its recipe, its parents)")
        self.credentials.setChecked(True)
        self.path = QLineEdit(str(self._default_path()))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        self.open_folder = QCheckBox("Open the folder when done")
        self.open_folder.setChecked(True)

        self.progress = QProgressBar()
        self.progress.setRange(0, PROGRESS_STEPS)
        self.progress.setValue(0)
        self.status = QLabel("Ready.")
        self.notice = QLabel("")  # said before rendering: parts whose credentials travel unsigned, and why
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.error = QLabel(wordWrap=True, objectName="exportError")
        self.error.setStyleSheet("QLabel#exportError { color: #b00020; font-weight: bold; }")
        self.error.hide()
        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)

        form = QFormLayout()
        form.addRow("Format", self.preset)
        form.addRow("Shape", self.fit)
        form.addRow("Save as", path_row)
        if span is not None:
            form.addRow("Range", QLabel(f"In {span[0]:.2f} s to Out {span[1]:.2f} s (the timeline's marks)"))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.watermark)
        layout.addWidget(self.credentials)
        layout.addWidget(self.open_folder)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.notice)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        # One take keeps its own size by default; a project is cut for the common 16:9 screen.
        self.preset.setCurrentIndex(max(0, self.preset.findData("source" if take_id is not None else "16:9")))
        self._preset_changed()
        self._restore_settings()
        if project_id is None and take_id is None:
            self._show_error("Open a project (or select a take) to export.")
            self.export_button.setEnabled(False)

    # -- running ---------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.running

    def start(self) -> None:
        """Start the export on a worker thread with the dialog's settings."""
        from studio.cancel import CancelToken
        from studio.exporting import export_project, export_take
        from studio.media.presets import get_preset

        if self.running:
            return
        out = Path(self.path.text().strip()).expanduser()
        if not self.path.text().strip() or out.is_dir():
            self._show_error("Choose a file name to save the export as (e.g. my-clip.mp4).")
            return
        if out.suffix.lower() not in (".mp4", ".mov", ".m4v"):
            out = out.with_suffix(".mp4")
            self.path.setText(str(out))
        preset = get_preset(self.preset.currentData(), self.fit.currentData())
        options = dict(watermark=self.watermark_settings(), sign=self.credentials.isChecked())
        lib, project_id, take_id, span = self.lib, self.project_id, self.take_id, self.span
        cancel = CancelToken("export")
        if take_id is not None:
            def job(progress: Any) -> Path:
                return export_take(lib, take_id, out, preset=preset, progress=progress, cancel=cancel, **options)
        else:
            def job(progress: Any) -> Path:
                return export_project(lib, project_id, out, preset, progress=progress, cancel=cancel, span=span,
                                      **options)
        self._save_settings()
        self.error.hide()
        self.result_path = None
        if self.queue is not None:  # the Queue dock shows it from here on
            queued = ExportJob(job, cancel)
            self.queue.add(queued, out.name)  # the queue reports the outcome: this dialog closes now
            queued.start()
            self.accept()
            return
        self.progress.setValue(0)
        self.status.setText("Starting…")
        self._set_editing(False)
        self.thread = ExportJob(job, cancel, self)
        self.thread.status.connect(self._on_status)
        self.thread.succeeded.connect(self._on_done)
        self.thread.failed.connect(self._on_failed)
        self.thread.canceled.connect(self._on_canceled)
        self.thread.start()

    def cancel(self) -> None:
        """Cancel a running export (nothing is left behind), or close the dialog when idle."""
        if self.running:
            self.status.setText("Canceling…")
            self.cancel_button.setEnabled(False)
            self.thread.cancel_token.cancel()  # type: ignore[union-attr]
        else:
            self.reject()

    def watermark_settings(self) -> Any:
        """The watermark the user set up, or False when it is turned off."""
        from studio.media.watermark import WatermarkSettings

        if not self.watermark.isChecked():
            return False
        return WatermarkSettings(text=self.watermark_text.text().strip() or WatermarkSettings().text,
                                 corner=self.watermark_position.currentData(),
                                 opacity=self.watermark_opacity.value() / 100)

    def reject(self) -> None:
        if self.running:  # closing the window cancels (nothing is left behind)
            self.thread.cancel_token.cancel()  # type: ignore[union-attr]
        super().reject()

    # -- progress --------------------------------------------------------------------------------
    def _on_status(self, status: ExportStatus) -> None:
        if status.phase == "notice":
            self.notice.setText("\n".join(filter(None, [self.notice.text(), f"Note: {status.detail}"])))
            self.notice.show()
            return
        self.progress.setValue(round(status.fraction * PROGRESS_STEPS))
        self.status.setText(describe_status(status))

    def _on_done(self, path: Path) -> None:
        self.result_path = Path(path)
        self.progress.setValue(PROGRESS_STEPS)
        signed = " with Content Credentials" if self.credentials.isChecked() else ""
        self.status.setText(f"Saved {self.result_path.name}{signed}.")
        self._finish()
        self.cancel_button.setText("Close")
        if self.open_folder.isChecked():
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.result_path.parent)))
        self.exported.emit(self.result_path)

    def _on_failed(self, phase: str, message: str) -> None:
        step = {"rendering": "Rendering the video", "signing": "Signing the Content Credentials"}.get(phase, "Export")
        self._show_error(f"{step} failed: {message}")
        self.status.setText("Nothing was saved.")
        self._finish()

    def _on_canceled(self) -> None:
        self.progress.setValue(0)
        self.status.setText("Canceled; nothing was saved.")
        self._finish()

    def _finish(self) -> None:
        self.thread = None
        self._set_editing(True)
        self.cancel_button.setEnabled(True)

    # -- helpers ---------------------------------------------------------------------------------
    def _save_settings(self) -> None:
        settings = studio_settings()
        for key, value in (("preset", self.preset.currentData()), ("fit", self.fit.currentData()),
                           ("watermark", self.watermark.isChecked()), ("sign", self.credentials.isChecked()),
                           ("folder", str(Path(self.path.text()).expanduser().parent))):
            settings.setValue(f"export/{key}{'_take' if self.take_id is not None and key == 'preset' else ''}", value)
        settings.sync()

    def _restore_settings(self) -> None:
        """The last export's settings (a take and a project remember their format apart)."""
        settings = studio_settings()
        preset = settings.value("export/preset_take" if self.take_id is not None else "export/preset")
        if preset is not None and self.preset.findData(preset) >= 0:
            self.preset.setCurrentIndex(self.preset.findData(preset))
            self._preset_changed()
        fit = settings.value("export/fit")
        if fit is not None and self.fit.findData(fit) >= 0 and self.fit.isEnabled():
            self.fit.setCurrentIndex(self.fit.findData(fit))
        for box, key in ((self.watermark, "watermark"), (self.credentials, "sign")):
            value = settings.value(f"export/{key}")
            if value is not None:
                box.setChecked(str(value).lower() == "true")
        folder = settings.value("export/folder")
        if folder and Path(str(folder)).is_dir():
            self.path.setText(str(Path(str(folder)) / Path(self.path.text()).name))

    def _set_editing(self, editable: bool) -> None:
        for widget in (self.preset, self.fit, self.watermark, self.credentials, self.path, self.export_button):
            widget.setEnabled(editable)
        self.cancel_button.setText("Cancel")

    def _preset_changed(self) -> None:
        from studio.media.presets import PRESETS

        preset = PRESETS[self.preset.currentData()]
        self.fit.setCurrentIndex(max(0, self.fit.findData(preset.fit)))
        self.fit.setEnabled(preset.width is not None)  # "source" keeps the picture's own shape

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def _browse(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export as", self.path.text(), "MP4 video (*.mp4)")
        if name:
            self.path.setText(name)

    def _default_path(self) -> Path:
        videos = Path.home() / "Videos"
        folder = videos if videos.is_dir() else Path.home()
        if self.take_id is not None:
            return folder / f"kinora-take-{self.take_id}.mp4"
        name = self.name or "kinora-export"
        safe = "".join(c if c.isalnum() or c in "-_ " else "-" for c in name).strip() or "kinora-export"
        return folder / f"{safe}.mp4"
