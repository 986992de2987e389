"""Issue 18's "Done when": alice and bob, two libraries and identities on one machine, over loopback HTTP
and a folder; takes generated and remixed by the real engine with the tiny-random model."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

from feed_helpers import feed_app, open_studio, serve

from studio.engine.runner import Runner
from studio.feed.publish import publish_take, set_like, write_feed_folder
from studio.feed.rank import FeedTab, tab_posts
from studio.feed.store import FeedStore
from studio.feed.subscribe import subscribe, sync_subscription
from studio.recipe import Recipe

TINY = dict(model_id="tiny-random", width=32, height=32, fps=8.0, steps=2, seconds=0.5)


def test_alice_publishes_bob_likes_and_remixes_alice_sees_the_like_remix_and_chain(tmp_path: Path) -> None:
    alice, bob = open_studio(tmp_path, "alice"), open_studio(tmp_path, "bob")
    alice_runner, bob_runner = Runner(alice.lib), Runner(bob.lib)
    stack = ExitStack()
    try:
        original = alice_runner.submit(Recipe("a lantern drifting over a lake", seed=4, **TINY))
        alice_runner.run_take(original)
        post = publish_take(alice.lib, original, alice.identity)
        synced = write_feed_folder(alice.lib, alice.identity, tmp_path / "alice-synced", include_friends=True).parent

        alice_url = stack.enter_context(serve(feed_app(alice)))  # alice's `kinora serve`, up till the end
        over_http = subscribe(bob.lib, f"{alice_url}/feed")
        assert sync_subscription(bob.lib, over_http.id, me=bob.key).imported == (post.post_id,)
        through_folder = subscribe(bob.lib, str(synced))
        assert sync_subscription(bob.lib, through_folder.id, me=bob.key).ok  # same post: not brought in twice
        bob_store = FeedStore(bob.lib)
        for_you = tab_posts(bob_store.posts(me=bob.key), FeedTab.FOR_YOU, now=time.time(),
                            following=bob_store.followed_keys())
        assert [p.post_id for p in for_you] == [post.post_id] and bob.lib.count_takes() == 1
        seen = for_you[0]
        assert seen.author_name == "alice" and seen.recipe.prompt == "a lantern drifting over a lake"

        set_like(bob.lib, bob.identity, post.post_id)
        remix_recipe = seen.recipe.replace(prompt="a lantern drifting over a frozen lake", seed=9, mode="video",
                                           source_take_id=seen.take_id)
        remix = bob_runner.submit(remix_recipe, parent_take_id=seen.take_id, remix_kind="video")
        bob_runner.run_take(remix)
        assert bob.lib.take(remix).status == "done"
        remix_post = publish_take(bob.lib, remix, bob.identity)
        assert remix_post.parent_post_ids == (post.post_id,)

        with serve(feed_app(bob)) as bob_url:
            alice_sub = subscribe(alice.lib, f"{bob_url}/feed")
            assert sync_subscription(alice.lib, alice_sub.id, me=alice.key).imported == (remix_post.post_id,)
        mine = FeedStore(alice.lib).post(post.post_id, me=alice.key)
        assert (mine.likes, mine.remixes) == (1, 1)
        chain = alice.lib.lineage(original)  # alice's take -> bob's remix, across both studios
        assert [t.recipe.prompt for t in chain.descendants] == ["a lantern drifting over a frozen lake"]
        assert [t.id for t in bob.lib.lineage(remix).ancestors] == [seen.take_id]
        assert tab_posts(FeedStore(alice.lib).posts(me=alice.key), FeedTab.MOST_REMIXED, now=time.time())[0].post_id \
            == post.post_id

        # A tampered post is refused, with its reason on the subscription.
        second = alice_runner.submit(Recipe("a second lantern", seed=5, **TINY))
        alice_runner.run_take(second)
        tampered = publish_take(alice.lib, second, alice.identity)
        path = FeedStore(alice.lib).outbox / tampered.video_name
        data = bytearray(path.read_bytes())
        data[-100] ^= 0x55
        path.write_bytes(bytes(data))
        result = sync_subscription(bob.lib, over_http.id, me=bob.key)
        assert result.ok and tampered.post_id in result.rejected
        reason = dict(FeedStore(bob.lib).subscription(over_http.id).rejections)[tampered.post_id]
        assert "differs from the one the signed feed names" in reason
    finally:
        stack.close()
        alice_runner.unload()
        bob_runner.unload()
        alice.lib.close()
        bob.lib.close()
