"""The cameo badge on a Feed card: from this library's cameo_uses for my posts, from the signed credentials for a
friend's, and never from a prompt's @handles alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from feed_helpers import Studio, finished_take, open_studio

from studio.consent.badges import CREDENTIALS, RECORDED, cameo_badge
from studio.feed.publish import publish_take
from studio.feed.service import FeedService
from studio.feed.subscribe import subscribe, sync_subscription
from studio.playback.sinks import WallClockSink
from studio.ui.feed_view import FeedView


def _record_own_cameo(studio: Studio, take_id: int, handle: str) -> None:
    """What submit_with_consent leaves for a take made with the owner's own cameo."""
    consent = {"handle": f"@{handle}", "owner_key": studio.key, "owner_name": studio.name, "grant_id": None,
               "scope": "owner", "expires_at": None, "grant": None}
    with studio.lib.database.transaction() as conn:
        conn.execute("INSERT INTO cameo_uses (take_id, handle, owner_key, grant_id, consent_json) VALUES (?, ?, ?, ?, ?)",
                     (take_id, handle, studio.key, None, json.dumps(consent)))


@pytest.fixture
def two(tmp_path: Path):
    alice, bob = open_studio(tmp_path, "alice"), open_studio(tmp_path, "bob")
    with_cameo = finished_take(alice.lib, tmp_path, "@alice dances on a pier", size=(64, 36))
    _record_own_cameo(alice, with_cameo, "alice")
    publish_take(alice.lib, with_cameo, alice.identity)
    # Names a handle in the prompt but was never cleared: the file states no consent for it.
    publish_take(alice.lib, finished_take(alice.lib, tmp_path, "a pier at dusk, ask @carol", shade=90,
                                          size=(64, 36)), alice.identity)
    publish_take(alice.lib, finished_take(alice.lib, tmp_path, "a quiet pier", shade=150, size=(64, 36)),
                 alice.identity)
    sub = subscribe(bob.lib, str(alice.lib.root / "outbox"))
    assert sync_subscription(bob.lib, sub.id, me=bob.key).ok
    yield alice, bob
    alice.lib.close()
    bob.lib.close()


def _badges(studio: Studio) -> dict[str, object]:
    posts = FeedService(studio.lib, identity=lambda: studio.identity).store.posts(me=studio.key)
    return {p.prompt: cameo_badge(studio.lib, p.take_id) for p in posts}


def test_badge_sources_mine_from_cameo_uses_a_friends_from_credentials(two) -> None:
    alice, bob = two
    mine = _badges(alice)
    assert mine["@alice dances on a pier"].handles == ("@alice",) and mine["@alice dances on a pier"].source == RECORDED
    assert mine["a quiet pier"] is None and mine["a pier at dusk, ask @carol"] is None
    theirs = _badges(bob)
    badge = theirs["@alice dances on a pier"]
    # bob's take has no cameo_uses row: the badge comes from the consent the signed MP4 states.
    assert badge.handles == ("@alice",) and badge.problems == () and badge.source == CREDENTIALS
    assert badge.text == "Cameo: @alice"
    unconsented = theirs["a pier at dusk, ask @carol"]
    assert unconsented.handles == () and unconsented.problems == ("@carol: no consent recorded",)
    assert unconsented.text.startswith("⚠") and "@carol" in unconsented.text
    assert theirs["a quiet pier"] is None


def test_feed_card_overlay_shows_the_badge_only_on_the_cameo_post(qtbot, two) -> None:
    _alice, bob = two
    view = FeedView(FeedService(bob.lib, identity=lambda: bob.identity), sink=WallClockSink(notice=None))
    qtbot.addWidget(view)
    view.resize(420, 760)
    with qtbot.waitSignal(view.cardShown, timeout=20000):
        view.show()
    try:
        seen: dict[str, tuple[bool, str]] = {}
        for i in range(len(view.posts)):
            view.go_to(i)
            post_id = view.posts[i].post_id
            qtbot.waitUntil(lambda pid=post_id: pid in view._badges, timeout=10000)
            seen[view.posts[i].prompt] = (view.cameo_badge.isVisible(), view.cameo_badge.text())
        assert seen["@alice dances on a pier"] == (True, "Cameo: @alice")
        assert seen["a pier at dusk, ask @carol"][0] and "⚠" in seen["a pier at dusk, ask @carol"][1]
        assert seen["a quiet pier"] == (False, "")
        # The badge sits on the card, inside its top edge.
        view.go_to([p.prompt for p in view.posts].index("@alice dances on a pier"))
        assert view.surface.rect().contains(view.cameo_badge.geometry())
    finally:
        view.shutdown()
