"""Using cameos: `@handle` in a prompt is checked (grant, rules) before anything is queued, the recipe is
conditioned on the reference still where the model can, and each take made with a friend's cameo
leaves a signed usage receipt in my feed. The owner answers with a signed removal request through
their feed; `apply_removals` then unpublishes and deletes the take, and says so in the receipt.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.atomic import atomic_path
from studio.consent.cameos import CameoStore
from studio.consent.grants import valid_grant
from studio.consent.records import Grant, NoticeKind, Scope, new_id, sign_notice, verify_notice
from studio.consent.rules import Classifier, ContentRules
from studio.errors import ConsentError, KinoraError
from studio.feed.publish import publish_take, unpublish, write_outbox
from studio.feed.signature import author_key
from studio.feed.store import FeedPost, FeedStore
from studio.recipe import Mode, Recipe

if TYPE_CHECKING:
    from studio.engine.registry import ModelSpec
    from studio.library.library import Library
    from studio.provenance.identity import SigningIdentity

log = logging.getLogger(__name__)
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{2,30})\b")
MAX_CAMEOS = 2  # per scene, as in the issue
STILLS_CACHE = "cameo-stills"
VOICE_NOTE = "No model here conditions on a voice sample: the cameo's voice is not used."


@dataclass(frozen=True)
class CameoUse:
    """One cameo in one prompt, cleared for use: mine (no grant needed) or a friend's under `grant`."""

    handle: str
    owner_key: str
    owner_name: str
    grant: Grant | None
    still: Path | None
    restrictions: tuple[str, ...] = ()

    def assertion(self) -> dict[str, Any]:
        """What an export says about this consent (the grant id, owner key and scope)."""
        return {"handle": f"@{self.handle}", "owner_key": self.owner_key, "owner_name": self.owner_name,
                "grant_id": self.grant.grant_id if self.grant else None,
                "scope": str(self.grant.scope) if self.grant else "owner",
                "expires_at": self.grant.expires_at if self.grant else None}


@dataclass(frozen=True)
class Cleared:
    """The outcome of `clear_recipe`: the recipe to queue, the cameos in it, what the model cannot do."""

    recipe: Recipe
    uses: tuple[CameoUse, ...] = ()
    notes: tuple[str, ...] = field(default=())


def mentions(prompt: str) -> list[str]:
    """The distinct `@handles` of a prompt, lower-cased, in order."""
    seen: list[str] = []
    for found in MENTION.findall(prompt):
        if found.lower() not in seen:
            seen.append(found.lower())
    return seen


def check_prompt(lib: Library, prompt: str, me: str, *, now: float | None = None,
                 classifier: Classifier | None = None) -> list[CameoUse]:
    """Every cameo the prompt names, cleared; ConsentError naming the first grant check or rule that fails.
    The content rules apply to every prompt, with or without cameos."""
    handles = mentions(prompt)
    if len(handles) > MAX_CAMEOS:
        raise ConsentError(f"A scene may use at most {MAX_CAMEOS} cameos; this prompt names {len(handles)} "
                           f"({', '.join('@' + h for h in handles)}).")
    store = CameoStore(lib)
    uses = []
    for handle in handles:
        mine = store.find(handle)
        if mine is not None and mine.owner_key == me:
            paths = store.still_paths(mine)
            uses.append(CameoUse(handle, me, mine.owner_name, None, paths[0] if paths else None, mine.restrictions))
            continue
        found = valid_grant(lib, handle, me, now=now)
        uses.append(CameoUse(handle, found.owner_key, found.owner_name, found, _grant_still(lib, found),
                             found.restrictions))
    ContentRules.load(lib.root).check(
        prompt, restrictions=[(f"@{u.handle}'s owner {u.owner_name}" if u.grant else f"your own @{u.handle}", r)
                              for u in uses for r in u.restrictions],
        cameo_names=[u.owner_name for u in uses], classifier=classifier)
    return uses


def clear_recipe(lib: Library, recipe: Recipe, me: str, spec: ModelSpec, *,
                 classifier: Classifier | None = None) -> Cleared:
    """Check the recipe's prompt and condition it on the cameo's reference still where the model can:
    an LTX-2 model takes it as the image condition (image-to-video at frame 0), a Wan VACE model as a subject
    reference (mode "reference"). Other models, and remix modes, get the cameo by name only, and the note says so."""
    uses = tuple(check_prompt(lib, recipe.prompt, me, classifier=classifier))
    if not uses:
        return Cleared(recipe)
    notes = [VOICE_NOTE]
    still = next((u.still for u in uses if u.still is not None), None)
    if len(uses) > 1:
        notes.append("Only the first cameo's reference still conditions the picture; the second is by name only.")
    if still is None:
        notes.append("The cameo has no reference still here; it is used by name only.")
    elif spec.family == "ltx2" and "image" in spec.modes and recipe.mode == Mode.TEXT:
        recipe = recipe.replace(mode=Mode.IMAGE, image=str(still))
    elif "reference" in spec.modes and recipe.mode == Mode.TEXT:
        recipe = recipe.replace(mode=Mode.REFERENCE, image=str(still))  # Wan VACE: `reference_images`
    elif (spec.family == "ltx2" and "image" in spec.modes) or "reference" in spec.modes:
        notes.append(f"A {recipe.mode} take keeps its own pictures; the cameo's still is not used.")
    else:
        notes.append(f"{spec.title} cannot condition on a reference picture (models that can: LTX-2 with image "
                     "conditioning, Wan 2.1 VACE with reference images): the cameo is used by name only.")
    return Cleared(recipe, uses, tuple(notes))


def submit_with_consent(lib: Library, submit: Callable[[Recipe], int], recipe: Recipe, me: str, spec: ModelSpec,
                        *, classifier: Classifier | None = None) -> tuple[int, Cleared]:
    """Clear the recipe (ConsentError before anything is queued), queue it with `submit`, and remember
    which cameos the take uses (for the receipt and the export's consent assertion)."""
    cleared = clear_recipe(lib, recipe, me, spec, classifier=classifier)
    take_id = submit(cleared.recipe)
    if cleared.uses:
        with lib.database.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO cameo_uses (take_id, handle, owner_key, grant_id, consent_json) "
                             "VALUES (?, ?, ?, ?, ?)",
                             [(take_id, u.handle, u.owner_key, u.grant.grant_id if u.grant else None,
                               json.dumps(_consent(lib, u))) for u in cleared.uses])
    return take_id, cleared


def _consent(lib: Library, use: CameoUse) -> dict[str, Any]:
    """What the take's exports state about this cameo (studio.exporting reads it back): the assertion
    plus the owner's signed grant itself, so a reader can check the signature without this library."""
    grant = None
    if use.grant is not None:
        grant = next((n for _, n in FeedStore(lib).received_notices(str(NoticeKind.GRANT))
                      if n.get("id") == use.grant.grant_id), None)
    return {**use.assertion(), "grant": grant}


# --- receipts (maker's side) -------------------------------------------------------------------------

def issue_receipts(lib: Library, identity: SigningIdentity, take_id: int, post_id: str | None = None) -> list[str]:
    """Sign a usage receipt for each friend's cameo in the take (or update it with the post it became),
    put it in my feed, and rewrite the outbox. Returns the receipt ids."""
    take = lib.take(take_id)
    rows = lib.database.query("SELECT * FROM cameo_uses WHERE take_id = ? AND grant_id IS NOT NULL", (take_id,))
    ids = []
    store = FeedStore(lib)
    for row in rows:
        receipt_id = row["receipt_id"] or new_id("receipt")
        body = {"id": receipt_id, "kind": str(NoticeKind.RECEIPT), "handle": row["handle"],
                "owner_key": row["owner_key"], "grant_id": row["grant_id"], "maker_key": author_key(identity),
                "maker_name": identity.name, "prompt": take.recipe.prompt if take.recipe else "",
                "post_id": post_id, "made_at": take.created_at}
        store.put_notice(sign_notice(body, identity), author_key=author_key(identity))
        with lib.database.transaction() as conn:
            conn.execute("UPDATE cameo_uses SET receipt_id = ? WHERE take_id = ? AND handle = ?",
                         (receipt_id, take_id, row["handle"]))
        ids.append(receipt_id)
    if ids:
        write_outbox(lib, identity)
    return ids


def publish_cameo_take(lib: Library, identity: SigningIdentity, take_id: int, *, audience: str = "public") -> FeedPost:
    """Publish a take; one made with a friend's cameo needs a grant whose scope allows publishing, and
    its receipts then name the post (so the owner sees the clip)."""
    rows = lib.database.query("SELECT handle, grant_id FROM cameo_uses WHERE take_id = ? AND grant_id IS NOT NULL",
                              (take_id,))
    grants = {n["id"]: n for _, n in FeedStore(lib).received_notices(str(NoticeKind.GRANT))}
    for row in rows:
        notice = grants.get(row["grant_id"])
        if notice is None or notice.get("scope") != Scope.PUBLISH:
            raise ConsentError(f"Your grant for @{row['handle']} does not allow publishing (or is gone); "
                               "keep the take private or ask its owner.")
    post = publish_take(lib, take_id, identity, audience=audience)
    issue_receipts(lib, identity, take_id, post.post_id)
    return post


# --- notifications and removal (owner's side) ---------------------------------------------------------

@dataclass(frozen=True)
class Notification:
    """A receipt for one of my cameos, as my studio shows it."""

    receipt_id: str
    handle: str
    maker_key: str
    maker_name: str
    prompt: str
    post_id: str | None
    take_id: int | None  # the clip, when the maker's post reached this library
    removed: str | None  # the maker's studio's own words, once it removed the take at my request
    removal_requested: bool


def notifications(lib: Library, me: str) -> list[Notification]:
    """Signed receipts for my cameos from the feeds I follow (bad signatures are left out)."""
    store = FeedStore(lib)
    requested = {n.get("receipt_id") for n in store.my_notices() if n["kind"] == NoticeKind.REMOVAL}
    out = []
    for feed_author, notice in store.received_notices(str(NoticeKind.RECEIPT)):
        if notice.get("owner_key") != me or notice.get("maker_key") != feed_author:
            continue
        try:
            verify_notice(notice, feed_author)
        except ConsentError:
            continue
        post_id = notice.get("post_id")
        take_id = None
        if post_id:
            try:
                take_id = store.post(str(post_id)).take_id
            except KinoraError:
                take_id = None
        out.append(Notification(receipt_id=str(notice["id"]), handle=str(notice.get("handle")), maker_key=feed_author,
                                maker_name=str(notice.get("maker_name") or ""), prompt=str(notice.get("prompt") or ""),
                                post_id=str(post_id) if post_id else None, take_id=take_id,
                                removed=notice.get("removed"), removal_requested=notice["id"] in requested))
    return out


def new_uses(lib: Library, me: str) -> list[Notification]:
    """Receipts for my cameos not announced before (each is announced once, then remembered)."""
    found = [n for n in notifications(lib, me) if not n.removed]
    with lib.database.transaction() as conn:
        fresh = [n for n in found if conn.execute("INSERT OR IGNORE INTO cameo_seen_receipts (receipt_id, at) "
                                                  "VALUES (?, ?)", (n.receipt_id, time.time())).rowcount]
    return fresh


def request_removal(lib: Library, identity: SigningIdentity, receipt_id: str) -> str:
    """Ask the maker of a take with my cameo to remove it: a signed request in my feed. Returns its id."""
    me = author_key(identity)
    found = next((n for n in notifications(lib, me) if n.receipt_id == receipt_id), None)
    if found is None:
        raise ConsentError(f"There is no receipt {receipt_id} for one of your cameos.")
    body = {"id": new_id("removal"), "kind": str(NoticeKind.REMOVAL), "receipt_id": receipt_id,
            "post_id": found.post_id, "maker_key": found.maker_key, "owner_key": me, "handle": found.handle,
            "requested_at": time.time()}
    FeedStore(lib).put_notice(sign_notice(body, identity), author_key=me)
    write_outbox(lib, identity)
    return str(body["id"])


def apply_removals(lib: Library, identity: SigningIdentity) -> list[str]:
    """Honour the signed removal requests that owners' feeds carry for takes I made with their cameos:
    unpublish the post, delete the take (and its media when nothing else shows it), and record in the
    receipt what was done. Returns one sentence per removal (what the studio says)."""
    me = author_key(identity)
    store = FeedStore(lib)
    mine = {n["id"]: n for n in store.my_notices() if n["kind"] == NoticeKind.RECEIPT}
    done = {r["request_id"] for r in lib.database.query("SELECT request_id FROM cameo_removals")}
    said = []
    for feed_author, request in store.received_notices(str(NoticeKind.REMOVAL)):
        receipt = mine.get(str(request.get("receipt_id")))
        if request["id"] in done or request.get("maker_key") != me or receipt is None \
                or receipt.get("owner_key") != feed_author:
            continue
        try:
            verify_notice(request, feed_author)
        except ConsentError as exc:
            log.warning("ignoring a removal request that does not verify: %s", exc)
            continue
        said.append(_remove(lib, identity, store, request, receipt))
    if said:
        write_outbox(lib, identity)
    return said


def _remove(lib: Library, identity: SigningIdentity, store: FeedStore, request: dict[str, Any],
            receipt: dict[str, Any]) -> str:
    row = lib.database.query_one("SELECT take_id FROM cameo_uses WHERE receipt_id = ?", (receipt["id"],))
    take_id = int(row["take_id"]) if row else None
    parts = []
    post_id = receipt.get("post_id")
    if post_id and any(p.post_id == post_id for p in store.posts(where="p.subscription_id IS NULL")):
        unpublish(lib, str(post_id), identity)
        parts.append(f"unpublished post {post_id}")
    if take_id is not None:
        deleted = lib.delete_take(take_id)  # its file goes too unless another take shows the same bytes
        parts.append(f"deleted take {take_id}" + (" and its video file" if deleted.file_deleted else ""))
    owner = request.get("handle", "")
    message = f"At @{owner}'s owner's request: " + (", ".join(parts) if parts else "nothing was left to remove") + "."
    with lib.database.transaction() as conn:
        conn.execute("INSERT INTO cameo_removals (request_id, owner_key, receipt_id, message, at) VALUES (?, ?, ?, ?, ?)",
                     (request["id"], request.get("owner_key", ""), receipt["id"], message, time.time()))
    updated = {k: v for k, v in receipt.items() if not k.startswith("_")}
    updated.update(removed=message, post_id=None)
    store.put_notice(sign_notice(updated, identity), author_key=author_key(identity))
    return message


def _grant_still(lib: Library, grant: Grant) -> Path | None:
    """The reference still a grant carries, as a file in the cache (written once per grant)."""
    if not grant.still_jpeg_b64:
        return None
    path = lib.cache_dir / STILLS_CACHE / f"{grant.grant_id}.jpg"
    if not path.is_file():
        with atomic_path(path) as tmp:
            tmp.write_bytes(base64.b64decode(grant.still_jpeg_b64))
    return path
