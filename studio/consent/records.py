"""The cameo's data that crosses layers, and the signed notices that carry consent through feeds.

A notice is a small JSON object signed on its own with the author's identity key (the same chain
that signs their feed and their C2PA exports: studio.feed.signature), so it can be checked long
after the feed that carried it, e.g. from a consent assertion inside an exported MP4.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from studio.errors import ConsentError, FeedError
from studio.feed.signature import Signer, sign_document, verify_document

if TYPE_CHECKING:
    from studio.provenance.identity import SigningIdentity

EVERYONE = "*"  # the grantee of an "everyone" grant
HANDLE_CHARS = "a-z0-9_"


class Access(StrEnum):
    """Who may use a cameo (besides its owner)."""

    ONLY_ME = "only_me"
    APPROVED = "approved"
    MUTUAL = "mutual"
    EVERYONE = "everyone"

    @property
    def label(self) -> str:
        return {"only_me": "only me", "approved": "people I approve", "mutual": "mutual followers",
                "everyone": "everyone"}[self.value]


class NoticeKind(StrEnum):
    GRANT = "kinora.cameo.grant"
    REVOCATION = "kinora.cameo.revocation"
    RECEIPT = "kinora.cameo.receipt"
    REMOVAL = "kinora.cameo.removal"


class Scope(StrEnum):
    GENERATE = "generate"  # make takes, keep them private
    PUBLISH = "generate+publish"  # and post them in the grantee's feed


@dataclass(frozen=True)
class Cameo:
    """A cameo in this library: mine (made from my recording) or a friend's (as far as I know it)."""

    id: int
    handle: str  # without the '@'
    owner_key: str
    owner_name: str
    access: Access
    restrictions: tuple[str, ...]
    still_media_ids: tuple[int, ...]
    voice_media_id: int | None
    verification: str
    created_at: float


@dataclass(frozen=True)
class Grant:
    """The owner's signed permission for one person (or everyone) to use one cameo."""

    grant_id: str
    handle: str
    owner_key: str
    owner_name: str
    grantee_key: str  # an author key, or EVERYONE
    grantee_name: str
    scope: Scope
    issued_at: float
    expires_at: float | None
    restrictions: tuple[str, ...]
    still_jpeg_b64: str  # one reference still, so the grantee's studio can condition on it

    @classmethod
    def from_notice(cls, notice: dict[str, Any]) -> Grant:
        try:
            return cls(grant_id=str(notice["id"]), handle=str(notice["handle"]), owner_key=str(notice["owner_key"]),
                       owner_name=str(notice["owner_name"]), grantee_key=str(notice["grantee_key"]),
                       grantee_name=str(notice.get("grantee_name") or ""), scope=Scope(notice["scope"]),
                       issued_at=float(notice["issued_at"]),
                       expires_at=float(notice["expires_at"]) if notice.get("expires_at") is not None else None,
                       restrictions=tuple(str(r) for r in notice.get("restrictions", [])),
                       still_jpeg_b64=str(notice.get("still_jpeg_b64") or ""))
        except (KeyError, ValueError, TypeError) as exc:
            raise ConsentError(f"A cameo grant is malformed ({exc}).") from exc

    def body(self) -> dict[str, Any]:
        return {"id": self.grant_id, "kind": str(NoticeKind.GRANT), "handle": self.handle, "owner_key": self.owner_key,
                "owner_name": self.owner_name, "grantee_key": self.grantee_key, "grantee_name": self.grantee_name,
                "scope": str(self.scope), "issued_at": self.issued_at, "expires_at": self.expires_at,
                "restrictions": list(self.restrictions), "still_jpeg_b64": self.still_jpeg_b64,
                # It carries a picture of the owner: only friends' copies of the feed (the outbox, a synced
                # folder, an invite link) list it, never the public feed. It is not encrypted to the grantee.
                "audience": "friends"}


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(10)}"


def sign_notice(body: dict[str, Any], identity: SigningIdentity) -> dict[str, Any]:
    """The notice signed by `identity` (the body's fields, plus its chain and signature)."""
    return sign_document(body, identity)


def verify_notice(notice: dict[str, Any], author_key: str) -> Signer:
    """Check a notice's own signature and that `author_key` (e.g. the cameo's owner) signed it."""
    try:
        signer = verify_document(notice)
    except FeedError as exc:
        raise ConsentError(f"The {notice.get('kind', 'notice')} {notice.get('id', '')} has a bad signature: "
                           f"{exc}") from exc
    if signer.author_key != author_key:
        raise ConsentError(f"The {notice.get('kind', 'notice')} {notice.get('id', '')} is signed by "
                           f"{signer.author_name}, not by the cameo's owner.")
    return signer
