"""`FeedService`: what the studio's Feed view asks of the feed, as plain blocking calls.

Every method may be slow (database, files, network, signing): the UI calls them through
`studio.ui.tasks.run_async`, never on the GUI thread. The signing identity is loaded (or made)
on first use, on whichever worker thread needs it first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from studio.feed.publish import publish_take, set_like, unpublish
from studio.feed.rank import FeedTab, tab_posts
from studio.feed.signature import author_key
from studio.feed.store import FeedPost, FeedStore, Subscription
from studio.feed.subscribe import SyncResult, poster_path, subscribe, sync_all, sync_subscription

if TYPE_CHECKING:
    from studio.library.library import Library
    from studio.provenance.identity import SigningIdentity


def _default_identity() -> SigningIdentity:
    from studio.provenance.identity import ensure_identity

    return ensure_identity()


class FeedService:
    """The Feed of one library, as its own identity sees it."""

    def __init__(self, lib: Library, identity: Callable[[], SigningIdentity] = _default_identity) -> None:
        self.lib = lib
        self.store = FeedStore(lib)
        self._identity_factory = identity
        self._identity: SigningIdentity | None = None
        self._lock = threading.Lock()
        # One sync at a time: two syncs of one subscription would both bring in its new posts.
        self._sync_lock = threading.Lock()

    @property
    def identity(self) -> SigningIdentity:
        with self._lock:
            if self._identity is None:
                self._identity = self._identity_factory()
            return self._identity

    @property
    def me(self) -> str:
        return author_key(self.identity)

    def tab(self, tab: FeedTab, *, now: float | None = None) -> list[FeedPost]:
        """The posts of a tab, in its order (For you is ranked: studio.feed.rank)."""
        return tab_posts(self.store.posts(me=self.me), tab, now=time.time() if now is None else now,
                         following=self.store.followed_keys())

    def video_path(self, post: FeedPost) -> Path | None:
        """The signed MP4 a post plays: my outbox copy, or the take a friend's post became here."""
        if post.mine:
            path = self.store.outbox / post.video_name
            return path if path.is_file() else None
        if post.take_id is None:
            return None
        take = self.lib.take(post.take_id)
        if take.media_id is None:
            return None
        path = self.lib.media_path(self.lib.media(take.media_id))
        return path if path.is_file() else None

    def poster_path(self, post: FeedPost) -> Path | None:
        path = self.store.outbox / post.poster_name if post.mine and post.poster_name else poster_path(self.lib, post.post_id)
        return path if path.is_file() else None

    def like(self, post_id: str, liked: bool) -> FeedPost:
        return set_like(self.lib, self.identity, post_id, liked)

    def publish(self, take_id: int, audience: str = "public") -> FeedPost:
        return publish_take(self.lib, take_id, self.identity, audience=audience)

    def unpublish(self, post_id: str) -> None:
        unpublish(self.lib, post_id, self.identity)

    def subscribe(self, source: str) -> SyncResult:
        """Subscribe to a feed URL, invite link or folder, and sync it once now."""
        with self._sync_lock:
            return sync_subscription(self.lib, subscribe(self.lib, source).id, me=self.me)

    def sync_all(self) -> list[SyncResult]:
        with self._sync_lock:
            return sync_all(self.lib, me=self.me)

    def subscriptions(self) -> list[Subscription]:
        return self.store.subscriptions()
