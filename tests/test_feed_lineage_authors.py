"""The Lineage view marks whose clip each node is: a take that came from a friend's feed shows its author,
in the accent colour; this library's own takes read "you"."""

from __future__ import annotations

from pathlib import Path

from feed_helpers import finished_take, open_studio
from PySide6.QtCore import Qt

from studio.feed.publish import publish_take
from studio.feed.store import FeedStore
from studio.feed.subscribe import subscribe, sync_subscription
from studio.ui.lineage_view import OTHERS_COLOUR, LineageView


def test_lineage_nodes_from_a_friends_feed_carry_their_author(qtbot, tmp_path: Path) -> None:
    alice, bob = open_studio(tmp_path, "alice"), open_studio(tmp_path, "bob")
    try:
        post = publish_take(alice.lib, finished_take(alice.lib, tmp_path, "a heron"), alice.identity)
        sub = subscribe(bob.lib, str(alice.lib.root / "outbox"))
        assert sync_subscription(bob.lib, sub.id, me=bob.key).ok
        alices = FeedStore(bob.lib).post(post.post_id).take_id
        remix = finished_take(bob.lib, tmp_path, "a heron at night", parent=alices)
        # Titles alone do not say it: bob may call his remix anything, and alice's take is titled by its prompt.
        view = LineageView(bob.lib, remix)
        qtbot.addWidget(view)
        qtbot.waitUntil(lambda: view.tree.topLevelItemCount() == 1, timeout=10000)
        top = view.tree.topLevelItem(0)
        mine = top.child(0)
        assert top.data(0, Qt.ItemDataRole.UserRole) == alices and mine.data(0, Qt.ItemDataRole.UserRole) == remix
        assert top.text(2) == "alice" and top.foreground(2).color() == OTHERS_COLOUR and top.font(2).bold()
        assert "alice's clip" in top.toolTip(2)
        assert mine.text(2) == "you" and not mine.font(2).bold()
        assert view.tree.headerItem().text(2) == "By"
        view.posters.wait()
    finally:
        alice.lib.close()
        bob.lib.close()
