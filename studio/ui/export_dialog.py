"""The Export dialog: preset, fit/fill, watermark, Content Credentials, progress with ETA, cancel.

`ExportDialog(lib, project_id, parent=None, *, take_id=None)` exports the project (or, with
`take_id`, one take). The export runs on a worker `QThread`; the GUI thread only receives its
progress. When it is done the folder opens (unless unticked) and `exported(Path)` is emitted;
an error is shown in the dialog, naming the step that failed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QThread, QUrl, Signal
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

from studio.cli.progress import format_duration
from studio.errors import Cancelled, KinoraError

if TYPE_CHECKING:
    from studio.cancel import CancelToken
    from studio.exporting import ExportStatus
    from studio.library.library import Library

log = logging.getLogger(__name__)

PRESET_LABELS = {"source": "Source size", "9:16": "9:16 vertical (1080×1920)", "16:9": "16:9 (1920×1080)",
                 "1:1": "1:1 square (1080×1080)", "720p": "720p (1280×720)"}
FIT_LABELS = {"fit": "Fit (letterbox)", "fill": "Fill (crop)"}
PHASE_LABELS = {"rendering": "Rendering", "signing": "Signing Content Credentials", "done": "Done"}
PROGRESS_STEPS = 1000


class ExportThread(QThread):
    """Runs one export job off the GUI thread; its signals arrive queued on the GUI thread."""

    status = Signal(object)  # studio.exporting.ExportStatus
    succeeded = Signal(object)  # Path
    failed = Signal(str, str)  # the phase it failed in, the message
    canceled = Signal()

    def __init__(self, job: Any, cancel: CancelToken, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._job = job  # callable(progress) -> Path
        self.cancel_token = cancel
        self.phase = "rendering"

    def run(self) -> None:
        def progress(status: ExportStatus) -> None:
            self.phase = status.phase
            self.status.emit(status)

        try:
            path = self._job(progress)
        except Cancelled:
            self.canceled.emit()
        except KinoraError as exc:
            self.failed.emit(self.phase, str(exc))
        except Exception as exc:  # an unexpected bug: still shown, with the traceback in the log
            log.exception("export failed")
            self.failed.emit(self.phase, f"{type(exc).__name__}: {exc}")
        else:
            self.succeeded.emit(path)


class ExportDialog(QDialog):
    """Export a project (or one take) to MP4, signed and watermarked by default."""

    exported = Signal(object)  # Path of the finished file

    def __init__(self, lib: Library, project_id: int | None, parent: QWidget | None = None, *,
                 take_id: int | None = None) -> None:
        from studio.media.presets import FITS, PRESETS
        from studio.media.watermark import CORNERS, WatermarkSettings

        super().__init__(parent)
        self.lib = lib
        self.project_id = project_id
        self.take_id = take_id
        self.thread: ExportThread | None = None
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
        if project_id is None and take_id is None:
            self._show_error("Open a project (or select a take) to export.")
            self.export_button.setEnabled(False)

    # -- running ---------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.isRunning()

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
        lib, project_id, take_id = self.lib, self.project_id, self.take_id
        cancel = CancelToken("export")
        if take_id is not None:
            def job(progress: Any) -> Path:
                return export_take(lib, take_id, out, preset=preset, progress=progress, cancel=cancel, **options)
        else:
            def job(progress: Any) -> Path:
                return export_project(lib, project_id, out, preset, progress=progress, cancel=cancel, **options)
        self.error.hide()
        self.result_path = None
        self.progress.setValue(0)
        self.status.setText("Starting…")
        self._set_editing(False)
        self.thread = ExportThread(job, cancel, self)
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
        if self.running:  # closing the window cancels; wait so the thread never outlives the dialog
            self.thread.cancel_token.cancel()  # type: ignore[union-attr]
            self.thread.wait()  # type: ignore[union-attr]
        super().reject()

    # -- progress --------------------------------------------------------------------------------
    def _on_status(self, status: ExportStatus) -> None:
        if status.phase == "notice":
            self.notice.setText("\n".join(filter(None, [self.notice.text(), f"Note: {status.detail}"])))
            self.notice.show()
            return
        self.progress.setValue(round(status.fraction * PROGRESS_STEPS))
        label = PHASE_LABELS.get(status.phase, status.phase)
        eta = f" — about {format_duration(status.eta_s)} left" if status.eta_s else ""
        self.status.setText(f"{label}… {status.fraction * 100:.0f}%{eta}")

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
        name = "kinora-export"
        if self.project_id is not None:
            try:
                name = self.lib.project(self.project_id).name or name
            except KinoraError:
                pass
        safe = "".join(c if c.isalnum() or c in "-_ " else "-" for c in name).strip() or "kinora-export"
        return folder / f"{safe}.mp4"
