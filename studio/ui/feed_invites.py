"""Invite links from the studio window: make a token (friends holding it see my friends-only posts), copy
its link, revoke it. The same tokens as `kinora feed invite` and `POST /feed/tokens` (studio.feed.store).

The link names where my feed is served. The studio's own server (Generate > Serve the OpenAI Videos API)
listens on this machine only; for friends elsewhere the creator runs `kinora serve --host ADDRESS
--share-feed` and puts that address in "Served at". Reads and writes go through `run_async`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.feed.service import FeedService
from studio.feed.store import InviteToken, invite_url
from studio.ui.tasks import run_async

TOKEN_ROLE = Qt.ItemDataRole.UserRole
PLACEHOLDER_BASE = "http://HOST:8000"  # what `kinora serve` answers at by default; HOST is this machine's address


class InvitesDialog(QDialog):
    """Active invite tokens with their links; New makes one and copies its link, Revoke ends the selected one."""

    def __init__(self, service: FeedService, base_url: Callable[[], str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Feed invite links")
        self.resize(720, 340)
        self.service = service
        self.base = QLineEdit((base_url() if base_url else "") or PLACEHOLDER_BASE, self)
        self.base.setToolTip("Where friends reach your feed: the address `kinora serve --share-feed` listens on")
        self.base.textChanged.connect(lambda _: self._show(self.tokens))
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["For", "Made", "Link"])
        self.link = QLineEdit(self, readOnly=True)
        self.hint = QLabel("", self)
        self.hint.setWordWrap(True)
        self.new_button = QPushButton("New invite link…", self)
        self.new_button.clicked.connect(self.ask_new)
        self.revoke_button = QPushButton("Revoke", self)
        self.revoke_button.clicked.connect(self.revoke_selected)
        self.tree.currentItemChanged.connect(lambda item, _: self.link.setText(item.text(2) if item else ""))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.new_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.revoke_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Served at", self.base)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.link)
        layout.addWidget(self.hint)
        layout.addWidget(buttons)
        self.tokens: list[InviteToken] = []
        self._reads = 0  # reads of the tokens asked for; only the latest one's answer is shown
        self.reload()

    def link_for(self, token: str) -> str:
        return invite_url(self.base.text().strip() or PLACEHOLDER_BASE, token)

    def reload(self, select: str | None = None, said: str = "") -> None:
        """Read the tokens in the background; then select `select` and say `said` (if given)."""
        store = self.service.store
        # Only the latest read is shown: the one the dialog starts with may finish after a newer one (made
        # after a token was created) and would wipe what that one says.
        self._reads = asked = self._reads + 1

        def show(tokens: list[InviteToken]) -> None:
            if asked == self._reads:
                self._show(tokens, select, said)

        run_async(store.tokens, show,
                  lambda exc: self.hint.setText(f"Could not read the invite tokens: {exc}"), receiver=self)

    def _show(self, tokens: list[InviteToken], select: str | None = None, said: str = "") -> None:
        current = self.tree.currentItem()
        select = select or (current.data(0, TOKEN_ROLE) if current else None)
        self.tokens = tokens
        self.tree.clear()
        for token in tokens:
            made = datetime.datetime.fromtimestamp(token.created_at).strftime("%Y-%m-%d %H:%M")
            item = QTreeWidgetItem([token.label or "(no label)", made, self.link_for(token.token)])
            item.setData(0, TOKEN_ROLE, token.token)
            self.tree.addTopLevelItem(item)
            if token.token == select:
                self.tree.setCurrentItem(item)
        for column in range(2):
            self.tree.resizeColumnToContents(column)
        self.revoke_button.setEnabled(bool(tokens))
        if not tokens:
            self.link.clear()
        lines = [said] if said else []
        if not tokens:
            lines.append("No invite links yet. A link lets whoever holds it see your friends-only posts.")
        elif "HOST" in self.base.text():
            lines.append("Put the address your feed is served at in place of HOST (run `kinora serve --host "
                         "ADDRESS --share-feed`); the studio's own server answers this machine only.")
        self.hint.setText("\n".join(lines))

    def ask_new(self) -> None:
        label, ok = QInputDialog.getText(self, "New invite link", "Who is it for (shown to you only)?")
        if ok:
            self.create(label.strip())

    def create(self, label: str) -> None:
        """Make a token in the background; its link is selected and copied to the clipboard."""
        store = self.service.store

        def done(token: str) -> None:
            link = self.link_for(token)
            QGuiApplication.clipboard().setText(link)
            self.reload(select=token, said=f"Copied the invite link: {link}")

        run_async(lambda: store.create_token(label), done,
                  lambda exc: self.hint.setText(f"Could not make an invite link: {exc}"), receiver=self)

    def revoke_selected(self) -> None:
        item = self.tree.currentItem()
        if item is None:
            self.hint.setText("Select the invite link to revoke.")
            return
        store, token = self.service.store, str(item.data(0, TOKEN_ROLE))

        run_async(lambda: store.revoke_token(token),
                  lambda _: self.reload(said="Revoked: that link no longer shows your friends-only posts."),
                  lambda exc: self.hint.setText(f"Could not revoke: {exc}"), receiver=self)
