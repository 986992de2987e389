"""Every timeline edit as a QUndoCommand that wraps the project layer's reversible operations.

An edit is planned by a generator that looks at the timeline as the previous step left it and
yields the next operation; the command applies each one as it is yielded (so indices are always
current) and keeps them. Undo reverts them in reverse order; redo applies the very same
operations again on the very same state, so both are exact.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from studio.errors import ProjectError
from studio.project.edit_plans import Plan
from studio.project.operations import Operation

if TYPE_CHECKING:
    import opentimelineio as otio


class TimelineDocument(QObject):
    """The edited timeline and its undo stack; `changed` fires after every do, undo and redo."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timeline: otio.schema.Timeline | None = None
        self.undo_stack = QUndoStack(self)

    def reset(self, timeline: otio.schema.Timeline) -> None:
        """Start editing another timeline: history from the previous one does not apply to it."""
        self.undo_stack.clear()
        self.timeline = timeline
        self.undo_stack.setClean()
        self.changed.emit()

    def edit(self, text: str, plan: Plan) -> bool:
        """Run plan as one undoable step. On a ProjectError nothing changes and False is returned
        (the error propagates so the caller can show it)."""
        if self.timeline is None:
            raise ProjectError("Open a project before editing its timeline.")
        command = EditCommand(self, text)
        command.run_first(plan)
        if not command.operations:
            return False
        self.undo_stack.push(command)
        return True


class EditCommand(QUndoCommand):
    """One undo step: the operations one user gesture made."""

    def __init__(self, document: TimelineDocument, text: str) -> None:
        super().__init__(text)
        self.document = document
        self.operations: list[Operation] = []
        self._first_redo = True

    def run_first(self, plan: Plan) -> None:
        """Apply the plan's operations one by one; on any error revert them all and re-raise."""
        timeline = self.document.timeline
        try:
            for op in plan(timeline):
                op.apply(timeline)
                self.operations.append(op)
        except BaseException:
            for op in reversed(self.operations):
                op.revert(timeline)
            self.operations = []
            raise

    def redo(self) -> None:
        # QUndoStack.push calls redo(); the first time, run_first has already done the work.
        if self._first_redo:
            self._first_redo = False
        else:
            for op in self.operations:
                op.apply(self.document.timeline)
        self.document.changed.emit()

    def undo(self) -> None:
        for op in reversed(self.operations):
            op.revert(self.document.timeline)
        self.document.changed.emit()
