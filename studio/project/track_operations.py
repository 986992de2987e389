"""Reversible edits of whole tracks: add a track, change a track's settings (mute, solo, lock).

They follow studio.project.operations' contract (`apply` / `revert`, revert only the last apply
on the same timeline), so the editor's undo stack takes them like any other operation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from studio.errors import ProjectError
from studio.project.operations import Operation
from studio.project.timeline import KINORA_KEY, find_track, kinora_data

if TYPE_CHECKING:
    import opentimelineio as otio


class SetTrackData(Operation):
    """Set keys of a track's metadata["kinora"] (mute, solo, lock); revert restores the old dict."""

    def __init__(self, track: str, changes: dict[str, Any]) -> None:
        super().__init__()
        self.track, self.changes = track, dict(changes)
        self._before: dict[str, Any] | None = None

    def apply(self, timeline: otio.schema.Timeline) -> None:
        track = find_track(timeline, self.track)
        had_key = KINORA_KEY in track.metadata
        self._before = kinora_data(track) if had_key else None
        data = kinora_data(track)
        data.update(self.changes)
        track.metadata[KINORA_KEY] = data

    def revert(self, timeline: otio.schema.Timeline) -> None:
        track = find_track(timeline, self.track)
        if self._before is None:
            del track.metadata[KINORA_KEY]
        else:
            track.metadata[KINORA_KEY] = self._before


class AddTrack(Operation):
    """Add an empty track of `kind` ("video" or "audio") after the last one of that kind."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        if kind not in ("video", "audio"):
            raise ProjectError(f"A track is video or audio, not '{kind}'.")
        self.kind = kind
        self.track: otio.schema.Track | None = None

    def apply(self, timeline: otio.schema.Timeline) -> None:
        import opentimelineio as otio

        otio_kind = otio.schema.TrackKind.Video if self.kind == "video" else otio.schema.TrackKind.Audio
        same = [i for i, t in enumerate(timeline.tracks) if t.kind == otio_kind]
        names = {t.name for t in timeline.tracks}
        prefix = "V" if self.kind == "video" else "A"
        number = len(same) + 1
        while f"{prefix}{number}" in names:
            number += 1
        self.track = otio.schema.Track(name=f"{prefix}{number}", kind=otio_kind)
        timeline.tracks.insert(same[-1] + 1 if same else len(timeline.tracks), self.track)

    def revert(self, timeline: otio.schema.Timeline) -> None:
        for index, track in enumerate(timeline.tracks):
            if track is self.track:
                del timeline.tracks[index]
                return
