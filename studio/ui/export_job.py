"""One export running off the GUI thread through the one task mechanism (studio/ui/tasks.py), and the
Queue dock's list of exports (progress, ETA, cancel, show the file).

The worker appends each progress report to a short locked list; a GUI timer delivers them in order
(the oldest dropped past PENDING_MAX), so no Python object crosses a Qt event queue and a fast export
never floods the GUI with reports.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from studio.cancel import CancelToken
from studio.errors import Cancelled, KinoraError
from studio.formatting import format_duration
from studio.ui.tasks import run_async

log = logging.getLogger(__name__)

POLL_MS = 100
PENDING_MAX = 8
PROGRESS_STEPS = 1000
CANCELED_LINGER_MS = 4000  # a canceled row stays this long so the user sees it stop, then goes
PHASE_LABELS = {"rendering": "Rendering", "signing": "Signing Content Credentials", "done": "Done"}


def describe_status(status: Any) -> str:
    """"Rendering… 42% — about 12 s left" for an ExportStatus."""
    label = PHASE_LABELS.get(status.phase, status.phase)
    eta = f" — about {format_duration(status.eta_s)} left" if status.eta_s else ""
    return f"{label}… {status.fraction * 100:.0f}%{eta}"


class ExportJob(QObject):
    """`job(progress) -> Path` run on a worker thread; its outcome arrives as signals on the GUI thread."""

    status = Signal(object)  # studio.exporting.ExportStatus
    succeeded = Signal(object)  # Path
    failed = Signal(str, str)  # the phase it failed in, the message
    canceled = Signal()

    def __init__(self, job: Callable[[Callable[[Any], None]], Path], cancel: CancelToken,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job = job
        self.cancel_token = cancel
        self.phase = "rendering"
        self.running = False
        self._lock = threading.Lock()
        self._pending: list[Any] = []
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._deliver)

    def start(self) -> None:
        self.running = True
        self._poll.start()

        def progress(status: Any) -> None:  # worker thread
            with self._lock:
                self._pending.append(status)
                del self._pending[:-PENDING_MAX]

        run_async(lambda: self._job(progress), self._done, self._error, receiver=self)

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def _deliver(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        for status in pending:
            self.phase = status.phase
            self.status.emit(status)

    def _stop(self) -> None:
        self._deliver()
        self._poll.stop()
        self.running = False

    def _done(self, path: Path) -> None:
        self._stop()
        self.succeeded.emit(Path(path))

    def _error(self, exc: BaseException) -> None:
        self._stop()
        if isinstance(exc, Cancelled):
            self.canceled.emit()
        elif isinstance(exc, KinoraError):
            self.failed.emit(self.phase, str(exc))
        else:  # an unexpected bug: still shown, with the traceback in the log
            log.error("export failed", exc_info=exc)
            self.failed.emit(self.phase, f"{type(exc).__name__}: {exc}")


class ExportRow(QWidget):
    """One export in the Queue dock: fixed-width columns, so the buttons never move."""

    cleared = Signal(object)  # this row, when Clear is pressed

    def __init__(self, job: ExportJob, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self.path: Path | None = None
        self.title = QLabel(f"Export: {title}", objectName="exportTitle")
        self.title.setMinimumWidth(80)
        self.bar = QProgressBar(maximum=PROGRESS_STEPS, textVisible=False)
        self.bar.setFixedHeight(6)
        self.state = QLabel("Queued…")
        self.state.setMinimumWidth(220)
        self.button = QPushButton("Cancel")
        self.button.setFixedWidth(72)
        self.button.clicked.connect(self._clicked)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addWidget(self.state)
        job.status.connect(self._status)
        job.succeeded.connect(self._succeeded)
        job.failed.connect(lambda phase, message: self._ended(f"Failed while {phase}: {message}"))
        job.canceled.connect(self._canceled)

    def _status(self, status: Any) -> None:
        self.bar.setValue(round(status.fraction * PROGRESS_STEPS))
        self.state.setText(describe_status(status))

    def _succeeded(self, path: Path) -> None:
        self.path = path
        self.bar.setValue(PROGRESS_STEPS)
        self.state.setText(f"Saved {path.name}")
        self.button.setText("Show")

    @property
    def finished(self) -> bool:
        """The export is over (saved, failed or canceled): the row may be cleared."""
        return not self.job.running and self.button.text() != "Cancel"

    def _canceled(self) -> None:
        self._ended("Canceled; nothing was saved.")
        QTimer.singleShot(CANCELED_LINGER_MS, self, self.clear)

    def _ended(self, text: str) -> None:
        self.state.setText(text)
        self.state.setToolTip(text)
        self.button.setText("Clear")

    def clear(self) -> None:
        """Take the row out of the Queue dock."""
        self.cleared.emit(self)
        self.setParent(None)
        self.deleteLater()

    def _clicked(self) -> None:
        if self.job.running:
            self.state.setText("Canceling…")
            self.job.cancel()
        elif self.path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path.parent)))
        else:
            self.clear()


class ExportQueue(QWidget):
    """The exports of this session, under the generation queue in the Queue dock."""

    exported = Signal(object)  # Path of each finished export

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[ExportRow] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.hide()

    def add(self, job: ExportJob, title: str) -> ExportRow:
        """Show the job (started by the caller) as a row."""
        row = ExportRow(job, title, self)
        job.setParent(row)  # the job lives as long as its row
        job.succeeded.connect(self.exported.emit)
        self.rows.append(row)
        row.cleared.connect(self._forget)
        self._layout.addWidget(row)
        self.show()
        return row

    def clear_finished(self) -> None:
        """Clear every row whose export is over; running exports stay."""
        for row in [row for row in self.rows if row.finished]:
            row.clear()

    def _forget(self, row: object) -> None:
        if row in self.rows:
            self.rows.remove(row)
        self.setVisible(bool(self.rows))
