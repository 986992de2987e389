"""Help > Keyboard Shortcuts: every action with a shortcut, read from the menus and the docks; select one
to give it other keys (saved in the settings, checked against every other key, applied at once)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from studio.ui import keymap
from studio.ui.actions import rebind_all, remap


def _clean(text: str) -> str:
    return text.replace("&", "").rstrip(".…")


def _keys(action: QAction) -> str:
    return ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts())


@dataclass(frozen=True)
class ShortcutRow:
    group: str
    text: str
    keys: str
    action_id: str | None  # the action table's id when the user may remap it


def shortcut_rows(window: QMainWindow) -> list[ShortcutRow]:
    """A row for every menu action and every dock widget action with a shortcut, in menu order."""
    remappable = keymap.default_bindings()
    rows: list[ShortcutRow] = []
    seen: set[int] = set()
    listed: set[tuple[str, str]] = set()  # (text, keys): the Source and Program monitors' own transport
    # actions are the Playback menu's again, one set per monitor; the sheet lists them once

    def add(group: str, action: QAction) -> None:
        seen.add(id(action))
        text, keys = _clean(action.text()), _keys(action)
        if (text, keys) in listed:
            return
        listed.add((text, keys))
        action_id = action.objectName() if action.objectName() in remappable else None
        rows.append(ShortcutRow(group, text, keys, action_id))

    def walk(menu: QMenu, group: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), group)
            elif not action.isSeparator() and action.text():
                add(group, action)

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu(), _clean(top.text()))
    for dock in window.findChildren(QDockWidget):
        if dock.widget() is None:
            continue
        for action in dock.widget().findChildren(QAction):
            if id(action) not in seen and action.shortcuts() and action.text():
                add(dock.windowTitle(), action)
    return rows


def collect_shortcuts(window: QMainWindow) -> dict[str, list[tuple[str, str]]]:
    """Group -> [(action, shortcut)] for every menu action and every dock widget action with a shortcut."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for row in shortcut_rows(window):
        groups.setdefault(row.group, []).append((row.text, row.keys))
    return groups


class ShortcutsDialog(QDialog):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(560, 640)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Action", "Shortcut"])
        self.tree.setRootIsDecorated(False)
        self._fill()
        self.tree.currentItemChanged.connect(self._row_chosen)
        self.tree.itemDoubleClicked.connect(lambda *_: self.key_edit.setFocus())
        # The editor under the list: the chosen action's keys, Assign / No key / Default, and why a key is refused.
        self.chosen = QLabel("Select an action to change its shortcut.")
        self.key_edit = QKeySequenceEdit(maximumSequenceLength=1)
        self.key_edit.setClearButtonEnabled(True)
        self.assign_button = QPushButton("Assign")
        self.clear_button = QPushButton("No key")
        self.default_button = QPushButton("Default")
        self.assign_button.clicked.connect(lambda: self._save(self._typed()))
        self.clear_button.clicked.connect(lambda: self._save(()))
        self.default_button.clicked.connect(lambda: self._save(None))
        self.problem = QLabel(objectName="shortcutProblem", wordWrap=True)
        self.problem.setStyleSheet("color: #e06c60")
        editor = QHBoxLayout()
        for widget in (self.key_edit, self.assign_button, self.clear_button, self.default_button):
            editor.addWidget(widget)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree)
        layout.addWidget(self.chosen)
        layout.addLayout(editor)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self._row_chosen(None)

    def _fill(self) -> None:
        self.tree.clear()
        group = None
        for row in shortcut_rows(self._window):
            if row.group != group:
                group = row.group
                header = QTreeWidgetItem([group, ""])
                font = header.font(0)
                font.setBold(True)
                header.setFont(0, font)
                header.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.tree.addTopLevelItem(header)
            item = QTreeWidgetItem(["    " + row.text, row.keys or "—"])
            item.setData(0, Qt.ItemDataRole.UserRole, row.action_id)
            if row.action_id is None:
                item.setToolTip(1, "This key belongs to the panel and cannot be changed here.")
            self.tree.addTopLevelItem(item)
        self.tree.resizeColumnToContents(0)

    def current_action_id(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def select_action(self, action_id: str) -> None:
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if item.data(0, Qt.ItemDataRole.UserRole) == action_id:
                self.tree.setCurrentItem(item)
                return
        raise KeyError(action_id)

    def _row_chosen(self, item: QTreeWidgetItem | None) -> None:
        action_id = self.current_action_id()
        for widget in (self.key_edit, self.assign_button, self.clear_button, self.default_button):
            widget.setEnabled(action_id is not None)
        self.problem.clear()
        if action_id is None or item is None:
            self.key_edit.clear()
            return
        self.chosen.setText(f"Shortcut for {item.text(0).strip()}:")
        keys = item.text(1)
        self.key_edit.setKeySequence(QKeySequence(keys.split(",")[0].strip() if keys != "—" else ""))

    def _typed(self) -> tuple[str, ...]:
        text = self.key_edit.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
        return (text,) if text else ()

    def _save(self, keys: tuple[str, ...] | None) -> None:
        """`keys` for the chosen action (() none, None the table's default), refused if it would clash."""
        action_id = self.current_action_id()
        if action_id is None:
            return
        bindings, refusal = remap(action_id, keys)
        if refusal is not None:
            self.problem.setText(refusal)
            return
        rebind_all(self._window, bindings)
        self._fill()
        self.select_action(action_id)
