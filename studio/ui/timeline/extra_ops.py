"""Reversible timeline operations the editor needs beyond studio.project.operations.

No Qt here: these are built on the project layer's Operation/Splice machinery and are meant to
move into studio/project/operations.py once its owner takes them (they are kept apart only
because that module belongs to another team member).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import opentimelineio as otio

from studio.errors import ProjectError
from studio.project.operations import Operation, Splice
from studio.project.timeline import KINORA_KEY, check_index, find_track, frames, kinora_data, timeline_rate

RationalTime = otio.opentime.RationalTime
TimeRange = otio.opentime.TimeRange


def _gap(duration: RationalTime) -> otio.schema.Gap:
    return otio.schema.Gap(source_range=TimeRange(RationalTime(0, duration.rate), duration))


def _clip_at(track: otio.schema.Track, index: int) -> otio.schema.Clip:
    check_index(track, index)
    clip = track[index]
    if not isinstance(clip, otio.schema.Clip):
        raise ProjectError(f"Item {index} of {track.name} is a gap, not a clip.")
    return clip


class TrimInPlace(Operation):
    """Move one edge of a clip to `time` seconds (track time) without moving anything else.

    The clip grows into or leaves a gap beside it: the usual trim of an editor's selection tool
    (studio.project's TrimClip ripples instead). Growing past the neighbouring gap is an error.
    """

    label = "Trim clip"

    def __init__(self, track: str, index: int, edge: str, time: float) -> None:
        super().__init__()
        if edge not in ("head", "tail"):
            raise ProjectError(f"A clip has a head and a tail edge, not '{edge}'.")
        self.track, self.index, self.edge, self.time = track, index, edge, time

    def _edits(self, timeline: otio.schema.Timeline) -> Iterator[Splice]:
        rate = timeline_rate(timeline)
        track = find_track(timeline, self.track)
        clip = _clip_at(track, self.index)
        span = track.range_of_child_at_index(self.index)
        start = frames(span.start_time.to_seconds(), rate)
        end = frames(span.end_time_exclusive().to_seconds(), rate)
        new_edge = frames(self.time, rate)
        source = clip.trimmed_range()
        src_in = frames(source.start_time.to_seconds(), rate)
        before = self.index - 1 if self.index > 0 and isinstance(track[self.index - 1], otio.schema.Gap) else None
        after = (self.index + 1 if self.index + 1 < len(track)
                 and isinstance(track[self.index + 1], otio.schema.Gap) else None)
        if self.edge == "head":
            free = frames(track.range_of_child_at_index(before).start_time.to_seconds(), rate) if before is not None else start
            if not free <= new_edge < end:
                raise ProjectError(f"The head of '{clip.name}' can move between {free.to_seconds():.3f} s and "
                                   f"{end.to_seconds():.3f} s; {self.time:.3f} s is outside.")
            new_range = TimeRange(src_in + (new_edge - start), end - new_edge)
            first = before if before is not None else self.index
            lead = new_edge - free
            new_items = ([_gap(lead)] if lead.value > 0 else []) + [self._trimmed(clip, new_range)]
            last = self.index
        else:
            at_end = after is None and self.index == len(track) - 1
            if after is not None:
                free = frames(track.range_of_child_at_index(after).end_time_exclusive().to_seconds(), rate)
            else:
                free = new_edge if at_end else end
            if not start < new_edge <= free:
                raise ProjectError(f"The tail of '{clip.name}' can move between {start.to_seconds():.3f} s and "
                                   f"{free.to_seconds():.3f} s; {self.time:.3f} s is outside.")
            new_range = TimeRange(src_in, new_edge - start)
            first = self.index
            last = after if after is not None else self.index
            trail = free - new_edge
            # No gap at the end of a track (the project layer's invariant).
            keeps_gap = trail.value > 0 and last != len(track) - 1
            new_items = [self._trimmed(clip, new_range)] + ([_gap(trail)] if keeps_gap else [])
        available = clip.available_range() if clip.media_reference.available_range else None
        if available is not None and (new_range.start_time < available.start_time
                                      or new_range.end_time_exclusive() > available.end_time_exclusive()):
            raise ProjectError(f"'{clip.name}' has no media beyond {available.end_time_exclusive().to_seconds():.3f} s"
                               " of its file; trim within it.")
        yield Splice(track.name, first, list(track[first:last + 1]), new_items)

    @staticmethod
    def _trimmed(clip: otio.schema.Clip, source_range: otio.opentime.TimeRange) -> otio.schema.Clip:
        copy = clip.deepcopy()
        copy.source_range = source_range
        return copy


class SetClipData(Operation):
    """Replace keys of a clip's metadata["kinora"] (a value of None removes the key)."""

    label = "Change clip"

    def __init__(self, track: str, index: int, changes: dict[str, Any]) -> None:
        super().__init__()
        self.track, self.index, self.changes = track, index, dict(changes)

    def _edits(self, timeline: otio.schema.Timeline) -> Iterator[Splice]:
        track = find_track(timeline, self.track)
        clip = _clip_at(track, self.index)
        copy = clip.deepcopy()
        data = kinora_data(copy)
        for key, value in self.changes.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        copy.metadata[KINORA_KEY] = data
        yield Splice(track.name, self.index, [clip], [copy])


class ReplaceClip(Operation):
    """Put `clip` in place of the clip at `index` (e.g. swapping in another take of the same shot)."""

    label = "Swap take"

    def __init__(self, track: str, index: int, clip: otio.schema.Clip) -> None:
        super().__init__()
        self.track, self.index, self.clip = track, index, clip

    def _edits(self, timeline: otio.schema.Timeline) -> Iterator[Splice]:
        track = find_track(timeline, self.track)
        old = _clip_at(track, self.index)
        if self.clip.parent() is not None:
            raise ProjectError(f"'{self.clip.name}' is already on a timeline; place a copy of it instead.")
        if abs(self.clip.duration().to_seconds() - old.duration().to_seconds()) > 1e-6:
            raise ProjectError(f"The new take lasts {self.clip.duration().to_seconds():.3f} s but the clip it "
                               f"replaces lasts {old.duration().to_seconds():.3f} s; trim it to fit first.")
        yield Splice(track.name, self.index, [old], [self.clip])


class SetTrackData(Operation):
    """Set keys of a track's metadata["kinora"] (mute, solo, lock); revert restores the old dict."""

    label = "Change track"

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

    label = "Add track"

    def __init__(self, kind: str) -> None:
        super().__init__()
        if kind not in ("video", "audio"):
            raise ProjectError(f"A track is video or audio, not '{kind}'.")
        self.kind = kind
        self.track: otio.schema.Track | None = None

    def apply(self, timeline: otio.schema.Timeline) -> None:
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
