"""Feed state in the library database (migration 7): posts, their parents, likes, subscriptions, tokens.

`FeedStore(lib)` is a thin service over the library's `Database`; like the library it may be used
from any thread. Counts are never stored: likes and remixes of a post are counted from the rows
that the likes and remixes themselves left (our own, and those brought in by friends' feeds).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.errors import FeedError
from studio.feed.document import FeedItem
from studio.recipe import Recipe

if TYPE_CHECKING:
    from studio.library.library import Library

OUTBOX = "outbox"  # in the library folder: feed.json and media/ of the posts this library published


@dataclass(frozen=True)
class FeedPost:
    """A post as the studio shows it: mine or a friend's, with counts from this library's view."""

    post_id: str
    author_key: str
    author_name: str
    subscription_id: int | None  # None: published by this library
    take_id: int | None
    audience: str
    prompt: str
    model_id: str | None
    recipe: Recipe | None
    published_at: float
    video_name: str
    poster_name: str | None
    sha256: str
    parent_post_ids: tuple[str, ...]
    likes: int
    remixes: int
    liked_by_me: bool

    @property
    def mine(self) -> bool:
        return self.subscription_id is None


@dataclass(frozen=True)
class InviteToken:
    """An active invite token: friends holding it see my friends-only posts (until it is revoked)."""

    token: str
    label: str
    created_at: float


def invite_url(base_url: str, token: str) -> str:
    """The invite link friends subscribe with: my feed at `base_url` (where `kinora serve` answers) with the token."""
    return f"{base_url.rstrip('/')}/feed?token={token}"


@dataclass(frozen=True)
class Subscription:
    """A followed feed: a URL (with its invite token, if any) or a folder, and how its last sync went."""

    id: int
    source: str
    kind: str  # "http" | "folder"
    author_key: str | None
    author_name: str | None
    pinned_root_pem: str | None
    status: str  # "new" | "ok" | "failed"
    error: str | None
    last_sync: float | None
    rejections: tuple[tuple[str, str], ...] = ()  # (post id, reason) of posts refused at the last sync


class FeedStore:
    """Reads and writes the feed tables of one library."""

    def __init__(self, lib: Library) -> None:
        self.lib = lib
        self._db = lib.database

    @property
    def outbox(self) -> Path:
        return self.lib.root / OUTBOX

    # --- posts --------------------------------------------------------------------------------

    def add_post(self, item: FeedItem, *, author_key: str, author_name: str, take_id: int | None,
                 subscription_id: int | None) -> None:
        """Record a post (replacing an older copy of the same id) and its parents."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM feed_posts WHERE id = ?", (item.post_id,))
            conn.execute(
                "INSERT INTO feed_posts (id, subscription_id, author_key, author_name, take_id, audience, prompt, "
                "model_id, recipe_json, published_at, video_name, poster_name, sha256) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (item.post_id, subscription_id, author_key, author_name, take_id, item.audience, item.prompt,
                 item.model_id, json.dumps(item.recipe.to_dict()) if item.recipe else None, item.published_at,
                 item.video_name, item.poster_name, item.sha256))
            conn.executemany("INSERT OR IGNORE INTO feed_post_parents (post_id, parent_post_id) VALUES (?, ?)",
                             [(item.post_id, parent) for parent in item.parent_post_ids])

    def remove_post(self, post_id: str) -> None:
        with self._db.transaction() as conn:
            if conn.execute("DELETE FROM feed_posts WHERE id = ?", (post_id,)).rowcount == 0:
                raise FeedError(f"There is no post {post_id} in this library's feed.")

    def post(self, post_id: str, *, me: str = "") -> FeedPost:
        found = self.posts(me=me, where="p.id = ?", params=(post_id,))
        if not found:
            raise FeedError(f"There is no post {post_id} in this library's feed.")
        return found[0]

    def post_for_take(self, take_id: int, *, me: str = "") -> FeedPost | None:
        found = self.posts(me=me, where="p.take_id = ?", params=(take_id,))
        return found[0] if found else None

    def posts(self, *, me: str = "", where: str = "", params: tuple[Any, ...] = ()) -> list[FeedPost]:
        """Every post (or those matching `where`), newest first, with likes and remixes counted."""
        sql = f"""
            SELECT p.*,
                   (SELECT count(*) FROM feed_likes l WHERE l.post_id = p.id) AS likes,
                   (SELECT count(*) FROM feed_post_parents c WHERE c.parent_post_id = p.id) AS remixes,
                   EXISTS (SELECT 1 FROM feed_likes l WHERE l.post_id = p.id AND l.liker_key = ?) AS liked,
                   (SELECT group_concat(parent_post_id, ' ') FROM feed_post_parents q WHERE q.post_id = p.id)
                       AS parents
            FROM feed_posts p {"WHERE " + where if where else ""}
            ORDER BY p.published_at DESC, p.id"""
        rows = self._db.query_dicts(sql, (me, *params))
        return [_post(row) for row in rows]

    def authors_of_takes(self, take_ids: list[int]) -> dict[int, str]:
        """take id -> author name, for the takes here that came from a friend's feed (as its signature names them)."""
        if not take_ids:
            return {}
        marks = ", ".join("?" * len(take_ids))
        rows = self._db.query(f"SELECT take_id, author_name FROM feed_posts WHERE subscription_id IS NOT NULL "
                              f"AND take_id IN ({marks})", tuple(take_ids))
        return {int(r["take_id"]): r["author_name"] for r in rows}

    def has_post(self, post_id: str, sha256: str) -> bool:
        """Whether this post (this exact file) is here already, e.g. from another subscription to the same feed."""
        return self._db.query_one("SELECT 1 FROM feed_posts WHERE id = ? AND sha256 = ?", (post_id, sha256)) is not None

    def parent_take(self, parent_post_ids: tuple[str, ...]) -> int | None:
        """The take in this library of the first parent post we hold (so a remix links into our lineage)."""
        for parent in parent_post_ids:
            row = self._db.query_one("SELECT take_id FROM feed_posts WHERE id = ? AND take_id IS NOT NULL", (parent,))
            if row is not None:
                return int(row["take_id"])
        return None

    # --- likes --------------------------------------------------------------------------------

    def set_like(self, post_id: str, liker_key: str, liked: bool = True) -> None:
        with self._db.transaction() as conn:
            if liked:
                conn.execute("INSERT OR IGNORE INTO feed_likes (post_id, liker_key, liked_at) VALUES (?, ?, ?)",
                             (post_id, liker_key, time.time()))
            else:
                conn.execute("DELETE FROM feed_likes WHERE post_id = ? AND liker_key = ?", (post_id, liker_key))

    def likes_given(self, liker_key: str) -> list[tuple[str, float]]:
        rows = self._db.query("SELECT post_id, liked_at FROM feed_likes WHERE liker_key = ? ORDER BY liked_at, post_id",
                              (liker_key,))
        return [(r["post_id"], r["liked_at"]) for r in rows]

    def replace_likes(self, liker_key: str, likes: tuple[tuple[str, float], ...]) -> None:
        """The likes a friend's feed lists now (an unlike there removes it here)."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM feed_likes WHERE liker_key = ?", (liker_key,))
            conn.executemany("INSERT OR IGNORE INTO feed_likes (post_id, liker_key, liked_at) VALUES (?, ?, ?)",
                             [(post_id, liker_key, at) for post_id, at in likes])

    # --- notices (signed records other layers publish through feeds) --------------------------

    def put_notice(self, notice: dict[str, Any], *, author_key: str) -> None:
        """Add one of my notices to my feed (replacing an older version of the same id)."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM feed_notices WHERE id = ? AND subscription_id IS NULL", (notice["id"],))
            conn.execute("INSERT INTO feed_notices (id, kind, author_key, subscription_id, body_json, at) "
                         "VALUES (?, ?, ?, NULL, ?, ?)",
                         (notice["id"], notice["kind"], author_key, json.dumps(notice), time.time()))

    def my_notices(self) -> list[dict[str, Any]]:
        rows = self._db.query("SELECT body_json FROM feed_notices WHERE subscription_id IS NULL ORDER BY at, id")
        return [json.loads(r["body_json"]) for r in rows]

    def received_notices(self, kind: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        """(author key of the feed it came in, notice) of every notice friends' feeds carry now."""
        rows = self._db.query("SELECT author_key, body_json FROM feed_notices WHERE subscription_id IS NOT NULL "
                              "AND (? IS NULL OR kind = ?) ORDER BY at, id", (kind, kind))
        return [(r["author_key"], json.loads(r["body_json"])) for r in rows]

    def replace_received_notices(self, subscription_id: int, author_key: str,
                                 notices: tuple[dict[str, Any], ...]) -> None:
        """The notices a friend's feed carries now (one taken out there is gone here too)."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM feed_notices WHERE subscription_id = ?", (subscription_id,))
            conn.executemany("INSERT OR IGNORE INTO feed_notices (id, kind, author_key, subscription_id, body_json, at) "
                             "VALUES (?, ?, ?, ?, ?, ?)",
                             [(n["id"], n["kind"], author_key, subscription_id, json.dumps(n), time.time())
                              for n in notices])

    # --- subscriptions ------------------------------------------------------------------------

    def add_subscription(self, source: str, kind: str) -> Subscription:
        with self._db.transaction() as conn:
            row = conn.execute("SELECT id FROM feed_subscriptions WHERE source = ?", (source,)).fetchone()
            if row is None:
                row_id = conn.execute("INSERT INTO feed_subscriptions (source, kind, created_at) VALUES (?, ?, ?)",
                                      (source, kind, time.time())).lastrowid
            else:
                row_id = row["id"]
        assert row_id is not None  # an INSERT's lastrowid
        return self.subscription(int(row_id))

    def remove_subscription(self, subscription_id: int) -> None:
        """Unsubscribe: the feed's posts leave the feed (their takes stay in the library)."""
        with self._db.transaction() as conn:
            key = conn.execute("SELECT author_key FROM feed_subscriptions WHERE id = ?", (subscription_id,)).fetchone()
            conn.execute("DELETE FROM feed_subscriptions WHERE id = ?", (subscription_id,))
            # Their likes go with them, unless another subscription (another path to the same feed) remains.
            if key is not None and key["author_key"] and conn.execute(
                    "SELECT 1 FROM feed_subscriptions WHERE author_key = ?", (key["author_key"],)).fetchone() is None:
                conn.execute("DELETE FROM feed_likes WHERE liker_key = ?", (key["author_key"],))

    def subscription(self, subscription_id: int) -> Subscription:
        row = self._db.query_one("SELECT * FROM feed_subscriptions WHERE id = ?", (subscription_id,))
        if row is None:
            raise FeedError(f"There is no subscription {subscription_id}.")
        rejections = self._db.query("SELECT post_id, reason FROM feed_rejections WHERE subscription_id = ? "
                                    "ORDER BY post_id", (subscription_id,))
        return Subscription(id=row["id"], source=row["source"], kind=row["kind"], author_key=row["author_key"],
                            author_name=row["author_name"], pinned_root_pem=row["pinned_root_pem"],
                            status=row["status"], error=row["error"], last_sync=row["last_sync"],
                            rejections=tuple((r["post_id"], r["reason"]) for r in rejections))

    def subscriptions(self) -> list[Subscription]:
        return [self.subscription(int(r["id"])) for r in self._db.query("SELECT id FROM feed_subscriptions ORDER BY id")]

    def followed_keys(self) -> set[str]:
        rows = self._db.query("SELECT author_key FROM feed_subscriptions WHERE author_key IS NOT NULL")
        return {r["author_key"] for r in rows}

    def pin(self, subscription_id: int, *, author_key: str, author_name: str, root_pem: str) -> None:
        """Remember the author's root on first subscribe (later feeds must be signed under it)."""
        with self._db.transaction() as conn:
            conn.execute("UPDATE feed_subscriptions SET author_key = ?, author_name = ?, pinned_root_pem = "
                         "coalesce(pinned_root_pem, ?) WHERE id = ?", (author_key, author_name, root_pem, subscription_id))

    def finish_sync(self, subscription_id: int, *, error: str | None, rejections: dict[str, str]) -> None:
        """Store how a sync went: "failed" with its reason, or "ok" with the posts it refused and why."""
        with self._db.transaction() as conn:
            conn.execute("UPDATE feed_subscriptions SET status = ?, error = ?, last_sync = ? WHERE id = ?",
                         ("failed" if error else "ok", error, time.time(), subscription_id))
            if error is None:
                conn.execute("DELETE FROM feed_rejections WHERE subscription_id = ?", (subscription_id,))
            conn.executemany("INSERT OR REPLACE INTO feed_rejections (subscription_id, post_id, reason, at) "
                             "VALUES (?, ?, ?, ?)",
                             [(subscription_id, post, reason, time.time()) for post, reason in rejections.items()])

    def posts_of_subscription(self, subscription_id: int) -> dict[str, str]:
        """post id -> sha256 of the posts already brought in from this subscription."""
        rows = self._db.query("SELECT id, sha256 FROM feed_posts WHERE subscription_id = ?", (subscription_id,))
        return {r["id"]: r["sha256"] for r in rows}

    # --- invite tokens ------------------------------------------------------------------------

    def create_token(self, label: str = "") -> str:
        token = secrets.token_urlsafe(24)
        with self._db.transaction() as conn:
            conn.execute("INSERT INTO feed_tokens (token, label, created_at) VALUES (?, ?, ?)", (token, label, time.time()))
        return token

    def revoke_token(self, token: str) -> None:
        with self._db.transaction() as conn:
            if conn.execute("UPDATE feed_tokens SET revoked_at = ? WHERE token = ? AND revoked_at IS NULL",
                            (time.time(), token)).rowcount == 0:
                raise FeedError("There is no active invite token like that (it may already be revoked).")

    def tokens(self) -> list[InviteToken]:
        """The invite tokens not revoked, oldest first."""
        rows = self._db.query("SELECT token, label, created_at FROM feed_tokens WHERE revoked_at IS NULL "
                              "ORDER BY created_at, token")
        return [InviteToken(r["token"], r["label"], r["created_at"]) for r in rows]

    def token_valid(self, token: str | None) -> bool:
        if not token:
            return False
        row = self._db.query_one("SELECT 1 FROM feed_tokens WHERE token = ? AND revoked_at IS NULL", (token,))
        return row is not None


def _post(row: dict[str, Any]) -> FeedPost:
    return FeedPost(
        post_id=row["id"], author_key=row["author_key"], author_name=row["author_name"],
        subscription_id=row["subscription_id"], take_id=row["take_id"], audience=row["audience"],
        prompt=row["prompt"], model_id=row["model_id"],
        recipe=Recipe.from_dict(json.loads(row["recipe_json"])) if row["recipe_json"] else None,
        published_at=row["published_at"], video_name=row["video_name"], poster_name=row["poster_name"],
        sha256=row["sha256"], parent_post_ids=tuple((row["parents"] or "").split()), likes=int(row["likes"]),
        remixes=int(row["remixes"]), liked_by_me=bool(row["liked"]))
