"""Invite links from the studio window: the Feed view's Invite… dialog (and Library > Feed Invite Links…)
makes a token whose copied link a friend subscribes with, and revoking it shuts friends-only posts out again."""

from __future__ import annotations

from pathlib import Path

import pytest
from feed_helpers import feed_app, finished_take, open_studio, serve
from PySide6.QtGui import QGuiApplication

from studio.feed.publish import publish_take
from studio.feed.service import FeedService
from studio.feed.store import FeedStore, invite_url
from studio.feed.subscribe import subscribe, sync_subscription
from studio.playback.sinks import WallClockSink
from studio.ui.feed_invites import PLACEHOLDER_BASE, InvitesDialog
from studio.ui.feed_view import FeedView


@pytest.fixture
def two(tmp_path: Path):
    alice, bob = open_studio(tmp_path, "alice"), open_studio(tmp_path, "bob")
    yield alice, bob
    alice.lib.close()
    bob.lib.close()


def test_invite_link_made_in_the_dialog_lets_a_friend_in_until_revoked(qtbot, two, tmp_path: Path) -> None:
    alice, bob = two
    post = publish_take(alice.lib, finished_take(alice.lib, tmp_path, "for my friends"), alice.identity,
                        audience="friends")
    with serve(feed_app(alice)) as url:
        dialog = InvitesDialog(FeedService(alice.lib, identity=lambda: alice.identity), lambda: url)
        qtbot.addWidget(dialog)
        qtbot.waitUntil(lambda: "No invite links yet" in dialog.hint.text(), timeout=10000)
        dialog.create("bob")
        qtbot.waitUntil(lambda: dialog.tree.topLevelItemCount() == 1 and bool(dialog.link.text()), timeout=10000)
        [token] = FeedStore(alice.lib).tokens()
        link = QGuiApplication.clipboard().text()
        assert link == dialog.link.text() == invite_url(url, token.token) and token.label == "bob"
        assert dialog.tree.topLevelItem(0).text(0) == "bob"

        sub = subscribe(bob.lib, link)
        assert sync_subscription(bob.lib, sub.id, me=bob.key).imported == (post.post_id,)

        dialog.revoke_selected()
        qtbot.waitUntil(lambda: dialog.tree.topLevelItemCount() == 0 and "Revoked" in dialog.hint.text(),
                        timeout=10000)
        assert FeedStore(alice.lib).tokens() == [] and not FeedStore(alice.lib).token_valid(token.token)
        # The revoked link now reads only the public feed: the friends-only post is gone from bob's feed.
        assert sync_subscription(bob.lib, sub.id, me=bob.key).ok
        assert [p.post_id for p in FeedStore(bob.lib).posts()] == []


def test_without_a_server_the_link_says_where_the_address_goes(qtbot, two) -> None:
    alice, _bob = two
    dialog = InvitesDialog(FeedService(alice.lib, identity=lambda: alice.identity), lambda: "")
    qtbot.addWidget(dialog)
    dialog.create("")
    qtbot.waitUntil(lambda: dialog.tree.topLevelItemCount() == 1, timeout=10000)
    assert dialog.link.text().startswith(f"{PLACEHOLDER_BASE}/feed?token=")
    # Both said: the link was copied, and HOST must be replaced before sending it.
    assert "Copied the invite link" in dialog.hint.text() and "in place of HOST" in dialog.hint.text()
    dialog.base.setText("http://192.168.1.20:8000/")
    [token] = FeedStore(alice.lib).tokens()
    assert dialog.tree.topLevelItem(0).text(2) == f"http://192.168.1.20:8000/feed?token={token.token}"


def test_feed_view_and_window_menu_open_the_invites_dialog(qtbot, two) -> None:
    from window_helpers import open_window

    alice, _bob = two
    view = FeedView(FeedService(alice.lib, identity=lambda: alice.identity), sink=WallClockSink(notice=None))
    qtbot.addWidget(view)
    view.served_at = lambda: "http://127.0.0.1:8123"
    dialog = view.show_invites()
    assert isinstance(dialog, InvitesDialog) and dialog.base.text() == "http://127.0.0.1:8123"
    dialog.close()
    view.shutdown()

    win = open_window(qtbot, alice.lib, start_engine=False)
    try:
        action = win.actions["library.feed_invites"]
        action.trigger()
        qtbot.waitUntil(lambda: any(isinstance(w, InvitesDialog) and w.isVisible()
                                    for w in win.findChildren(InvitesDialog)), timeout=10000)
    finally:
        win.shutdown()
