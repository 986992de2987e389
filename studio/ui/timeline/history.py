"""The edit history panel: the undo stack as a list; clicking a row goes back or forward to it."""

from __future__ import annotations

from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QUndoView, QWidget


class EditHistoryPanel(QUndoView):
    """Every edit of the session, oldest first; the bold row is where the timeline stands."""

    def __init__(self, stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(stack, parent)
        self.setEmptyLabel("Opened project")
        self.setObjectName("editHistory")
        self.setWindowTitle("Edit history")
