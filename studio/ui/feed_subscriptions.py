"""The Feed's subscriptions: each feed with its state, why its last sync failed, and the posts it refused.

Reads and unsubscribes go through `run_async`; the dialog only shows what came back.
"""

from __future__ import annotations

import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.feed.service import FeedService
from studio.feed.store import Subscription
from studio.ui.tasks import run_async

ID_ROLE = Qt.ItemDataRole.UserRole


def subscription_lines(sub: Subscription) -> tuple[list[str], list[str]]:
    """The row of a subscription (who, state, last sync, source) and its detail lines (reasons)."""
    when = datetime.datetime.fromtimestamp(sub.last_sync).strftime("%Y-%m-%d %H:%M") if sub.last_sync else "never"
    state = {"ok": "OK", "failed": "FAILED", "new": "not synced yet"}.get(sub.status, sub.status)
    details = ([f"Last sync failed: {sub.error}"] if sub.error else []) + [
        f"Refused post {post}: {reason}" for post, reason in sub.rejections]
    return [sub.author_name or "?", state, when, sub.source], details


class SubscriptionsDialog(QDialog):
    """Lists subscriptions with their reasons; Unsubscribe removes the selected one."""

    def __init__(self, service: FeedService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Feed subscriptions")
        self.resize(760, 360)
        self.service = service
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Author", "State", "Last sync", "Feed"])
        self.tree.setWordWrap(True)
        self.hint = QLabel("", self)
        self.unsubscribe_button = QPushButton("Unsubscribe", self)
        self.unsubscribe_button.clicked.connect(self.unsubscribe_selected)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.unsubscribe_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.hint)
        layout.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        service = self.service
        run_async(service.subscriptions, self._show,
                  lambda exc: self.hint.setText(f"Could not read the subscriptions: {exc}"), receiver=self)

    def _show(self, subs: list[Subscription]) -> None:
        self.tree.clear()
        for sub in subs:
            row, details = subscription_lines(sub)
            item = QTreeWidgetItem(row)
            item.setData(0, ID_ROLE, sub.id)
            for line in details:
                child = QTreeWidgetItem([line])
                child.setFirstColumnSpanned(True)
                item.addChild(child)
            self.tree.addTopLevelItem(item)
            item.setFirstColumnSpanned(False)
            item.setExpanded(bool(details))
        for column in range(3):
            self.tree.resizeColumnToContents(column)
        self.hint.setText("" if subs else "No subscriptions yet: use Subscribe… with a friend's feed URL, "
                                          "invite link or folder.")

    def unsubscribe_selected(self) -> None:
        item = self.tree.currentItem()
        while item is not None and item.parent() is not None:
            item = item.parent()
        if item is None:
            return
        store, sub_id = self.service.store, int(item.data(0, ID_ROLE))
        run_async(lambda: store.remove_subscription(sub_id), lambda _: self.reload(),
                  lambda exc: self.hint.setText(f"Could not unsubscribe: {exc}"), receiver=self)
