"""The wire form of a feed: a JSON Feed 1.1 document with Kinora's fields under `_kinora`.

    {"version": "https://jsonfeed.org/version/1.1", "title": ..., "authors": [{"name": ...}],
     "items": [{"id", "title", "content_text" (the prompt), "date_published", "image" (poster),
                "attachments": [{"url", "mime_type": "video/mp4", "size_in_bytes"}],
                "_kinora": {"recipe", "parent_post_ids", "audience", "sha256", "poster_sha256",
                            "model_id", "published_at", "likes", "remixes"}}],
     "_kinora": {"schema", "likes": [{"post_id", "at"}], "notices": [{"id", "kind", ...}], chain, root,
                 author key and name},
     "_kinora_signature": {"alg", "value"}}

URLs of attachments are relative to the feed (`media/<post id>.mp4`), so the same document works
served over HTTP and written to a synced folder. Notices are signed records that ride along (cameo
grants, revocations, usage receipts, removal requests: studio.consent writes and reads them); the feed
only checks that each is an object with an id and a kind, and keeps it as received. `parse_document` checks every field a subscriber
relies on and raises FeedError naming the first bad one.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field
from typing import Any

from studio.errors import FeedError, RecipeError
from studio.recipe import Recipe

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
MIME_TYPE = "application/feed+json"
SCHEMA = 1
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
MEDIA_DIR = "media"
_POST_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_NOTICE_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,80}$")
MAX_NOTICES = 2000
_MEDIA_NAME = re.compile(r"^media/[A-Za-z0-9_-]{8,64}\.(mp4|jpg)$")


@dataclass(frozen=True)
class FeedItem:
    """One post as it travels: the signed MP4 (and poster) and what a remix needs."""

    post_id: str
    prompt: str
    published_at: float
    audience: str  # "public" or "friends"
    video_name: str  # "media/<post id>.mp4", relative to the feed
    video_size: int
    sha256: str
    poster_name: str | None = None
    poster_sha256: str | None = None
    recipe: Recipe | None = None
    model_id: str | None = None
    parent_post_ids: tuple[str, ...] = ()
    likes: int = 0  # as counted by the author's studio (shown; a subscriber counts its own)
    remixes: int = 0

    def to_dict(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": self.post_id, "title": self.prompt[:80], "content_text": self.prompt,
            "date_published": _rfc3339(self.published_at),
            "attachments": [{"url": self.video_name, "mime_type": "video/mp4", "size_in_bytes": self.video_size}],
            "_kinora": {"recipe": self.recipe.to_dict() if self.recipe else None,
                        "parent_post_ids": list(self.parent_post_ids), "audience": self.audience,
                        "sha256": self.sha256, "poster_sha256": self.poster_sha256, "model_id": self.model_id,
                        "published_at": self.published_at, "likes": self.likes, "remixes": self.remixes},
        }
        if self.poster_name:
            item["image"] = self.poster_name
        return item


@dataclass(frozen=True)
class FeedDocument:
    """A whole feed: its author's posts and the likes its author gave (to anyone's posts)."""

    title: str
    items: tuple[FeedItem, ...]
    likes: tuple[tuple[str, float], ...] = ()  # (post id, when)
    author_name: str = ""
    author_key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # signature fields, kept as received
    notices: tuple[dict[str, Any], ...] = ()  # signed records of other layers (see the module notes)

    def to_dict(self) -> dict[str, Any]:
        """The unsigned document (studio.feed.signature.sign_document adds the key, chain and signature)."""
        return {
            "version": JSON_FEED_VERSION, "title": self.title,
            "authors": [{"name": self.author_name}] if self.author_name else [],
            "items": [item.to_dict() for item in self.items],
            "_kinora": {"schema": SCHEMA, "likes": [{"post_id": p, "at": at} for p, at in self.likes],
                        "notices": list(self.notices)},
        }


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def parse_document(data: bytes | dict[str, Any]) -> FeedDocument:
    """A FeedDocument from bytes (or already-decoded JSON); FeedError naming what is malformed."""
    if isinstance(data, bytes | bytearray):
        if len(data) > MAX_DOCUMENT_BYTES:
            raise FeedError(f"The feed is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB.")
        try:
            raw = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise FeedError(f"The feed is not JSON ({exc}).") from exc
    else:
        raw = data
    if not isinstance(raw, dict) or raw.get("version") != JSON_FEED_VERSION:
        raise FeedError(f"The document is not a JSON Feed 1.1 (its version must be {JSON_FEED_VERSION}).")
    kinora = raw.get("_kinora")
    if not isinstance(kinora, dict) or kinora.get("schema") != SCHEMA:
        raise FeedError(f"The feed has no Kinora block of schema {SCHEMA}; it was not written by Kinora.")
    items = raw.get("items")
    if not isinstance(items, list):
        raise FeedError("The feed's items are not a list.")
    likes = []
    for like in _list(kinora.get("likes", []), "likes"):
        likes.append((_post_id(_get(like, "post_id", "a like")), _number(_get(like, "at", "a like"), "a like's time")))
    return FeedDocument(
        title=str(raw.get("title") or ""), items=tuple(_item(entry, n) for n, entry in enumerate(items)),
        likes=tuple(likes), author_name=str(kinora.get("author_name") or ""),
        author_key=str(kinora.get("author_key") or ""), extra={k: v for k, v in raw.items() if k.startswith("_")},
        notices=_notices(kinora.get("notices", [])))


def _notices(value: Any) -> tuple[dict[str, Any], ...]:
    notices = _list(value, "notices")
    if len(notices) > MAX_NOTICES:
        raise FeedError(f"The feed carries more than {MAX_NOTICES} notices.")
    for notice in notices:
        if not isinstance(notice, dict) or not isinstance(notice.get("kind"), str) \
                or not isinstance(notice.get("id"), str) or not _NOTICE_ID.match(notice["id"]):
            raise FeedError("The feed carries a notice without a valid id and kind.")
    return tuple(notices)


def _item(entry: Any, index: int) -> FeedItem:
    where = f"item {index + 1}"
    if not isinstance(entry, dict) or not isinstance(entry.get("_kinora"), dict):
        raise FeedError(f"The feed's {where} is not a Kinora post.")
    kinora = entry["_kinora"]
    post_id = _post_id(_get(entry, "id", where))
    attachments = _list(_get(entry, "attachments", where), f"{where}'s attachments")
    video = next((a for a in attachments if isinstance(a, dict) and a.get("mime_type") == "video/mp4"), None)
    if video is None:
        raise FeedError(f"The feed's {where} ({post_id}) has no video/mp4 attachment.")
    recipe = None
    if kinora.get("recipe") is not None:
        try:
            recipe = Recipe.from_dict(kinora["recipe"])
        except (RecipeError, TypeError, ValueError, KeyError) as exc:
            raise FeedError(f"The recipe of post {post_id} is invalid ({exc}).") from exc
    audience = kinora.get("audience")
    if audience not in ("public", "friends"):
        raise FeedError(f"Post {post_id} has an unknown audience {audience!r}.")
    poster = entry.get("image")
    return FeedItem(
        post_id=post_id, prompt=str(entry.get("content_text") or ""),
        published_at=_number(kinora.get("published_at"), f"{where}'s time"), audience=audience,
        video_name=_media_name(video.get("url"), post_id), video_size=int(_number(video.get("size_in_bytes"), f"{where}'s size")),
        sha256=_sha(kinora.get("sha256"), post_id), poster_name=_media_name(poster, post_id) if poster else None,
        poster_sha256=_sha(kinora["poster_sha256"], post_id) if kinora.get("poster_sha256") else None,
        recipe=recipe, model_id=str(kinora["model_id"]) if kinora.get("model_id") else None,
        parent_post_ids=tuple(_post_id(p) for p in _list(kinora.get("parent_post_ids", []), f"{where}'s parents")),
        likes=int(_number(kinora.get("likes", 0), "likes")), remixes=int(_number(kinora.get("remixes", 0), "remixes")))


def _get(entry: Any, key: str, where: str) -> Any:
    if not isinstance(entry, dict) or key not in entry:
        raise FeedError(f"The feed's {where} has no '{key}'.")
    return entry[key]


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise FeedError(f"The feed's {what} are not a list.")
    return value


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or value < 0:
        raise FeedError(f"The feed's {what} is not a number.")
    return float(value)


def _post_id(value: Any) -> str:
    if not isinstance(value, str) or not _POST_ID.match(value):
        raise FeedError(f"The feed names a post id {value!r} that is not 8-64 letters, digits, '-' or '_'.")
    return value


def _media_name(value: Any, post_id: str) -> str:
    # Only names under media/ are fetched: an item cannot point a subscriber at another host or folder.
    if not isinstance(value, str) or not _MEDIA_NAME.match(value):
        raise FeedError(f"Post {post_id} names a file {value!r} outside the feed's media/ folder.")
    return value


def _sha(value: Any, post_id: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise FeedError(f"Post {post_id} has no valid sha256 for its file.")
    return value


def _rfc3339(t: float) -> str:
    return datetime.datetime.fromtimestamp(t, datetime.UTC).isoformat().replace("+00:00", "Z")
