"""Autosave a few seconds after the last edit, and offer autosaved work back after a crash.

An autosave is a library snapshot of the unsaved timeline (`snapshot_project(kind="autosave",
timeline=...)`); a save (`save_timeline`) makes the edit the project's own and records when. A
snapshot newer than the last save therefore means the studio stopped without saving: that is
what `find_recoverable` reports and `RecoveryDialog` offers on the next start.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from studio.errors import KinoraError

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
    """Snapshots the document's timeline AUTOSAVE_DELAY_MS after the last edit (restarted per edit)."""

    def __init__(self, library: Library, parent: QObject | None = None, delay_ms: int = AUTOSAVE_DELAY_MS) -> None:
        super().__init__(parent)
        self.library = library
        self.project_id: int | None = None
        self.document: Any = None
        self.last_error: str | None = None
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
        # Restarted on each edit: the snapshot is taken once the creator pauses. Whether there is
        # anything unsaved is decided then (during push, the stack has not moved its index yet).
        self.timer.start()

    def autosave_now(self) -> None:
        """Write an autosave snapshot of the current timeline (on the GUI thread: a few kB of JSON)."""
        self.timer.stop()
        if (self.project_id is None or self.document is None or self.document.timeline is None
                or self.document.undo_stack.isClean()):
            return
        try:
            self.library.snapshot_project(self.project_id, kind="autosave", timeline=self.document.timeline)
            self.last_error = None
        except KinoraError as exc:  # a full disk must not lose the edit in memory: report and retry later
            self.last_error = str(exc)
            log.warning("autosave failed: %s", exc)

    def save_now(self, clean: bool = True) -> None:
        """Save the timeline as the project's edit; the undo stack is marked clean."""
        self.timer.stop()
        if self.project_id is None or self.document is None:
            return
        self.library.save_timeline(self.project_id, self.document.timeline)
        if clean:
            self.document.undo_stack.setClean()

    def flush(self) -> None:
        """Write a pending autosave now (before closing or switching projects)."""
        if self.timer.isActive():
            self.autosave_now()


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
