"""The feed without a server: publishing to the outbox, subscribing through a folder, verification."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from feed_helpers import Studio, finished_take

from studio.errors import FeedError
from studio.feed.document import parse_document
from studio.feed.publish import FEED_FILE, build_document, publish_take, set_like, unpublish, write_feed_folder
from studio.feed.signature import sign_document, verify_document
from studio.feed.store import FeedStore
from studio.feed.subscribe import subscribe, sync_subscription
from studio.provenance.reader import read_credentials


def _outbox(studio: Studio) -> Path:
    return FeedStore(studio.lib).outbox


def test_published_take_is_a_signed_mp4_and_a_post_in_a_signed_feed(alice: Studio, tmp_path: Path) -> None:
    take_id = finished_take(alice.lib, tmp_path, "a lighthouse in fog")
    post = publish_take(alice.lib, take_id, alice.identity)
    video = _outbox(alice) / post.video_name
    report = read_credentials(video)
    assert report.issuer == "alice" and report.recipe == alice.lib.take(take_id).recipe
    assert (_outbox(alice) / post.poster_name).read_bytes()[:2] == b"\xff\xd8"  # a JPEG poster
    raw = json.loads((_outbox(alice) / FEED_FILE).read_bytes())
    assert raw["version"] == "https://jsonfeed.org/version/1.1"
    signer = verify_document(raw)
    assert signer.author_key == alice.key and signer.author_name == "alice"
    (item,) = parse_document(raw).items
    assert item.post_id == post.post_id and item.prompt == "a lighthouse in fog" and item.recipe == report.recipe


def test_changed_feed_or_other_identity_fails_verification(alice: Studio, bob: Studio, tmp_path: Path) -> None:
    publish_take(alice.lib, finished_take(alice.lib, tmp_path, "a red kite"), alice.identity)
    raw = build_document(alice.lib, alice.identity, include_friends=True)
    edited = json.loads(json.dumps(raw))
    edited["items"][0]["content_text"] = "something else"
    with pytest.raises(FeedError, match="changed after it was signed"):
        verify_document(edited)
    # Bob re-signs alice's posts as his own: valid alone, but not under alice's pinned root.
    forged = sign_document({k: v for k, v in raw.items() if k != "_kinora_signature"}, bob.identity)
    assert verify_document(forged).author_key == bob.key
    with pytest.raises(FeedError, match="different identity"):
        verify_document(forged, pinned_root_pem=alice.identity.trust_anchor_pem())


def test_folder_subscription_brings_posts_in_as_takes_with_the_authors_recipe(alice: Studio, bob: Studio,
                                                                              tmp_path: Path) -> None:
    take_id = finished_take(alice.lib, tmp_path, "a paper boat on a pond")
    post = publish_take(alice.lib, take_id, alice.identity)
    synced = write_feed_folder(alice.lib, alice.identity, tmp_path / "synced", include_friends=True).parent
    sub = subscribe(bob.lib, str(synced))
    result = sync_subscription(bob.lib, sub.id, me=bob.key)
    assert result.ok and result.imported == (post.post_id,) and not result.rejected
    (seen,) = FeedStore(bob.lib).posts(me=bob.key)
    take = bob.lib.take(seen.take_id)
    assert take.origin == "imported" and take.recipe == alice.lib.take(take_id).recipe
    assert take.display_title == "alice: a paper boat on a pond"
    assert seen.author_name == "alice" and seen.author_key == alice.key and not seen.mine
    assert FeedStore(bob.lib).subscription(sub.id).status == "ok"
    again = sync_subscription(bob.lib, sub.id, me=bob.key)  # nothing new: nothing imported twice
    assert again.ok and again.imported == () and bob.lib.count_takes() == 1
    assert not any((bob.lib.cache_dir / "feed-incoming").iterdir())  # no temporary left


def test_likes_and_remixes_come_back_through_the_friends_feed(alice: Studio, bob: Studio, tmp_path: Path) -> None:
    post = publish_take(alice.lib, finished_take(alice.lib, tmp_path, "a fox"), alice.identity)
    bob_sub = subscribe(bob.lib, str(_outbox(alice)))
    sync_subscription(bob.lib, bob_sub.id, me=bob.key)
    set_like(bob.lib, bob.identity, post.post_id)
    theirs = FeedStore(bob.lib).post(post.post_id)
    remix_take = finished_take(bob.lib, tmp_path, "a fox in snow", parent=theirs.take_id, shade=30)
    remix = publish_take(bob.lib, remix_take, bob.identity)
    assert remix.parent_post_ids == (post.post_id,)
    alice_sub = subscribe(alice.lib, str(_outbox(bob)))
    assert sync_subscription(alice.lib, alice_sub.id, me=alice.key).ok
    mine = FeedStore(alice.lib).post(post.post_id, me=alice.key)
    assert (mine.likes, mine.remixes, mine.liked_by_me) == (1, 1, False)
    lineage = alice.lib.lineage(mine.take_id)  # the chain across both studios
    assert [t.recipe.prompt for t in lineage.descendants] == ["a fox in snow"]
    set_like(bob.lib, bob.identity, post.post_id, liked=False)  # an unlike travels too
    sync_subscription(alice.lib, alice_sub.id, me=alice.key)
    assert FeedStore(alice.lib).post(post.post_id).likes == 0


def test_unpublished_post_leaves_the_feed_and_the_subscribers_feed(alice: Studio, bob: Studio, tmp_path: Path) -> None:
    post = publish_take(alice.lib, finished_take(alice.lib, tmp_path, "a moth"), alice.identity)
    sub = subscribe(bob.lib, str(_outbox(alice)))
    sync_subscription(bob.lib, sub.id, me=bob.key)
    unpublish(alice.lib, post.post_id, alice.identity)
    assert not (_outbox(alice) / post.video_name).exists()
    result = sync_subscription(bob.lib, sub.id, me=bob.key)
    assert result.removed == (post.post_id,) and FeedStore(bob.lib).posts() == []
    assert bob.lib.count_takes() == 1  # the take brought in earlier stays in bob's library


def test_tampered_file_is_refused_with_its_reason_and_the_rest_imports(alice: Studio, bob: Studio,
                                                                       tmp_path: Path) -> None:
    good = publish_take(alice.lib, finished_take(alice.lib, tmp_path, "a good clip"), alice.identity)
    bad = publish_take(alice.lib, finished_take(alice.lib, tmp_path, "a clip to tamper", shade=90), alice.identity)
    path = _outbox(alice) / bad.video_name
    data = bytearray(path.read_bytes())
    data[-200] ^= 0xFF  # a byte of the picture, after signing
    path.write_bytes(bytes(data))
    sub = subscribe(bob.lib, str(_outbox(alice)))
    result = sync_subscription(bob.lib, sub.id, me=bob.key)
    assert result.ok and result.imported == (good.post_id,)
    assert "differs from the one the signed feed names" in result.rejected[bad.post_id]
    stored = FeedStore(bob.lib).subscription(sub.id)
    assert stored.rejections[0][0] == bad.post_id and "differs" in stored.rejections[0][1]
    assert bob.lib.count_takes() == 1  # nothing of the refused post entered the library


def test_file_with_broken_credentials_is_refused_even_when_the_feed_names_its_hash(alice: Studio, bob: Studio,
                                                                                   tmp_path: Path) -> None:
    bad = publish_take(alice.lib, finished_take(alice.lib, tmp_path, "a tampered clip"), alice.identity)
    path = _outbox(alice) / bad.video_name
    data = bytearray(path.read_bytes())
    data[-200] ^= 0xFF
    path.write_bytes(bytes(data))
    # Alice's own studio re-signs the feed over the changed file: the feed is fine, the C2PA is not.
    from studio.library.media_store import sha256_of

    with alice.lib.database.transaction() as conn:
        conn.execute("UPDATE feed_posts SET sha256 = ? WHERE id = ?", (sha256_of(path), bad.post_id))
    write_feed_folder(alice.lib, alice.identity, _outbox(alice), include_friends=True)
    sub = subscribe(bob.lib, str(_outbox(alice)))
    result = sync_subscription(bob.lib, sub.id, me=bob.key)
    assert result.ok and result.imported == ()
    assert "Content Credentials are tampered" in result.rejected[bad.post_id]
    assert bob.lib.count_takes() == 0


def test_malformed_or_forged_feed_fails_that_subscription_only(alice: Studio, bob: Studio, tmp_path: Path) -> None:
    publish_take(alice.lib, finished_take(alice.lib, tmp_path, "a heron"), alice.identity)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / FEED_FILE).write_text("{not json")
    good = subscribe(bob.lib, str(_outbox(alice)))
    bad = subscribe(bob.lib, str(broken))
    assert "not JSON" in sync_subscription(bob.lib, bad.id).error
    assert sync_subscription(bob.lib, good.id).ok
    assert FeedStore(bob.lib).subscription(bad.id).status == "failed"
    # After the first sync pins alice's root, a feed signed by someone else in her folder is refused.
    forged = sign_document(json.loads((_outbox(alice) / FEED_FILE).read_bytes()), bob.identity)
    shutil.copy(_outbox(alice) / FEED_FILE, tmp_path / "saved.json")
    (_outbox(alice) / FEED_FILE).write_text(json.dumps(forged))
    failed = sync_subscription(bob.lib, good.id)
    assert "different identity" in failed.error
    assert "different identity" in FeedStore(bob.lib).subscription(good.id).error


def test_friends_only_posts_stay_out_of_the_public_document(alice: Studio, tmp_path: Path) -> None:
    publish_take(alice.lib, finished_take(alice.lib, tmp_path, "for everyone"), alice.identity)
    publish_take(alice.lib, finished_take(alice.lib, tmp_path, "for friends", shade=10), alice.identity,
                 audience="friends")
    public = parse_document(build_document(alice.lib, alice.identity, include_friends=False))
    full = parse_document(build_document(alice.lib, alice.identity, include_friends=True))
    assert [i.prompt for i in public.items] == ["for everyone"]
    assert sorted(i.prompt for i in full.items) == ["for everyone", "for friends"]


def test_malformed_documents_are_named(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="JSON Feed 1.1"):
        parse_document(b'{"version": "1"}')
    doc = {"version": "https://jsonfeed.org/version/1.1", "_kinora": {"schema": 1},
           "items": [{"id": "abcdefgh1", "attachments": [{"url": "../../etc/passwd", "mime_type": "video/mp4",
                                                           "size_in_bytes": 1}],
                      "_kinora": {"audience": "public", "published_at": 1.0, "sha256": "0" * 64}}]}
    with pytest.raises(FeedError, match="outside the feed's media/ folder"):
        parse_document(json.dumps(doc).encode())


def test_unsubscribing_drops_the_posts_and_likes_but_not_the_takes(alice: Studio, bob: Studio, tmp_path: Path) -> None:
    post = publish_take(alice.lib, finished_take(alice.lib, tmp_path, "an owl"), alice.identity)
    mine = publish_take(bob.lib, finished_take(bob.lib, tmp_path, "bob's own"), bob.identity)
    bob_sub = subscribe(alice.lib, str(_outbox(bob)))
    sync_subscription(alice.lib, bob_sub.id, me=alice.key)
    set_like(alice.lib, alice.identity, mine.post_id)
    first = subscribe(bob.lib, str(_outbox(alice)))
    second = subscribe(bob.lib, str(write_feed_folder(alice.lib, alice.identity, tmp_path / "copy",
                                                      include_friends=True).parent))
    for sub in (first, second):
        assert sync_subscription(bob.lib, sub.id, me=bob.key).ok
    store = FeedStore(bob.lib)
    assert store.post(mine.post_id).likes == 1 and store.post(post.post_id).take_id is not None
    store.remove_subscription(second.id)
    assert store.post(mine.post_id).likes == 1  # alice is still followed through the first path
    store.remove_subscription(first.id)
    assert store.post(mine.post_id).likes == 0
    assert [p.post_id for p in store.posts()] == [mine.post_id] and bob.lib.count_takes() == 2
