"""Issue 20's "Done when", in the studio's services: alice records a cameo and grants it to bob through
her feed; bob generates with @alice (tiny-random), alice gets the receipt and asks for removal, and
bob's take and post are gone; without a grant and after revocation bob is refused with the reason.
The feeds travel as folders (each studio's outbox), as a synced folder would carry them."""

from __future__ import annotations

from pathlib import Path

import pytest
from cameo_helpers import load_rgb, recording, require_espeak
from feed_helpers import open_studio

from studio.consent.cameos import create_cameo
from studio.consent.grants import grant_subscription, my_grants, revoke
from studio.consent.records import Access
from studio.consent.service import CameoService
from studio.consent.usage import (
    VOICE_NOTE,
    apply_removals,
    check_prompt,
    notifications,
    publish_cameo_take,
    request_removal,
    submit_with_consent,
)
from studio.engine.registry import get_model
from studio.engine.runner import Runner
from studio.errors import ConsentError, LibraryError
from studio.feed.publish import write_outbox
from studio.feed.service import FeedService
from studio.feed.store import FeedStore
from studio.feed.subscribe import subscribe, sync_all
from studio.recipe import Recipe

TINY = dict(model_id="tiny-random", width=32, height=32, fps=8.0, steps=2, seconds=0.5)


def test_alice_grants_bob_uses_alice_reviews_and_removes_then_revokes(corpus: Path, tmp_path: Path) -> None:
    require_espeak()
    alice, bob = open_studio(tmp_path, "alice"), open_studio(tmp_path, "bob")
    runner = Runner(bob.lib)
    try:
        video = recording(tmp_path / "alice.mp4", load_rgb(corpus / "faces" / "portrait_one_face.jpg"))
        cameo, verification = create_cameo(alice.lib, alice.identity, video, "@alice", access=Access.APPROVED,
                                           restrictions=("no political content",))
        assert verification.ok and len(cameo.still_media_ids) >= 1 and cameo.voice_media_id is not None
        write_outbox(alice.lib, alice.identity)
        write_outbox(bob.lib, bob.identity)
        spec = get_model("tiny-random")

        # Bob follows alice but has no grant: refused before anything is queued.
        subscribe(bob.lib, str(FeedStore(alice.lib).outbox))
        assert all(r.ok for r in sync_all(bob.lib, me=bob.key))
        with pytest.raises(ConsentError, match="No grant for @alice"):
            submit_with_consent(bob.lib, runner.submit, Recipe("@alice waves at the sea", seed=1, **TINY), bob.key, spec)
        assert bob.lib.count_takes() == 0

        # Alice approves bob by the identity his feed carries; the grant reaches bob at his next sync.
        bobs_feed = subscribe(alice.lib, str(FeedStore(bob.lib).outbox))
        sync_all(alice.lib, me=alice.key)
        granted = grant_subscription(alice.lib, alice.identity, "alice", bobs_feed.id)
        assert granted.grantee_key == bob.key and granted.restrictions == ("no political content",)
        sync_all(bob.lib, me=bob.key)

        with pytest.raises(ConsentError, match="restriction .no political content.*election"):
            check_prompt(bob.lib, "@alice giving an election speech", bob.key)
        with pytest.raises(ConsentError, match="at most 2 cameos"):
            check_prompt(bob.lib, "@alice with @carol and @dave", bob.key)

        take_id, cleared = submit_with_consent(bob.lib, runner.submit, Recipe("@alice waves at the sea", seed=1, **TINY),
                                               bob.key, spec)
        assert cleared.recipe.mode == "image" and Path(cleared.recipe.image).is_file()  # the reference still
        assert VOICE_NOTE in cleared.notes
        runner.run_take(take_id)
        assert bob.lib.take(take_id).status == "done"
        post = publish_cameo_take(bob.lib, bob.identity, take_id)
        take_file = bob.lib.media_path(bob.lib.media(bob.lib.take(take_id).media_id))

        # Alice's studio: the receipt, with the clip (bob's post came in with his feed).
        sync_all(alice.lib, me=alice.key)
        service = CameoService(FeedService(alice.lib, identity=lambda: alice.identity))
        [announced] = service.after_sync()  # the studio's notice after the sync
        assert announced.startswith("bob made a take with @alice") and service.after_sync() == []  # once
        [seen] = notifications(alice.lib, alice.key)
        assert (seen.handle, seen.maker_name, seen.post_id) == ("alice", "bob", post.post_id)
        assert seen.take_id is not None and alice.lib.take(seen.take_id).status == "done"
        request_removal(alice.lib, alice.identity, seen.receipt_id)

        # Bob's studio honours the signed request and says so.
        sync_all(bob.lib, me=bob.key)
        [said] = apply_removals(bob.lib, bob.identity)
        assert f"unpublished post {post.post_id}" in said and f"deleted take {take_id}" in said
        with pytest.raises(LibraryError):
            bob.lib.take(take_id)
        assert not take_file.exists()
        assert FeedStore(bob.lib).posts(where="p.subscription_id IS NULL") == []
        assert apply_removals(bob.lib, bob.identity) == []  # once only

        sync_all(alice.lib, me=alice.key)
        [after] = notifications(alice.lib, alice.key)
        assert after.removed == said and after.post_id is None
        assert post.post_id not in {p.post_id for p in FeedStore(alice.lib).posts()}

        # Revoking stops future use at bob's next sync.
        revoke(alice.lib, alice.identity, granted.grant_id)
        assert my_grants(alice.lib) == []
        sync_all(bob.lib, me=bob.key)
        with pytest.raises(ConsentError, match="revoked your grant"):
            submit_with_consent(bob.lib, runner.submit, Recipe("@alice waves again", seed=2, **TINY), bob.key, spec)
        assert bob.lib.count_takes() == 0
    finally:
        runner.unload()
        alice.lib.close()
        bob.lib.close()
