"""The studio's Feed view offscreen: cards, snapping with preloaded clips, mute, like, remix, background sync."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from feed_helpers import finished_take, open_studio
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from studio.feed.publish import publish_take
from studio.feed.rank import FeedTab
from studio.feed.service import FeedService
from studio.feed.subscribe import subscribe, sync_subscription
from studio.playback.sinks import WallClockSink
from studio.ui.feed_view import FeedView, age_text


@pytest.fixture
def two(tmp_path: Path):
    alice, bob = open_studio(tmp_path, "alice"), open_studio(tmp_path, "bob")
    for n, prompt in enumerate(("a heron", "a crane", "a stork")):
        publish_take(alice.lib, finished_take(alice.lib, tmp_path, prompt, shade=40 * n + 20, size=(64, 36)),
                     alice.identity)
    sub = subscribe(bob.lib, str(alice.lib.root / "outbox"))
    assert sync_subscription(bob.lib, sub.id, me=bob.key).ok
    yield alice, bob
    alice.lib.close()
    bob.lib.close()


@pytest.fixture
def view(qtbot, two):
    _alice, bob = two
    widget = FeedView(FeedService(bob.lib, identity=lambda: bob.identity), sink=WallClockSink(notice=None))
    qtbot.addWidget(widget)
    widget.resize(420, 760)
    with qtbot.waitSignal(widget.cardShown, timeout=20000):
        widget.show()
    yield widget
    widget.shutdown()


def _preloaded(view: FeedView, *indexes: int) -> bool:
    return all(i in view.cards.ready for i in indexes)


def test_first_card_plays_and_fills_the_height_at_9_by_16(qtbot, view: FeedView) -> None:
    assert [p.prompt for p in view.posts] and view.index == 0
    assert view.surface.height() == view.stage.height()
    assert abs(view.surface.width() - view.stage.height() * 9 / 16) <= 1
    qtbot.waitUntil(lambda: view.cards.player.playing and view.cards.player.position > 0, timeout=10000)
    assert view.cards.player.loop and view.current_image() is not None
    assert "alice" in view.caption.text() and "tiny-random" in view.caption.text()


def test_snap_to_a_preloaded_card_shows_its_first_frame_at_once(qtbot, view: FeedView) -> None:
    qtbot.waitUntil(lambda: _preloaded(view, 1, 2), timeout=10000)
    shown: list[str] = []
    view.cardShown.connect(lambda post_id, ms: shown.append(post_id))
    qtbot.keyClick(view, Qt.Key.Key_Down)
    # Delivered inside the key press: no waiting on a pool thread for a preloaded card.
    assert shown == [view.posts[1].post_id] and view.index == 1
    qtbot.waitUntil(lambda: _preloaded(view, 2), timeout=10000)
    qtbot.keyClick(view, Qt.Key.Key_PageDown)
    assert view.index == 2 and shown[-1] == view.posts[2].post_id
    qtbot.keyClick(view, Qt.Key.Key_PageDown)  # the last card stays
    assert view.index == 2
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert view.index == 1


def test_wheel_moves_one_card_per_notch(qtbot, view: FeedView) -> None:
    def wheel(dy: int) -> None:
        event = QWheelEvent(QPointF(50, 50), QPointF(50, 50), QPoint(0, 0), QPoint(0, dy), Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(view, event)

    wheel(-60)
    assert view.index == 0  # half a notch: not yet
    wheel(-60)
    assert view.index == 1
    wheel(240)
    assert view.index == 0


def test_m_mutes_and_l_likes(qtbot, view: FeedView, two) -> None:
    qtbot.keyClick(view, Qt.Key.Key_M)
    assert view.muted and view.cards.player.muted and view.mute_label.isVisible()
    qtbot.keyClick(view, Qt.Key.Key_L)
    qtbot.waitUntil(lambda: view.current.liked_by_me, timeout=10000)
    assert view.current.likes == 1 and view.like_button.text() == "♥ 1"
    _alice, bob = two
    assert view.current.post_id in {p for p, _ in view.service.store.likes_given(bob.key)}


def test_remix_and_chain_name_the_posts_take(qtbot, view: FeedView) -> None:
    with qtbot.waitSignal(view.remixRequested) as remix:
        view.remix_button.click()
    assert remix.args == [view.current.take_id]
    with qtbot.waitSignal(view.chainRequested) as chain:
        view.chain_button.click()
    assert chain.args == [view.current.take_id]


def test_tabs_and_an_empty_tab(qtbot, view: FeedView) -> None:
    view.show_tab(FeedTab.MINE)
    qtbot.waitUntil(lambda: view.empty.isVisible(), timeout=10000)
    assert view.posts == []
    with qtbot.waitSignal(view.cardShown, timeout=10000):
        view.show_tab(FeedTab.MOST_REMIXED)
    assert len(view.posts) == 3


def test_sync_runs_off_the_gui_thread(qtbot, view: FeedView) -> None:
    threads: list[bool] = []
    real = view.service.sync_all

    def recording() -> list:
        threads.append(threading.current_thread() is threading.main_thread())
        return real()

    view.service.sync_all = recording  # type: ignore[method-assign]
    view.sync_now()
    qtbot.waitUntil(lambda: view.sync_button.isEnabled() and bool(threads), timeout=20000)
    assert threads == [False]


def test_age_text() -> None:
    assert age_text(30) == "just now" and age_text(7200) == "2 h ago" and age_text(3 * 86400) == "3 d ago"


def test_window_shows_the_feed_and_a_remix_opens_the_prompt_panel_on_the_post(qtbot, two) -> None:
    from window_helpers import open_window

    _alice, bob = two
    win = open_window(qtbot, bob.lib, start_engine=False)
    try:
        feed = win.feed  # made on first use (studio/ui/lazy_dock.py)
        assert win.docks["feed"].widget() is feed
        with qtbot.waitSignal(win.feed.cardShown, timeout=20000):
            win.show_feed()
        post = win.feed.current
        assert post is not None and win.feed.isVisible()
        win.feed.remix_button.click()
        qtbot.waitUntil(lambda: win.prompt_panel.remix_parent == post.take_id, timeout=10000)
        assert win.prompt_panel.prompt.toPlainText() == post.prompt
        win.feed.chain_button.click()
        assert win.docks["lineage"].isVisible()
    finally:
        win.shutdown()


def test_the_feed_plays_on_the_windows_one_sound_card(qtbot, monkeypatch, two) -> None:
    # Before, the Feed's card player opened a sound card of its own (a second stream; on bare ALSA a silent
    # one) on the GUI thread when first shown; the window's monitors already held one.
    from window_helpers import open_window

    import studio.playback.player as player_module
    from studio.ui.player import audio_device

    opened: list[WallClockSink] = []

    def opener() -> WallClockSink:
        opened.append(WallClockSink(notice=None))
        return opened[-1]

    monkeypatch.setattr(audio_device, "open_audio_sink", opener)
    monkeypatch.setattr(player_module, "open_audio_sink", opener)
    _alice, bob = two
    win = open_window(qtbot, bob.lib, start_engine=False)
    try:
        qtbot.waitUntil(lambda: win.monitors.audio.opened, timeout=20000)
        with qtbot.waitSignal(win.feed.cardShown, timeout=20000):
            win.show_feed()
        qtbot.waitUntil(lambda: win.feed.cards.player.playing and win.feed.cards.player.position > 0, timeout=10000)
        assert len(opened) == 1
    finally:
        win.shutdown()


def test_my_post_can_be_unpublished_from_the_feed(qtbot, two) -> None:
    alice, _bob = two
    widget = FeedView(FeedService(alice.lib, identity=lambda: alice.identity), sink=WallClockSink(notice=None))
    qtbot.addWidget(widget)
    widget._tab = FeedTab.MINE
    with qtbot.waitSignal(widget.cardShown, timeout=20000):
        widget.show()
        widget.tabs.setCurrentIndex(list(FeedTab).index(FeedTab.MINE))
    try:
        assert len(widget.posts) == 3 and widget.unpublish_button.isVisible()
        gone = widget.current.post_id
        widget.unpublish_button.click()
        qtbot.waitUntil(lambda: len(widget.posts) == 2, timeout=10000)
        assert gone not in {p.post_id for p in widget.posts}
    finally:
        widget.shutdown()


def test_window_shares_the_selected_take_to_my_feed(qtbot, lib, tmp_path: Path) -> None:
    from window_helpers import open_window

    from studio.feed.store import FeedStore

    take_id = finished_take(lib, tmp_path, "a kestrel hovering")
    win = open_window(qtbot, lib, start_engine=False)
    try:
        qtbot.waitUntil(lambda: win.library_panel.select_take(take_id), timeout=20000)
        win.share_selected_take("friends")
        qtbot.waitUntil(lambda: any("Shared to your feed" in text for text, _ in win.messages), timeout=60000)
        (post,) = FeedStore(lib).posts()
        assert post.take_id == take_id and post.mine and post.audience == "friends"
        assert (FeedStore(lib).outbox / post.video_name).is_file()
    finally:
        win.shutdown()


def test_subscriptions_dialog_shows_each_feeds_reasons_and_unsubscribes(qtbot, two, tmp_path: Path) -> None:
    from studio.feed.store import FeedStore
    from studio.ui.feed_subscriptions import SubscriptionsDialog

    _alice, bob = two
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "feed.json").write_text("[]")
    sync_subscription(bob.lib, subscribe(bob.lib, str(broken)).id, me=bob.key)
    dialog = SubscriptionsDialog(FeedService(bob.lib, identity=lambda: bob.identity))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.tree.topLevelItemCount() == 2, timeout=10000)
    rows = {dialog.tree.topLevelItem(i).text(3): dialog.tree.topLevelItem(i) for i in range(2)}
    bad = rows[str(broken.resolve())]
    assert bad.text(1) == "FAILED" and "not a JSON object" in bad.child(0).text(0)
    good = next(item for source, item in rows.items() if source != str(broken.resolve()))
    assert good.text(0) == "alice" and good.text(1) == "OK" and good.childCount() == 0
    kept = good.text(3)
    dialog.tree.setCurrentItem(bad.child(0))  # a reason line selects its subscription
    dialog.unsubscribe_selected()
    qtbot.waitUntil(lambda: dialog.tree.topLevelItemCount() == 1, timeout=10000)
    assert [s.source for s in FeedStore(bob.lib).subscriptions()] == [kept]
