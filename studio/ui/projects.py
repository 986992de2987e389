"""Projects in the window: the switcher dialog and the questions New, Save As, Rename and Delete ask.

The window (main_window.py) runs the library calls on worker threads; these widgets only ask.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)


def describe_project(project: Any) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(project.updated_at))
    return f"{project.name}    ·  changed {when}"


class ProjectSwitcher(QDialog):
    """Every project of the library, last changed first, with a filter; Enter opens the chosen one."""

    def __init__(self, projects: Sequence[Any], current: int | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Switch Project")
        self.resize(460, 420)
        self.chosen: int | None = None
        self.filter = QLineEdit(placeholderText="Type to filter projects…", clearButtonEnabled=True)
        self.list = QListWidget()
        for project in projects:
            row = QListWidgetItem(describe_project(project) + ("   (open)" if project.id == current else ""), self.list)
            row.setData(Qt.ItemDataRole.UserRole, project.id)
        self.list.setCurrentRow(0)
        self.filter.textChanged.connect(self._filter)
        self.filter.returnPressed.connect(self.accept)
        self.list.itemActivated.connect(lambda _item: self.accept())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.list)
        layout.addWidget(buttons)

    def _filter(self, text: str) -> None:
        first = None
        for i in range(self.list.count()):
            row = self.list.item(i)
            hidden = text.lower() not in row.text().lower()
            row.setHidden(hidden)
            if not hidden and first is None:
                first = row
        if first is not None:
            self.list.setCurrentItem(first)

    def accept(self) -> None:
        row = self.list.currentItem()
        if row is not None and not row.isHidden():
            self.chosen = int(row.data(Qt.ItemDataRole.UserRole))
        super().accept()


def ask_name(parent: QWidget, title: str, label: str, default: str) -> str | None:
    """A project name from the creator (None: canceled or blank)."""
    name, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, default)
    return name.strip() if ok and name.strip() else None


def confirm_delete_project(parent: QWidget, name: str) -> bool:
    answer = QMessageBox.question(parent, "Delete project",
                                  f"Delete the project “{name}”?\nIts takes stay in the library; the edit is gone "
                                  "for good.", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes
