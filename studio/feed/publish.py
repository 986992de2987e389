"""Publishing: a take becomes a signed MP4 (mark + C2PA) and poster in the outbox and a post in my feed.

The outbox (`<library>/outbox/`) holds `feed.json` and `media/`: it is exactly what a subscriber reads,
so pointing Syncthing or Dropbox at it (or at a folder given to `write_feed_folder`) shares the feed
with no server. `kinora serve` serves the same document and files (studio/server/feed_routes.py).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.atomic import atomic_path
from studio.errors import FeedError
from studio.feed.document import MEDIA_DIR, FeedDocument, FeedItem, encode
from studio.feed.signature import author_key, sign_document
from studio.feed.store import FeedPost, FeedStore
from studio.library.media_store import sha256_of

if TYPE_CHECKING:
    from studio.cancel import CancelToken
    from studio.exporting import ProgressCallback
    from studio.library.library import Library
    from studio.provenance.identity import SigningIdentity

FEED_FILE = "feed.json"
AUDIENCES = ("public", "friends")


def publish_take(lib: Library, take_id: int, identity: SigningIdentity, *, audience: str = "public",
                 progress: ProgressCallback | None = None, cancel: CancelToken | None = None) -> FeedPost:
    """Export the take signed by `identity` into the outbox and add it to my feed (then rewrite feed.json).

    A take remixing a post (its parent take came from a feed, or was published here) names that post
    as its parent, so the remix is counted on the original author's post when they read my feed.
    """
    from studio.exporting import export_take
    from studio.provenance.thumbnail import poster_jpeg

    if audience not in AUDIENCES:
        raise FeedError(f"A post is 'public' or 'friends', not '{audience}'.")
    store = FeedStore(lib)
    take = lib.take(take_id)
    existing = store.post_for_take(take_id)
    if existing is not None and existing.mine:
        raise FeedError(f"Take {take_id} is already published (post {existing.post_id}); unpublish it first.")
    post_id = secrets.token_hex(10)
    media = store.outbox / MEDIA_DIR
    video = media / f"{post_id}.mp4"
    export_take(lib, take_id, video, identity=identity, progress=progress, cancel=cancel)
    poster_name = None
    jpeg = poster_jpeg(video)
    if jpeg:
        poster_name = f"{MEDIA_DIR}/{post_id}.jpg"
        with atomic_path(store.outbox / poster_name) as tmp:
            tmp.write_bytes(jpeg)
    parent = store.post_for_take(take.parent_take_id) if take.parent_take_id is not None else None
    item = FeedItem(post_id=post_id, prompt=take.recipe.prompt if take.recipe else take.display_title,
                    published_at=time.time(), audience=audience, video_name=f"{MEDIA_DIR}/{post_id}.mp4",
                    video_size=video.stat().st_size, sha256=sha256_of(video), poster_name=poster_name,
                    poster_sha256=hashlib.sha256(jpeg).hexdigest() if jpeg else None, recipe=take.recipe,
                    model_id=take.recipe.model_id if take.recipe else None,
                    parent_post_ids=(parent.post_id,) if parent else ())
    store.add_post(item, author_key=author_key(identity), author_name=identity.name, take_id=take_id,
                   subscription_id=None)
    write_outbox(lib, identity)
    return store.post(post_id, me=author_key(identity))


def unpublish(lib: Library, post_id: str, identity: SigningIdentity) -> None:
    """Take one of my posts out of my feed and delete its outbox files (the take stays in the library)."""
    store = FeedStore(lib)
    post = store.post(post_id)
    if not post.mine:
        raise FeedError(f"Post {post_id} is {post.author_name}'s; only its author can unpublish it.")
    store.remove_post(post_id)
    for name in (post.video_name, post.poster_name):
        if name:
            (store.outbox / name).unlink(missing_ok=True)
    write_outbox(lib, identity)


def set_like(lib: Library, identity: SigningIdentity, post_id: str, liked: bool = True) -> FeedPost:
    """Like (or unlike) a post; my feed lists my likes, so its author counts them when they read it."""
    store = FeedStore(lib)
    store.post(post_id)
    me = author_key(identity)
    store.set_like(post_id, me, liked)
    write_outbox(lib, identity)
    return store.post(post_id, me=me)


def build_document(lib: Library, identity: SigningIdentity, *, include_friends: bool) -> dict[str, Any]:
    """My feed, signed: my posts (public ones only unless `include_friends`), every like I gave, and my
    notices (those marked `"audience": "friends"` only unless `include_friends`)."""
    store = FeedStore(lib)
    me = author_key(identity)
    items = []
    for post in store.posts(me=me, where="p.subscription_id IS NULL"):
        if post.audience == "friends" and not include_friends:
            continue
        video = store.outbox / post.video_name
        items.append(FeedItem(
            post_id=post.post_id, prompt=post.prompt, published_at=post.published_at, audience=post.audience,
            video_name=post.video_name, video_size=video.stat().st_size if video.is_file() else 0,
            sha256=post.sha256, poster_name=post.poster_name,
            poster_sha256=_file_sha(store.outbox / post.poster_name) if post.poster_name else None,
            recipe=post.recipe, model_id=post.model_id, parent_post_ids=post.parent_post_ids,
            likes=post.likes, remixes=post.remixes))
    document = FeedDocument(title=f"{identity.name} on Kinora", items=tuple(items),
                            likes=tuple(store.likes_given(me)), author_name=identity.name, author_key=me,
                            notices=tuple(n for n in store.my_notices()
                                          if include_friends or n.get("audience") != "friends"))
    return sign_document(document.to_dict(), identity)


def write_outbox(lib: Library, identity: SigningIdentity) -> Path:
    """Rewrite `<outbox>/feed.json` (every post: the outbox is mine; share it only with friends)."""
    return write_feed_folder(lib, identity, FeedStore(lib).outbox, include_friends=True)


def write_feed_folder(lib: Library, identity: SigningIdentity, folder: Path, *, include_friends: bool) -> Path:
    """Write my signed feed and its media into `folder` (e.g. a Syncthing folder). Media go first and the
    feed last, each renamed into place, so a reader never sees a feed naming files not there yet."""
    store = FeedStore(lib)
    folder = Path(folder)
    document = build_document(lib, identity, include_friends=include_friends)
    if folder.resolve() != store.outbox.resolve():
        wanted = set()
        for item in document["items"]:
            for name in (item["attachments"][0]["url"], item.get("image")):
                if name:
                    wanted.add(name)
                    _copy_if_changed(store.outbox / name, folder / name)
        for stale in (folder / MEDIA_DIR).glob("*") if (folder / MEDIA_DIR).is_dir() else ():
            if f"{MEDIA_DIR}/{stale.name}" not in wanted:
                stale.unlink(missing_ok=True)
    with atomic_path(folder / FEED_FILE) as tmp:
        tmp.write_bytes(encode(document))
    return folder / FEED_FILE


def _copy_if_changed(source: Path, dest: Path) -> None:
    if dest.is_file() and dest.stat().st_size == source.stat().st_size:
        return
    with atomic_path(dest) as tmp:
        shutil.copyfile(source, tmp)
        os.utime(tmp)


def _file_sha(path: Path) -> str | None:
    return sha256_of(path) if path.is_file() else None
