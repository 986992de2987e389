"""Subscribing: read a friend's feed, verify it, and bring its posts into the library as takes.

One sync of one subscription:

1. read the document (studio.feed.fetch: timeouts, size caps, same-host redirects only);
2. verify its signature, pinning the author's root on first subscribe (studio.feed.signature);
3. for each post not already here: download the MP4 (and poster) into a temporary folder, check
   the SHA-256 the signed feed names, then the file's Content Credentials with the author's root as
   the only trust anchor (state must be "valid": intact and signed by the feed's author), and the
   recipe against the feed's; only then import it through the library's one import path
   (`import_media` + `add_imported_take` + `record_credentials`), parented to the post it remixes
   when we hold that post, and record the post, all in one transaction;
4. record the likes the author gave (so likes on my posts are counted), keep the notices the feed
   carries now (studio.consent reads them), and drop posts the author unpublished.

A post that fails step 3 is refused with its reason (kept on the subscription); the others go on.
A failure of steps 1-2 fails the subscription with its reason; other subscriptions are untouched.
Nothing half-downloaded enters the library: files land in a temporary folder that is removed.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.atomic import atomic_path
from studio.errors import FeedError, KinoraError
from studio.feed.document import FeedItem, parse_document
from studio.feed.fetch import FeedSource, open_source, source_kind
from studio.feed.signature import Signer, verify_document
from studio.feed.store import FeedStore, Subscription
from studio.library.media_store import sha256_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from studio.library.library import Library

MAX_VIDEO_BYTES = 512 * 1024 * 1024  # a 20 s 1080x1920 clip is far below this
MAX_POSTER_BYTES = 8 * 1024 * 1024
INCOMING = "feed-incoming"  # under the library's cache folder, same disk as the media store
POSTERS = "feed-posters"


@dataclass(frozen=True)
class SyncResult:
    """What one sync did (also stored on the subscription: status, error, refused posts)."""

    subscription_id: int
    error: str | None = None
    imported: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    rejected: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


def subscribe(lib: Library, source: str) -> Subscription:
    """Add a subscription to a feed URL (an invite link keeps its ?token=) or a feed folder."""
    source = source.strip()
    kind = source_kind(source)
    if kind == "folder":
        folder = Path(source).expanduser()
        if not folder.is_dir():
            raise FeedError(f"{source} is neither an http(s) feed URL nor a folder.")
        source = str(folder.resolve())
    return FeedStore(lib).add_subscription(source, kind)


def sync_all(lib: Library, *, me: str | None = None) -> list[SyncResult]:
    """Sync every subscription, one after another; each fails on its own."""
    return [sync_subscription(lib, sub.id, me=me) for sub in FeedStore(lib).subscriptions()]


def sync_subscription(lib: Library, subscription_id: int, *, me: str | None = None,
                      source_factory: Callable[[str], FeedSource] = open_source,
                      max_video_bytes: int = MAX_VIDEO_BYTES) -> SyncResult:
    """Sync one subscription (see the module notes). `me`: my author key, so my own feed is refused."""
    store = FeedStore(lib)
    sub = store.subscription(subscription_id)
    imported: list[str] = []
    removed: list[str] = []
    rejected: dict[str, str] = {}
    try:
        source = source_factory(sub.source)
        try:
            raw = _decode(source.read_document())
            signer = verify_document(raw, sub.pinned_root_pem)
            if me is not None and signer.author_key == me:
                raise FeedError("This is your own feed; subscribe to your friends' feeds.")
            document = parse_document(raw)
            store.pin(sub.id, author_key=signer.author_key, author_name=signer.author_name, root_pem=signer.root_pem)
            known = store.posts_of_subscription(sub.id)
            for item in document.items:
                if known.get(item.post_id) == item.sha256 or store.has_post(item.post_id, item.sha256):
                    continue  # here already (from this subscription, or another path to the same feed)
                try:
                    _bring_in(lib, store, source, item, signer, sub.id, max_video_bytes)
                    imported.append(item.post_id)
                except KinoraError as exc:
                    rejected[item.post_id] = str(exc)
            listed = {item.post_id for item in document.items}
            for post_id in known.keys() - listed:  # unpublished by the author (or no longer shared with us)
                store.remove_post(post_id)
                removed.append(post_id)
            store.replace_likes(signer.author_key, document.likes)
            store.replace_received_notices(sub.id, signer.author_key, document.notices)
        finally:
            source.close()
    except KinoraError as exc:
        store.finish_sync(sub.id, error=str(exc), rejections={})
        return SyncResult(sub.id, error=str(exc))
    store.finish_sync(sub.id, error=None, rejections=rejected)
    return SyncResult(sub.id, None, tuple(imported), tuple(removed), rejected)


def _decode(data: bytes) -> dict[str, Any]:
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedError(f"The feed is not JSON ({exc}).") from exc
    if not isinstance(raw, dict):
        raise FeedError("The feed is not a JSON object.")
    return raw


def _bring_in(lib: Library, store: FeedStore, source: FeedSource, item: FeedItem, signer: Signer,
              subscription_id: int, max_video_bytes: int) -> None:
    from studio.provenance.importing import record_credentials

    incoming = lib.cache_dir / INCOMING
    incoming.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=incoming) as tmp:
        video = Path(tmp) / f"{item.post_id}.mp4"
        source.download(item.video_name, video, max_video_bytes)
        if sha256_of(video) != item.sha256:
            raise FeedError(f"Refused post {item.post_id}: its file differs from the one the signed feed names "
                            "(changed after publishing or in transit).")
        _check_credentials(video, item, signer)
        poster = None
        if item.poster_name and item.poster_sha256:
            poster = Path(tmp) / f"{item.post_id}.jpg"
            source.download(item.poster_name, poster, MAX_POSTER_BYTES)
            if sha256_of(poster) != item.poster_sha256:
                raise FeedError(f"Refused post {item.post_id}: its poster differs from the one the signed feed names.")
        media = lib.import_media(video)
        parent_take = store.parent_take(item.parent_post_ids)
        with lib.database.transaction():
            # The author in the title: the library grid and the Lineage view show whose clip it is.
            take = lib.add_imported_take(media.id, title=f"{signer.author_name}: {item.prompt[:80] or item.post_id}",
                                         parent_take_id=parent_take)
            record_credentials(lib, take)
            store.add_post(item, author_key=signer.author_key, author_name=signer.author_name, take_id=take.id,
                           subscription_id=subscription_id)
        if poster is not None:
            with atomic_path(poster_path(lib, item.post_id)) as dest:
                dest.write_bytes(poster.read_bytes())


def poster_path(lib: Library, post_id: str) -> Path:
    """Where a subscribed post's poster is kept (a cache: the take's media is the source of truth)."""
    return lib.cache_dir / POSTERS / f"{post_id}.jpg"


def _check_credentials(video: Path, item: FeedItem, signer: Signer) -> None:
    """The MP4's C2PA must be intact and signed under the feed author's root, with the feed's recipe."""
    import c2pa

    from studio.provenance.c2pa_context import settings_dict
    from studio.provenance.reader import VALID, read_credentials

    settings = settings_dict(None)
    settings["trust"] = {"user_anchors": signer.root_pem}
    context = c2pa.Context.from_dict(settings)
    try:
        report = read_credentials(video, context=context)
    finally:
        context.close()
    if report.state != VALID:
        detail = report.failing_check or "no Content Credentials"
        if report.state == "untrusted signer":
            detail = f"signed by someone other than the feed's author ({report.issuer})"
        raise FeedError(f"Refused post {item.post_id}: its Content Credentials are {report.state} ({detail}).")
    if item.recipe is not None and report.recipe != item.recipe:
        raise FeedError(f"Refused post {item.post_id}: the recipe in its Content Credentials differs from the feed's.")
