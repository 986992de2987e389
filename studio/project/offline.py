"""Clips whose take was deleted or whose media cannot be found: marking them offline, and finding them.

A deleted take leaves its clips in place (the edit keeps its shape) with `metadata["kinora"]`
saying why they are offline; their reference is kept, so a relink can bring them back. Export
refuses an offline clip by name before it renders anything (studio.exporting.check_exportable).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.library.timeline_format import deleted_take_changes as deleted_take_changes
from studio.library.timeline_format import mark_take_deleted as mark_take_deleted
from studio.project.timeline import kinora_data, seconds

if TYPE_CHECKING:
    import opentimelineio as otio


def relink_changes(take_id: int, media_sha256: str) -> dict[str, object]:
    """The keys of a clip's metadata["kinora"] that point it at another take's media (relinking)."""
    return {"take_id": take_id, "media_sha256": media_sha256, "offline": None, "deleted_take_id": None}


def offline_reason(clip: otio.schema.Clip) -> str | None:
    """Why the clip is offline according to its metadata (None: not marked; its file may still be missing)."""
    return kinora_data(clip).get("offline")


@dataclass(frozen=True)
class OfflineClip:
    """A clip that cannot be rendered: its name, track, start (seconds) and the reason."""

    name: str
    track: str
    start: float
    reason: str

    def describe(self) -> str:
        return f"“{self.name}” on {self.track} at {self.start:.2f} s ({self.reason})"


def offline_clips(timeline: otio.schema.Timeline,
                  check: Callable[[otio.schema.Clip], str | None]) -> list[OfflineClip]:
    """Every enabled clip for which `check(clip)` names a problem (None: the clip is fine)."""
    import opentimelineio as otio

    found = []
    for track in timeline.tracks:
        if not track.enabled:
            continue
        for index, item in enumerate(track):
            if not isinstance(item, otio.schema.Clip) or not item.enabled:
                continue
            reason = offline_reason(item) or check(item)
            if reason:
                start = seconds(track.range_of_child_at_index(index).start_time)
                found.append(OfflineClip(item.name or f"clip {index + 1}", track.name, start, reason))
    return found
