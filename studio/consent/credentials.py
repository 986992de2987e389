"""Judging the cameo consent an export states (`org.kinora.cameo_consent`, read by studio.provenance.reader):
for each cameo, whether the signed grant it carries verifies, names that cameo and owner, and is still in
force (not expired; not revoked as far as this studio's feeds tell); and which @handles of the recipe's
prompt come with no consent at all."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from studio.consent.grants import is_revoked_or_gone
from studio.consent.records import Grant, verify_notice
from studio.consent.usage import mentions
from studio.errors import ConsentError

if TYPE_CHECKING:
    from studio.library.library import Library
    from studio.provenance.reader import ManifestSummary

VALID = "valid grant"
OWNER = "the owner's own cameo"
INVALID = "invalid grant"
EXPIRED = "grant expired"
WITHDRAWN = "consent withdrawn"
MISSING = "no consent recorded"


@dataclass(frozen=True)
class ConsentStatus:
    handle: str
    owner_name: str
    owner_key: str
    grant_id: str | None
    scope: str
    state: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.state in (VALID, OWNER)


def judge(manifest: ManifestSummary, *, lib: Library | None = None, now: float | None = None) -> list[ConsentStatus]:
    """One status per cameo the manifest states, plus MISSING for each @handle of its prompt it does not."""
    now = time.time() if now is None else now
    out = [_judge(entry, lib, now) for entry in manifest.cameo_consent]
    stated = {s.handle.removeprefix("@") for s in out}
    if manifest.recipe is not None:
        out += [ConsentStatus(f"@{h}", "?", "", None, "", MISSING, "the prompt names this cameo but the file "
                              "carries no consent for it") for h in mentions(manifest.recipe.prompt) if h not in stated]
    return out


def _judge(entry: dict[str, Any], lib: Library | None, now: float) -> ConsentStatus:
    handle, owner_key = str(entry.get("handle") or "?"), str(entry.get("owner_key") or "")
    base: dict[str, Any] = dict(handle=handle, owner_name=str(entry.get("owner_name") or "?"), owner_key=owner_key,
                grant_id=entry.get("grant_id"), scope=str(entry.get("scope") or ""))
    notice = entry.get("grant")
    if entry.get("grant_id") is None:
        return ConsentStatus(**base, state=OWNER, detail="made by the cameo's owner (no grant needed)")
    if not isinstance(notice, dict):
        return ConsentStatus(**base, state=INVALID, detail="the signed grant is missing")
    try:
        verify_notice(notice, owner_key)
        grant = Grant.from_notice(notice)
    except ConsentError as exc:
        return ConsentStatus(**base, state=INVALID, detail=str(exc))
    if grant.grant_id != entry.get("grant_id") or f"@{grant.handle}" != handle:
        return ConsentStatus(**base, state=INVALID, detail="the signed grant is for another cameo or grant id")
    if grant.expires_at is not None and grant.expires_at <= now:
        return ConsentStatus(**base, state=EXPIRED, detail=f"expired at {grant.expires_at:.0f}")
    if lib is not None and is_revoked_or_gone(lib, grant.grant_id):
        return ConsentStatus(**base, state=WITHDRAWN, detail="the owner revoked this grant (seen in their feed)")
    return ConsentStatus(**base, state=VALID, detail=f"granted by {grant.owner_name} to {grant.grantee_name or 'everyone'}")
