"""Grants and revocations: made and signed by a cameo's owner, published in their feed, and checked
by the grantee's studio against what their feed carries now (studio.feed notices)."""

from __future__ import annotations

import base64
import datetime
import time
from typing import TYPE_CHECKING

from studio.consent.cameos import CameoStore, clean_handle
from studio.consent.records import EVERYONE, Access, Grant, NoticeKind, Scope, new_id, sign_notice, verify_notice
from studio.errors import ConsentError
from studio.feed.publish import write_outbox
from studio.feed.signature import author_key
from studio.feed.store import FeedStore

if TYPE_CHECKING:
    from studio.library.library import Library
    from studio.provenance.identity import SigningIdentity

STILL_SIDE = 384  # the reference still a grant carries is at most this many pixels on its long side


def grant(lib: Library, identity: SigningIdentity, handle: str, grantee_key: str, grantee_name: str, *,
          scope: Scope | str = Scope.PUBLISH, expires_at: float | None = None,
          restrictions: tuple[str, ...] | None = None) -> Grant:
    """Approve one person (their author key, as their feed names it) to use my cameo; publish the grant."""
    store = CameoStore(lib)
    cameo = store.find(clean_handle(handle))
    me = author_key(identity)
    if cameo is None or cameo.owner_key != me:
        raise ConsentError(f"@{clean_handle(handle)} is not one of your cameos; only its owner can grant it.")
    if cameo.access == Access.ONLY_ME:
        raise ConsentError(f"@{cameo.handle} is set to 'only me'; change its access before approving anyone.")
    if grantee_key == EVERYONE and cameo.access != Access.EVERYONE:
        raise ConsentError(f"@{cameo.handle} is not open to everyone; approve people one by one.")
    if grantee_key == me:
        raise ConsentError("You do not need a grant for your own cameo.")
    # "Mutual followers": this studio can see whom I follow, not who follows me (feeds are read, not
    # announced), so the half it can check is enforced and the grant stays a per-person approval.
    if cameo.access == Access.MUTUAL and grantee_key not in FeedStore(lib).followed_keys():
        raise ConsentError(f"@{cameo.handle} is for mutual followers and you do not follow {grantee_name or 'them'}; "
                           "subscribe to their feed first.")
    if expires_at is not None and expires_at <= time.time():
        raise ConsentError("The grant's expiry is in the past.")
    paths = store.still_paths(cameo)
    if not paths:
        raise ConsentError(f"@{cameo.handle} has no reference stills; record it again.")
    body = Grant(grant_id=new_id("grant"), handle=cameo.handle, owner_key=me, owner_name=identity.name,
                 grantee_key=grantee_key, grantee_name=grantee_name, scope=Scope(scope), issued_at=time.time(),
                 expires_at=expires_at, restrictions=cameo.restrictions if restrictions is None else restrictions,
                 still_jpeg_b64=_small_jpeg_b64(paths[0])).body()
    FeedStore(lib).put_notice(sign_notice(body, identity), author_key=me)
    write_outbox(lib, identity)
    return Grant.from_notice(body)


def grant_subscription(lib: Library, identity: SigningIdentity, handle: str, subscription_id: int, **kwargs) -> Grant:  # type: ignore[no-untyped-def]
    """Approve the author of a feed I follow (their identity is the key pinned when I subscribed)."""
    sub = FeedStore(lib).subscription(subscription_id)
    if not sub.author_key:
        raise ConsentError(f"The feed {sub.source} has not been read yet; sync it, then approve its author.")
    return grant(lib, identity, handle, sub.author_key, sub.author_name or "", **kwargs)


def revoke(lib: Library, identity: SigningIdentity, grant_id: str) -> None:
    """Withdraw a grant: a signed revocation goes into my feed, and the grant leaves it."""
    store = FeedStore(lib)
    mine = {n["id"]: n for n in store.my_notices()}
    if mine.get(grant_id, {}).get("kind") != NoticeKind.GRANT:
        raise ConsentError(f"There is no grant {grant_id} of yours to revoke.")
    body = {"id": new_id("revoke"), "kind": str(NoticeKind.REVOCATION), "grant_id": grant_id,
            "handle": mine[grant_id]["handle"], "owner_key": author_key(identity), "revoked_at": time.time()}
    store.put_notice(sign_notice(body, identity), author_key=author_key(identity))
    write_outbox(lib, identity)


def my_grants(lib: Library) -> list[Grant]:
    """The grants I issued and have not revoked."""
    notices = FeedStore(lib).my_notices()
    revoked = {n["grant_id"] for n in notices if n["kind"] == NoticeKind.REVOCATION}
    return [Grant.from_notice(n) for n in notices if n["kind"] == NoticeKind.GRANT and n["id"] not in revoked]


def valid_grant(lib: Library, handle: str, me: str, *, now: float | None = None) -> Grant:
    """The grant that lets me (author key `me`) use a friend's `@handle` now, or ConsentError saying why not:
    no grant, a bad signature, expired, or revoked."""
    now = time.time() if now is None else now
    handle = clean_handle(handle)
    store = FeedStore(lib)
    grants = [(feed_author, n) for feed_author, n in store.received_notices(str(NoticeKind.GRANT))
              if n.get("handle") == handle and n.get("grantee_key") in (me, EVERYONE)]
    if not grants:
        raise ConsentError(f"No grant for @{handle}: its owner has not approved you (ask them, and follow their feed "
                           "so the grant reaches this studio).")
    revocations = {(author, n.get("grant_id")): n for author, n in store.received_notices(str(NoticeKind.REVOCATION))}
    reasons = []
    for feed_author, notice in reversed(grants):  # newest first
        try:
            found = Grant.from_notice(notice)
            if found.owner_key != feed_author:
                raise ConsentError(f"The grant {found.grant_id} for @{handle} came in a feed that is not its owner's.")
            verify_notice(notice, feed_author)
            revoked = revocations.get((feed_author, found.grant_id))
            if revoked is not None:
                verify_notice(revoked, feed_author)
                raise ConsentError(f"@{handle}'s owner {found.owner_name} revoked your grant on "
                                   f"{_day(float(revoked.get('revoked_at', 0)))}.")
            if found.expires_at is not None and found.expires_at <= now:
                raise ConsentError(f"Your grant for @{handle} expired on {_day(found.expires_at)}.")
            return found
        except ConsentError as exc:
            reasons.append(str(exc))
    raise ConsentError(reasons[0])


def is_revoked_or_gone(lib: Library, grant_id: str) -> bool:
    """For readers of old exports: whether the grant is no longer in force as far as this studio knows."""
    store = FeedStore(lib)
    if any(n.get("grant_id") == grant_id for _, n in store.received_notices(str(NoticeKind.REVOCATION))):
        return True
    return any(n.get("grant_id") == grant_id for n in store.my_notices() if n["kind"] == NoticeKind.REVOCATION)


def _small_jpeg_b64(path) -> str:  # type: ignore[no-untyped-def]
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ConsentError(f"The reference still {path} cannot be read.")
    scale = min(1.0, STILL_SIDE / max(image.shape[:2]))
    if scale < 1.0:
        image = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                           interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 88])
    if not ok:
        raise ConsentError(f"The reference still {path} cannot be encoded.")
    return base64.b64encode(data.tobytes()).decode("ascii")


def _day(t: float) -> str:
    return datetime.datetime.fromtimestamp(t, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
