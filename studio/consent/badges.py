"""The cameo badge of a Feed card: which cameos a post's take was made with, from a source that can be trusted.

- A take made here: the `cameo_uses` rows `submit_with_consent` left when the prompt was cleared and queued.
- A friend's post: the cameo consent its signed MP4 states (`org.kinora.cameo_consent`, verified when the post
  was brought in and kept on the media row), judged by studio.consent.credentials. The @handles of the
  recipe's prompt alone are the author's words, not a record: one the file states no consent for is shown
  as a problem ("no consent recorded"), never as a cameo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.consent.credentials import judge

if TYPE_CHECKING:
    from studio.library.library import Library

RECORDED = "recorded here when the take was queued"
CREDENTIALS = "stated in the post's signed credentials"


@dataclass(frozen=True)
class CameoBadge:
    """The cameos in a post's take (`@handle`s with consent) and those whose consent does not hold."""

    handles: tuple[str, ...]
    problems: tuple[str, ...]  # "@handle: why" (invalid, expired or withdrawn grant; none recorded)
    source: str

    @property
    def text(self) -> str:
        shown = ", ".join(self.handles + tuple(p.split(":")[0] for p in self.problems))
        return f"{'⚠ ' if self.problems else ''}Cameo: {shown}"

    @property
    def tooltip(self) -> str:
        return "\n".join([f"Cameos {self.source}.", *self.problems])


def cameo_badge(lib: Library, take_id: int | None) -> CameoBadge | None:
    """The badge of the post whose take is `take_id` here, or None (no cameo, or the take is gone). Blocking."""
    if take_id is None:
        return None
    rows = lib.database.query("SELECT handle FROM cameo_uses WHERE take_id = ? ORDER BY handle", (take_id,))
    if rows:
        return CameoBadge(tuple(f"@{r['handle']}" for r in rows), (), RECORDED)
    from studio.provenance.reader import report_from_store

    take = lib.take(take_id)
    if take.media_id is None:
        return None
    media = lib.media(take.media_id)
    if not media.provenance_json:
        return None
    manifest = report_from_store(lib.media_path(media), media.provenance_json).manifest
    statuses = judge(manifest, lib=lib) if manifest is not None else []
    if not statuses:
        return None
    return CameoBadge(tuple(s.handle for s in statuses if s.ok),
                      tuple(f"{s.handle}: {s.state}" for s in statuses if not s.ok), CREDENTIALS)
