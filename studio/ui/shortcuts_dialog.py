"""Help > Keyboard Shortcuts: every action with a shortcut, read from the menus and the docks."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QMainWindow,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)


def _clean(text: str) -> str:
    return text.replace("&", "").rstrip(".…")


def collect_shortcuts(window: QMainWindow) -> dict[str, list[tuple[str, str]]]:
    """Group -> [(action, shortcut)] for every menu action and every dock widget action with a shortcut."""
    groups: dict[str, list[tuple[str, str]]] = {}
    seen: set[int] = set()
    listed: set[tuple[str, str]] = set()  # (text, keys): the Source and Program monitors' own transport
    # actions are the Playback menu's again, one set per monitor; the sheet lists them once

    def walk(menu: QMenu, group: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), group)
            elif not action.isSeparator() and action.text():
                seen.add(id(action))
                keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts())
                groups.setdefault(group, []).append((_clean(action.text()), keys))
                listed.add((_clean(action.text()), keys))

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu(), _clean(top.text()))
    for dock in window.findChildren(QDockWidget):
        if dock.widget() is None:
            continue
        for action in dock.widget().findChildren(QAction):
            if id(action) in seen or not action.shortcuts() or not action.text():
                continue
            seen.add(id(action))
            keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts())
            if (_clean(action.text()), keys) in listed:
                continue
            listed.add((_clean(action.text()), keys))
            groups.setdefault(dock.windowTitle(), []).append((_clean(action.text()), keys))
    return groups


class ShortcutsDialog(QDialog):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(520, 600)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Action", "Shortcut"])
        self.tree.setRootIsDecorated(False)
        for group, rows in collect_shortcuts(window).items():
            header = QTreeWidgetItem([group, ""])
            font = header.font(0)
            font.setBold(True)
            header.setFont(0, font)
            self.tree.addTopLevelItem(header)
            for text, keys in rows:
                self.tree.addTopLevelItem(QTreeWidgetItem(["    " + text, keys or "—"]))
        self.tree.resizeColumnToContents(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree)
        layout.addWidget(buttons)
