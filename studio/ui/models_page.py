"""The Models page: every model's state, download size, memory on this card and plan; download, cancel, delete.

All disk, network and torch work runs through the task mechanism (studio/ui/tasks.py). A download's
progress crosses threads as a plain value in a locked slot that a GUI-thread timer reads five times a
second, so nothing but painting happens on the GUI thread and no Python object rides a Qt event.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.cancel import CancelToken
from studio.errors import Cancelled
from studio.ui.tasks import run_async

COLUMNS = ("Model", "State", "Download", "Memory here", "Plan here", "Parameters")


def _load_statuses() -> list[Any]:
    from studio.engine.model_status import model_statuses

    return [s for s in model_statuses() if s.spec.needs_weights]


def _real_pull(spec: Any, sink: Callable[[Any], None], token: CancelToken) -> Any:
    from studio.engine.pull import pull

    return pull(spec, sink, token)


def _real_delete(spec: Any) -> int:
    from studio.engine.install import delete_cached_repo

    return delete_cached_repo(spec.hf_repo)


def _ask(parent: QWidget, text: str) -> bool:
    answer = QMessageBox.question(parent, "Delete model", text)
    return answer == QMessageBox.StandardButton.Yes


def format_progress(progress: Any) -> str:
    """'12.3 / 68.6 GB · 45.1 MB/s · 20:48 left' for a PullProgress."""
    speed = f"{progress.bytes_per_s / 1e6:.1f} MB/s" if progress.bytes_per_s else "starting"
    left = ""
    if progress.eta_s is not None:
        minutes, seconds = divmod(int(progress.eta_s), 60)
        left = f" · {minutes // 60}:{minutes % 60:02d}:{seconds:02d} left"
    return (f"{progress.phase.capitalize()} {progress.model_id}: {progress.done_bytes / 1e9:.1f} / "
            f"{progress.total_bytes / 1e9:.1f} GB · {speed}{left}")


class ModelsPage(QDialog):
    """Lists the downloadable models; one download at a time, cancellable, resumable (the Hub keeps partial files)."""

    models_changed = Signal()  # a download finished or a model was deleted: the model picker reloads

    def __init__(self, parent: QWidget | None = None, *, load: Callable[[], list[Any]] = _load_statuses,
                 pull_fn: Callable[[Any, Callable[[Any], None], CancelToken], Any] = _real_pull,
                 delete_fn: Callable[[Any], int] = _real_delete,
                 confirm: Callable[[QWidget, str], bool] = _ask) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(820, 360)
        self._load, self._pull_fn, self._delete_fn, self._confirm = load, pull_fn, delete_fn, confirm
        self._statuses: dict[str, Any] = {}
        self._token: CancelToken | None = None
        self._pulling: str | None = None
        self._latest: Any = None  # the newest PullProgress, written by the worker, read by the timer
        self._latest_lock = threading.Lock()

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.download_button = QPushButton("Download")
        self.download_button.clicked.connect(lambda: self.pull(self.selected_id() or ""))
        self.cancel_button = QPushButton("Cancel download")
        self.cancel_button.clicked.connect(self.cancel)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(lambda: self.delete(self.selected_id() or ""))
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        self.progress = QProgressBar(minimum=0, maximum=1000)
        self.progress.hide()
        self.status = QLabel(wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        for button in (self.download_button, self.cancel_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(refresh)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._timer = QTimer(self, interval=200)
        self._timer.timeout.connect(self._show_progress)
        self._update_buttons()

    # -- listing --------------------------------------------------------------------------------
    def refresh(self) -> None:
        run_async(self._load, self._loaded, lambda exc: self.status.setText(f"Could not read the models: {exc}"),
                  receiver=self)

    def _loaded(self, statuses: list[Any]) -> None:
        self._statuses = {s.spec.id: s for s in statuses}
        keep = self.selected_id()
        self.table.setRowCount(len(statuses))
        for row, s in enumerate(statuses):
            state = s.state.value + (f" ({s.problems[0]}…)" if s.problems else "")
            cells = (s.spec.title, state, f"{s.download_gb:.1f} GB" if s.download_gb else "-",
                     f"~{s.peak_vram_gb:.0f} GB" if s.peak_vram_gb else "- (no GPU)" if s.plan is None else "-",
                     s.plan or "-", f"{s.params_b:.1f}B" if s.params_b else "-")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, s.spec.id)
                self.table.setItem(row, column, item)
            if s.spec.id == keep:
                self.table.selectRow(row)
        self._update_buttons()

    def selected_id(self) -> str | None:
        items = self.table.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else None

    def select(self, model_id: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == model_id:
                self.table.selectRow(row)

    def _update_buttons(self) -> None:
        chosen = self._statuses.get(self.selected_id() or "")
        busy = self._pulling is not None
        self.download_button.setEnabled(chosen is not None and not busy and chosen.state.value != "installed")
        self.download_button.setText("Resume download" if chosen is not None and chosen.state.value == "incomplete"
                                     else "Download")
        self.cancel_button.setEnabled(busy)
        self.delete_button.setEnabled(chosen is not None and not busy and chosen.location is not None)

    # -- download -------------------------------------------------------------------------------
    def pull(self, model_id: str) -> None:
        """Start downloading `model_id` on a worker (one download at a time)."""
        from studio.engine.registry import get_model

        if self._pulling is not None or not model_id:
            return
        spec = get_model(model_id)
        self._pulling, self._token, self._latest = model_id, CancelToken("download"), None
        token = self._token
        self.progress.setValue(0)
        self.progress.show()
        self.status.setText(f"Checking {spec.title}: free disk space and the files to fetch…")
        self._timer.start()
        self._update_buttons()
        run_async(lambda: self._pull_fn(spec, self._record, token), self._pulled, self._pull_failed, receiver=self)

    def _record(self, progress: Any) -> None:  # worker thread
        with self._latest_lock:
            self._latest = progress

    def _show_progress(self) -> None:
        with self._latest_lock:
            progress = self._latest
        if progress is None:
            return
        self.progress.setValue(int(progress.fraction * 1000))
        self.status.setText(format_progress(progress))

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()
            self.status.setText("Stopping the download…")

    def _finish(self, text: str) -> None:
        self._timer.stop()
        self._show_progress()
        self._pulling, self._token = None, None
        self.progress.hide()
        self.status.setText(text)
        self._update_buttons()
        self.refresh()

    def _pulled(self, _location: Any) -> None:
        model_id = self._pulling
        self._finish(f"{model_id} is downloaded and verified.")
        self.models_changed.emit()

    def _pull_failed(self, exc: Exception) -> None:
        model_id = self._pulling
        if isinstance(exc, Cancelled):
            self._finish(f"Download of {model_id} stopped. Download again to resume where it stopped.")
        else:
            self._finish(str(exc))

    # -- delete ---------------------------------------------------------------------------------
    def delete(self, model_id: str) -> None:
        status = self._statuses.get(model_id)
        if status is None or self._pulling is not None:
            return
        size = f" ({status.disk_gb:.1f} GB)" if status.disk_gb else ""
        if not self._confirm(self, f"Delete {status.spec.title}{size} from the Hugging Face cache?"):
            return
        run_async(lambda: self._delete_fn(status.spec), self._deleted,
                  lambda exc: self.status.setText(f"Could not delete {model_id}: {exc}"), receiver=self)

    def _deleted(self, freed: int) -> None:
        self.status.setText(f"Deleted: {freed / 1e9:.1f} GB freed.")
        self.refresh()
        self.models_changed.emit()
