"""The studio writes the project itself a few seconds after the last edit; recovery of autosaves.

An edit is saved into the project (`save_timeline`) AUTOSAVE_DELAY_MS after the creator pauses,
on a worker thread with a copy of the timeline, so `kinora export` and the API see what is on
screen. A snapshot (`snapshot_project(kind="autosave")`, e.g. before a generation) newer than
the last save means the studio stopped before it could save: that is what `find_recoverable`
reports and `RecoveryDialog` offers on the next start.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from studio.errors import KinoraError
from studio.ui.tasks import run_async

if TYPE_CHECKING:
    from studio.library import Library


log = logging.getLogger(__name__)

AUTOSAVE_DELAY_MS = 3000


@dataclass(frozen=True)
class Recoverable:
    """A project whose newest autosave is newer than its last save."""

    project_id: int
    project_name: str
    snapshot_id: int
    autosaved_at: float
    saved_at: float | None


def find_recoverable(library: Library) -> list[Recoverable]:
    """Projects left with autosaved edits that were never saved (newest first)."""
    found = []
    for project in library.list_projects():
        snapshot = library.latest_autosave_newer_than_save(project.id)
        if snapshot is not None:
            found.append(Recoverable(project.id, project.name, snapshot.id, snapshot.created_at, project.saved_at))
    return sorted(found, key=lambda r: r.autosaved_at, reverse=True)


def recover(library: Library, item: Recoverable) -> None:
    """Make the autosaved timeline the project's saved edit."""
    library.save_timeline(item.project_id, library.load_snapshot(item.snapshot_id))


def discard(library: Library, item: Recoverable) -> None:
    """Keep the saved edit; the autosave stays in the snapshots but is no longer offered."""
    library.save_timeline(item.project_id, library.load_timeline(item.project_id))


class AutosaveController(QObject):
    """Saves the document's timeline into its project AUTOSAVE_DELAY_MS after the last edit (restarted
    per edit), off the GUI thread; the undo stack is marked clean when nothing changed meanwhile."""

    saved = Signal(int)  # project id: the project on disk is what is on screen
    failed = Signal(str)  # why the write failed (the edit stays in memory; the next edit retries)

    def __init__(self, library: Library, parent: QObject | None = None, delay_ms: int = AUTOSAVE_DELAY_MS) -> None:
        super().__init__(parent)
        self.library = library
        self.project_id: int | None = None
        self.document: Any = None
        self.last_error: str | None = None
        self.writing = 0  # saves in flight
        self._generation = self._written = 0
        self._write_lock = threading.Lock()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(delay_ms)
        self.timer.timeout.connect(self.autosave_now)

    def attach(self, project_id: int, document: Any) -> None:
        """Start watching a document's undo stack for edits to the given project."""
        self.detach()
        self.project_id, self.document = project_id, document
        document.changed.connect(self._edited)

    def detach(self) -> None:
        self.timer.stop()
        if self.document is not None:
            self.document.changed.disconnect(self._edited)
        self.project_id, self.document = None, None

    def _edited(self) -> None:
        # Restarted on each edit: the write happens once the creator pauses. Whether there is
        # anything unsaved is decided then (during push, the stack has not moved its index yet).
        self.timer.start()

    def autosave_now(self) -> None:
        """Write the project now on a worker thread, if it has unsaved edits."""
        self.timer.stop()
        if (self.project_id is None or self.document is None or self.document.timeline is None
                or self.document.undo_stack.isClean()):
            return
        self.save_now(clean=True, wait=False)

    def save_now(self, clean: bool = True, wait: bool = True,
                 then: Callable[[], None] | None = None) -> threading.Event:
        """Save the timeline as the project's edit; the undo stack is marked clean.

        `wait=False` writes on a worker thread (a copy of the timeline); `wait=True` writes before
        returning, for switching projects, where the write must come first. `then()` runs on this thread
        once the project on disk is what was on screen (not after a failure, which `failed` reports).
        Returns an event set when the write has finished or failed: what a closing window waits on.
        """
        self.timer.stop()
        finished = threading.Event()
        if self.project_id is None or self.document is None or self.document.timeline is None:
            finished.set()
            if then is not None:
                then()
            return finished
        library, project_id, stack = self.library, self.project_id, self.document.undo_stack
        index, copy = stack.index(), self.document.timeline.deepcopy()
        self._generation += 1
        generation = self._generation

        def write() -> None:
            # Workers run side by side: an older copy that finishes late must not overwrite a newer one.
            try:
                with self._write_lock:
                    if generation > self._written:
                        library.save_timeline(project_id, copy)
                        self._written = generation
            finally:
                finished.set()

        def done(_result: object = None) -> None:
            self.writing -= 1
            self.last_error = None
            if clean and self.project_id == project_id and stack.index() == index:
                stack.setClean()
            self.saved.emit(project_id)
            if then is not None:
                then()

        def failed(exc: BaseException) -> None:  # a full disk must not lose the edit in memory
            self.writing -= 1
            self.last_error = str(exc)
            log.warning("saving the project failed: %s", exc)
            self.failed.emit(f"Could not save the project: {exc}")

        self.writing += 1
        if wait:
            try:
                write()
            except KinoraError as exc:
                failed(exc)
                raise
            done()
        else:
            run_async(write, done, failed, receiver=self)
        return finished

    def flush(self) -> None:
        """Write a pending save now, before returning (closing or switching projects)."""
        if self.timer.isActive():
            self.save_now(clean=True, wait=True)


class RecoveryDialog(QDialog):
    """Offers the projects left with unsaved autosaved edits; Recover restores the checked ones."""

    def __init__(self, library: Library, items: list[Recoverable], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.items = items
        self.recovered: list[int] = []
        self.setWindowTitle("Recover unsaved edits")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Kinora stopped before these projects were saved. Their autosaved edits "
                                "can be restored:", self))
        self.list = QListWidget(self)
        for item in items:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(item.autosaved_at))
            row = QListWidgetItem(f"{item.project_name}  (autosaved {when})", self.list)
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            row.setCheckState(Qt.CheckState.Checked)
        layout.addWidget(self.list)
        buttons = QDialogButtonBox(self)
        buttons.addButton("Recover", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Discard", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def accept(self) -> None:
        for index, item in enumerate(self.items):
            if self.list.item(index).checkState() == Qt.CheckState.Checked:
                recover(self.library, item)
                self.recovered.append(item.project_id)
            else:
                discard(self.library, item)
        super().accept()

    def reject(self) -> None:
        for item in self.items:
            discard(self.library, item)
        super().reject()


def offer_recovery(library: Library, parent: QWidget | None = None) -> int | None:
    """On start: if any project has unsaved autosaved edits, ask; returns a recovered project id to open."""
    items = find_recoverable(library)
    if not items:
        return None
    dialog = RecoveryDialog(library, items, parent)
    dialog.exec()
    return dialog.recovered[0] if dialog.recovered else None
