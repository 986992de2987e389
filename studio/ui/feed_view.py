"""The Feed: a vertical stream of 9:16 cards, one at a time filling the height, to watch, like and remix.

Wheel, Up/Down and PgUp/PgDn snap to the next or previous card; the card in view plays with sound and
loops and the next two are preloaded (studio.ui.feed_cards.CardPlayer, over the Preview's player core);
M mutes; L or a double-click likes.

Everything slow (the database, files, signing, syncing subscriptions) goes through `run_async`; the GUI
thread only paints. Subscriptions sync in the background every SYNC_INTERVAL_MS and on "Sync now".
The cameo badge (top right) says which cameos a post's take was made with: see studio.consent.badges
for where that comes from (never from the prompt's @handles alone).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QImage, QKeyEvent, QMouseEvent, QResizeEvent, QShowEvent, QWheelEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QTabBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.consent.badges import CameoBadge, cameo_badge
from studio.feed.rank import FeedTab
from studio.feed.service import FeedService
from studio.feed.store import FeedPost
from studio.playback import Sink
from studio.ui.feed_cards import CardPlayer
from studio.ui.player.audio_device import AudioDevice
from studio.ui.player.video_surface import VideoSurface
from studio.ui.settings import FEED_SYNC_INTERVAL_MS as SYNC_INTERVAL_MS
from studio.ui.tasks import run_async

WHEEL_STEP = 120  # one notch of a mouse wheel (angleDelta units)


def age_text(seconds: float) -> str:
    if seconds < 90:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


class FeedView(QWidget):
    """The Feed page of the studio (see the module notes)."""

    remixRequested = Signal(int)  # the take a post is in this library: the Prompt panel remixes it
    chainRequested = Signal(int)  # show this take's lineage (across people) in the Lineage view
    message = Signal(str, bool)  # notice text, is_error

    def __init__(self, service: FeedService, sink: Sink | None = None, parent: QWidget | None = None,
                 audio: AudioDevice | None = None) -> None:
        """`sink` (tests, benches) or else `audio` (the window's sound card) is what the cards play on."""
        super().__init__(parent)
        self.setObjectName("feedView")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.service = service
        # Run after each sync on the same worker (the window sets it: cameo removal requests); says what it did.
        self.after_sync: Callable[[], list[str]] | None = None
        # Where my feed is served now ("" when not): the window sets it to its own server's address.
        self.served_at: Callable[[], str] | None = None
        self.posts: list[FeedPost] = []
        self.index = 0
        self._wheel = 0
        self._started = False
        self._closed = False
        self._tab = FeedTab.FOR_YOU
        self._badges: dict[str, CameoBadge | None] = {}  # post id -> its badge, read once per reload
        self._badge_pending: set[str] = set()
        self._build()
        self.cards = CardPlayer(self.surface, service.video_path, sink, self, audio=audio)
        self.cardShown = self.cards.cardShown  # post id, ms from the snap to its first frame on screen
        self.cards.failed.connect(lambda text: self.message.emit(text, True))
        self._sync_timer = QTimer(self, interval=SYNC_INTERVAL_MS)  # polls while the window is open, shown or not
        self._sync_timer.timeout.connect(self.sync_now)
        self._sync_timer.start()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # -- construction ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.tabs = QTabBar(self)
        self.tabs.setUsesScrollButtons(False)  # five short names: all visible, never behind arrows
        self.tabs.setDrawBase(False)
        for tab in FeedTab:
            self.tabs.addTab(tab.value)
        self.tabs.currentChanged.connect(lambda i: self.show_tab(list(FeedTab)[i]))
        subscribe = QPushButton("Subscribe…", self)
        subscribe.clicked.connect(self.ask_subscribe)
        self.sync_button = QPushButton("Sync now", self)
        self.sync_button.clicked.connect(self.sync_now)
        self.subscriptions_button = QPushButton("Subscriptions…", self)
        self.subscriptions_button.setToolTip("Each feed's state, why a sync failed, and the posts it refused")
        self.subscriptions_button.clicked.connect(self.show_subscriptions)
        self.invites_button = QPushButton("Invite…", self)
        self.invites_button.setToolTip("Invite links: friends holding one see your friends-only posts; revocable")
        self.invites_button.clicked.connect(self.show_invites)
        self.status = QLabel(self, objectName="feedStatus")
        top = QHBoxLayout()
        top.addWidget(self.tabs, 1)
        top.addWidget(self.status)
        top.addWidget(subscribe)
        top.addWidget(self.sync_button)
        top.addWidget(self.subscriptions_button)
        top.addWidget(self.invites_button)

        self.stage = QWidget(self, objectName="feedStage")
        self.stage.setStyleSheet("#feedStage { background: black; }")
        self.surface = VideoSurface(self.stage)
        self.empty = QLabel("Nothing here yet. Share a take, or subscribe to a friend's feed.", self.stage)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: #aaa;")
        self.caption = QLabel(self.surface, objectName="feedCaption")
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: white; background: rgba(0,0,0,120); padding: 8px; border-radius: 6px;")
        self.side = QWidget(self.surface)
        side = QVBoxLayout(self.side)
        side.setContentsMargins(0, 0, 0, 0)
        self.like_button = self._side_button("♥ 0", "Like (L or double-click)", self.toggle_like)
        self.remix_button = self._side_button("↻ 0", "Remix: open the Prompt panel on this post's recipe",
                                              self.remix_current)
        self.chain_button = self._side_button("Chain", "Show the remix chain in the Lineage view", self.show_chain)
        self.save_button = self._side_button("Save", "Save to the library (starred)", self.save_current)
        self.share_button = self._side_button("Share", "Copy the signed MP4's location", self.share_current)
        self.unpublish_button = self._side_button("Unpublish", "Remove this post from your feed", self.unpublish_current)
        self.mute_label = QLabel(self.surface)
        self.cameo_badge = QLabel(self.surface, objectName="feedCameoBadge")
        self.cameo_badge.setStyleSheet("color: white; background: rgba(120,60,160,200); padding: 4px 8px; "
                                       "border-radius: 10px;")
        self.mute_label.setStyleSheet("color: white; background: rgba(0,0,0,140); padding: 4px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.stage, 1)
        self._show_overlay(None)

    def _side_button(self, text: str, tip: str, slot: Any) -> QToolButton:
        button = QToolButton(self.side)
        button.setText(text)
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setStyleSheet("QToolButton { color: white; background: rgba(0,0,0,140); padding: 6px; "
                             "border-radius: 6px; min-width: 56px; }")
        button.clicked.connect(slot)
        self.side.layout().addWidget(button)
        return button

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_card()

    def _place_card(self) -> None:
        """The card: 9:16, as tall as the stage, centred; overlay bottom-left, actions bottom-right."""
        h = self.stage.height()
        w = min(self.stage.width(), round(h * 9 / 16))
        card = QRect((self.stage.width() - w) // 2, 0, w, h)
        self.surface.setGeometry(card)
        self.empty.setGeometry(self.stage.rect())
        self.side.adjustSize()
        self.side.move(w - self.side.width() - 10, h - self.side.height() - 16)
        self.caption.setFixedWidth(max(80, w - self.side.width() - 30))
        self.caption.adjustSize()
        self.caption.move(10, h - self.caption.height() - 16)
        self.mute_label.adjustSize()
        self.mute_label.move(10, 10)
        self.cameo_badge.adjustSize()
        self.cameo_badge.move(max(10, w - self.cameo_badge.width() - 10), 10)

    # -- loading --------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._closed:
            return
        self.cards.start()
        if not self._started:
            self._started = True
            self.reload()

    def hideEvent(self, event: Any) -> None:
        super().hideEvent(event)
        self.cards.stop()

    def show_tab(self, tab: FeedTab) -> None:
        self._tab = tab
        if self.tabs.currentIndex() != list(FeedTab).index(tab):
            self.tabs.setCurrentIndex(list(FeedTab).index(tab))  # comes back here through currentChanged
            return
        self.reload()

    def reload(self, keep: str | None = None) -> None:
        """Read the current tab's posts (in the background) and show the first, or the post `keep`."""
        tab, service = self._tab, self.service
        run_async(lambda: service.tab(tab), lambda posts: self._posts_loaded(tab, posts, keep),
                  lambda exc: self.message.emit(f"Could not read the feed: {exc}", True), receiver=self)

    def _posts_loaded(self, tab: FeedTab, posts: list[FeedPost], keep: str | None) -> None:
        if tab is not self._tab or self._closed:
            return
        self.posts = posts
        self._badges.clear()  # a sync may have brought a revocation: read them again
        self.cards.set_posts(posts)
        ids = [p.post_id for p in posts]
        self.go_to(ids.index(keep) if keep in ids else 0)

    # -- snapping -------------------------------------------------------------------------------

    def go_to(self, index: int) -> None:
        """Snap to card `index` (clamped): play it from its first frame and preload the next two."""
        self.index = max(0, min(index, len(self.posts) - 1)) if self.posts else 0
        self._show_overlay(self.current)
        self.cards.show(self.index)

    def next(self) -> None:
        self.go_to(self.index + 1)

    def previous(self) -> None:
        self.go_to(self.index - 1)

    # -- overlay and actions ----------------------------------------------------------------------

    @property
    def current(self) -> FeedPost | None:
        return self.posts[self.index] if self.posts else None

    def _show_overlay(self, post: FeedPost | None) -> None:
        self.empty.setVisible(post is None)
        self.surface.setVisible(post is not None)
        if post is None:
            self.surface.set_image(None)
            return
        author = "you" if post.mine else post.author_name
        model = post.model_id or "unknown model"
        friends = " · friends" if post.audience == "friends" else ""
        self.caption.setText(f"<b>{_escape(author)}</b> · {_escape(model)} · "
                             f"{age_text(time.time() - post.published_at)}{friends}<br>{_escape(post.prompt)}")
        self.like_button.setText(f"{'♥' if post.liked_by_me else '♡'} {post.likes}")
        self.remix_button.setText(f"↻ {post.remixes}")
        self.unpublish_button.setVisible(post.mine)
        self.mute_label.setText("Muted (M)" if self.muted else "")
        self.mute_label.setVisible(self.muted)
        self._show_badge(post)
        self._place_card()

    def _show_badge(self, post: FeedPost) -> None:
        """The card's cameo badge: known, or read in the background and shown if the card is still in view."""
        if post.post_id in self._badges:
            badge = self._badges[post.post_id]
            self.cameo_badge.setVisible(badge is not None)
            self.cameo_badge.setText(badge.text if badge else "")
            self.cameo_badge.setToolTip(badge.tooltip if badge else "")
            return
        self.cameo_badge.hide()
        if post.take_id is None:  # its take is gone from the library: nothing to read a badge from
            self._badges[post.post_id] = None
            return
        if post.post_id in self._badge_pending:
            return
        self._badge_pending.add(post.post_id)
        lib, take_id = self.service.lib, post.take_id

        def done(badge: CameoBadge | None) -> None:
            self._badge_pending.discard(post.post_id)
            self._badges[post.post_id] = badge
            if self.current is not None and self.current.post_id == post.post_id:
                self._show_badge(post)
                self._place_card()

        def failed(exc: Exception) -> None:
            self._badge_pending.discard(post.post_id)
            self.message.emit(f"Could not read the post's cameos: {exc}", True)

        run_async(lambda: cameo_badge(lib, take_id), done, failed, receiver=self)

    @property
    def muted(self) -> bool:
        return self.cards.muted

    def toggle_mute(self) -> None:
        self.cards.muted = not self.cards.muted
        self._show_overlay(self.current)

    def toggle_like(self) -> None:
        post = self.current
        if post is None:
            return
        service, liked = self.service, not post.liked_by_me

        def done(updated: FeedPost) -> None:
            for i, p in enumerate(self.posts):
                if p.post_id == updated.post_id:
                    self.posts[i] = updated
            self._show_overlay(self.current)

        run_async(lambda: service.like(post.post_id, liked), done,
                  lambda exc: self.message.emit(f"Could not like the post: {exc}", True), receiver=self)

    def remix_current(self) -> None:
        post = self.current
        if post is not None and post.take_id is not None:
            self.remixRequested.emit(post.take_id)
        elif post is not None:
            self.message.emit("This post's take is no longer in the library; sync again to bring it back.", True)

    def show_chain(self) -> None:
        post = self.current
        if post is not None and post.take_id is not None:
            self.chainRequested.emit(post.take_id)

    def save_current(self) -> None:
        post = self.current
        if post is None or post.take_id is None:
            return
        lib, take_id = self.service.lib, post.take_id
        run_async(lambda: lib.set_favorite(take_id, True),
                  lambda _: self.message.emit("Saved to the library (starred).", False),
                  lambda exc: self.message.emit(f"Could not save: {exc}", True), receiver=self)

    def share_current(self) -> None:
        post = self.current
        if post is None:
            return
        service = self.service

        def done(path: Path | None) -> None:
            if path is None:
                self.message.emit("The post's file is missing.", True)
                return
            QGuiApplication.clipboard().setText(str(path))
            self.message.emit(f"Copied the signed MP4's location: {path}", False)

        run_async(lambda: service.video_path(post), done, receiver=self)

    def unpublish_current(self) -> None:
        post = self.current
        if post is None or not post.mine:
            return
        service = self.service

        def done(_: object) -> None:
            self.message.emit("Removed from your feed (the take stays in the library).", False)
            self.reload()

        run_async(lambda: service.unpublish(post.post_id), done,
                  lambda exc: self.message.emit(f"Could not unpublish: {exc}", True), receiver=self)

    # -- subscriptions --------------------------------------------------------------------------

    def ask_subscribe(self) -> None:
        source, ok = QInputDialog.getText(self, "Subscribe", "A friend's feed URL, invite link, or feed folder:")
        if ok and source.strip():
            self.subscribe(source.strip())

    def show_subscriptions(self) -> None:
        from studio.ui.feed_subscriptions import SubscriptionsDialog

        dialog = SubscriptionsDialog(self.service, self)
        dialog.finished.connect(lambda _: self.reload(self.current.post_id if self.current else None))
        dialog.open()

    def show_invites(self) -> QDialog:
        """The invite links dialog (make, copy, revoke); returns it (open, not modal)."""
        from studio.ui.feed_invites import InvitesDialog

        dialog = InvitesDialog(self.service, self.served_at, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def subscribe(self, source: str) -> None:
        service = self.service

        def done(result: Any) -> None:
            self._report_sync([result])
            self.reload()

        run_async(lambda: service.subscribe(source), done,
                  lambda exc: self.message.emit(f"Could not subscribe: {exc}", True), receiver=self)

    def sync_now(self) -> None:
        """Sync every subscription on a pool thread (not again while one runs); the feed reloads when done."""
        if not self.sync_button.isEnabled():
            return
        self.sync_button.setEnabled(False)
        service, keep = self.service, self.current.post_id if self.current else None

        after = self.after_sync

        def work() -> tuple[list[Any], list[str]]:
            results = service.sync_all()
            return results, after() if after is not None else []

        def done(outcome: tuple[list[Any], list[str]]) -> None:
            results, said = outcome
            self.sync_button.setEnabled(True)
            self._report_sync(results)
            for sentence in said:
                self.message.emit(sentence, False)
            self.reload(keep)

        def failed(exc: Exception) -> None:
            self.sync_button.setEnabled(True)
            self.message.emit(f"Syncing failed: {exc}", True)

        run_async(work, done, failed, receiver=self)

    def _report_sync(self, results: list[Any]) -> None:
        failed = [r for r in results if not r.ok]
        refused = sum(len(r.rejected) for r in results)
        self.status.setText(f"{len(failed)} feed(s) failed" if failed else
                            (f"{refused} post(s) refused" if refused else ""))
        self.status.setToolTip("\n".join([r.error for r in failed] + [reason for r in results
                                                                     for reason in r.rejected.values()]))
        for r in failed:
            self.message.emit(f"A subscription failed: {r.error}", True)

    # -- input ----------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Down, Qt.Key.Key_PageDown):
            self.next()
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_PageUp):
            self.previous()
        elif key == Qt.Key.Key_M:
            self.toggle_mute()
        elif key == Qt.Key.Key_L:
            self.toggle_like()
        else:
            super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        # Touchpads send many small deltas: one card per full notch, in either direction.
        self._wheel += event.angleDelta().y()
        while abs(self._wheel) >= WHEEL_STEP:
            step = 1 if self._wheel < 0 else -1
            self._wheel += WHEEL_STEP * step
            self.go_to(self.index + step)
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.toggle_like()
        event.accept()

    def current_image(self) -> QImage | None:
        return self.surface.image()

    def shutdown(self) -> None:
        """Stop timers and playback threads, close preloaded files (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._sync_timer.stop()
        self.cards.shutdown()

    def closeEvent(self, event: Any) -> None:
        self.shutdown()
        super().closeEvent(event)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
