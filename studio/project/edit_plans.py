"""Plans for the editor's gestures: which project operations one gesture makes, step by step.

(Moved here from studio/ui/timeline/edits.py: it never needed Qt, and the CLI and API can plan the
same gestures.)

Each plan is a generator over the live timeline. Clips are named by the clip objects the view
shows (operations keep item identity), and each operation is built only when the previous one
has been applied, so track indices are always those of the current state.
No Qt here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeAlias

from studio.errors import ProjectError
from studio.project.clip_props import clip_speed, media_in_out
from studio.project.operations import (
    AppendClip,
    DeleteClip,
    InsertClip,
    InsertGap,
    MoveClip,
    Operation,
    PlaceClip,
    ReplaceClip,
    RippleDelete,
    SetClipData,
    SplitClip,
    TrimInPlace,
)
from studio.project.timeline import KINORA_KEY, audio_tracks, find_track, item_range, kinora_data, video_tracks
from studio.project.track_operations import AddTrack, SetTrackData

if TYPE_CHECKING:  # OTIO is imported by the functions that use it, off the window's launch path
    import opentimelineio as otio
    Timeline: TypeAlias = otio.schema.Timeline
    Clip: TypeAlias = otio.schema.Clip
Plan: TypeAlias = Callable[["Timeline"], Iterator[Operation]]


def locate(timeline: Timeline, clip: Clip) -> tuple[otio.schema.Track, int]:
    """The track and index where `clip` (this very object) is now."""
    for track in timeline.tracks:
        for index, item in enumerate(track):
            if item is clip:
                return track, index
    raise ProjectError(f"'{clip.name}' is no longer on the timeline; the edit was not made.")


def span(timeline: Timeline, clip: Clip) -> tuple[float, float]:
    """Start and end (seconds, track time) of clip."""
    return item_range(*locate(timeline, clip))


def _kind_tracks(timeline: Timeline, kind: str) -> list[otio.schema.Track]:
    return video_tracks(timeline) if kind == "video" else audio_tracks(timeline)


def _kind_of(track: otio.schema.Track) -> str:
    import opentimelineio as otio

    return "video" if track.kind == otio.schema.TrackKind.Video else "audio"


def _locked(track: otio.schema.Track) -> bool:
    return bool(kinora_data(track).get("lock"))


def _check_unlocked(track: otio.schema.Track) -> None:
    if _locked(track):
        raise ProjectError(f"Track {track.name} is locked; unlock it to edit its clips.")


def plan_insert(video: Clip | None, audio: Clip | None, time: float,
                video_track: str | None, audio_track: str | None) -> Plan:
    """Insert a take's clips at `time` (later clips move right), picture and sound together; every other
    unlocked track opens the same space there, so what played together still does."""
    def plan(timeline: Timeline) -> Iterator[Operation]:
        used = []
        for clip, track in ((video, video_track), (audio, audio_track)):
            if clip is not None and track is not None:
                _check_unlocked(find_track(timeline, track))
                used.append(track)
                yield InsertClip(track, time, clip)
        placed = video if video is not None else audio
        length = placed.trimmed_range().duration.to_seconds() if placed is not None else 0.0
        for other in timeline.tracks:
            if other.name not in used and not _locked(other) and length > 0:
                yield InsertGap(other.name, time, length)
    return plan


def plan_overwrite(video: Clip | None, audio: Clip | None, time: float,
                   video_track: str | None, audio_track: str | None) -> Plan:
    """Place a take's clips at `time` over what is there (nothing moves): the overwrite drop."""
    def plan(timeline: Timeline) -> Iterator[Operation]:
        for clip, track in ((video, video_track), (audio, audio_track)):
            if clip is not None and track is not None:
                target = find_track(timeline, track)
                _check_unlocked(target)
                yield AppendClip(track, clip)
                yield MoveClip(track, len(target) - 1, time)
    return plan


def plan_move(clips: Sequence[Clip], delta: float, kind: str, track_shift: int) -> Plan:
    """Move clips by `delta` seconds; clips of `kind` also move `track_shift` tracks (V1 -> V2 is +1)."""
    def plan(timeline: Timeline) -> Iterator[Operation]:
        # Move the clip furthest in the direction of travel first, so no clip of the selection is
        # overwritten by another one before its own turn.
        ordered = sorted(clips, key=lambda c: span(timeline, c)[0], reverse=delta > 0)
        for clip in ordered:
            track, index = locate(timeline, clip)
            _check_unlocked(track)
            destination = track
            if track_shift and _kind_of(track) == kind:
                same = _kind_tracks(timeline, kind)
                target = same.index(track) + track_shift
                if not 0 <= target < len(same):
                    raise ProjectError(f"There is no {kind} track {track_shift:+d} from {track.name}.")
                destination = same[target]
                _check_unlocked(destination)
            start = span(timeline, clip)[0] + delta
            yield MoveClip(track.name, index, max(0.0, start), destination.name)
    return plan


def plan_trim(clips: Sequence[Clip], edge: str, delta: float) -> Plan:
    """Move the head or tail of each clip by `delta` seconds, in place."""
    def plan(timeline: Timeline) -> Iterator[Operation]:
        for clip in clips:
            track, index = locate(timeline, clip)
            _check_unlocked(track)
            start, end = span(timeline, clip)
            yield TrimInPlace(track.name, index, edge, (start if edge == "head" else end) + delta)
    return plan


def plan_split(tracks: Iterable[str], time: float) -> Plan:
    """Split the clip under `time` on each named track."""
    def plan(timeline: Timeline) -> Iterator[Operation]:
        for name in dict.fromkeys(tracks):
            yield SplitClip(name, time)
    return plan


def plan_delete(clips: Sequence[Clip], ripple: bool) -> Plan:
    """Delete clips, leaving gaps, or (ripple) closing up each track behind them."""
    def plan(timeline: Timeline) -> Iterator[Operation]:
        # Latest first: closing up behind a late clip never shifts an earlier one.
        for clip in sorted(clips, key=lambda c: span(timeline, c)[0], reverse=True):
            track, index = locate(timeline, clip)
            _check_unlocked(track)
            yield (RippleDelete if ripple else DeleteClip)(track.name, index)
    return plan


def plan_set_clip_data(clips: Sequence[Clip], changes: dict[str, object]) -> Plan:
    """Change keys of each clip's metadata["kinora"] (e.g. unlink: {"link_id": None})."""
    def plan(timeline: Timeline) -> Iterator[Operation]:
        for clip in clips:
            track, index = locate(timeline, clip)
            yield SetClipData(track.name, index, changes)
    return plan


def plan_clip_edit(clip: Clip, partners: Sequence[Clip], changes: dict[str, object],
                   placement: tuple[float, float, float] | None = None, overwrite: bool = False,
                   speed: float | None = None) -> Plan:
    """The Inspector's Apply as one gesture: place `clip` (`placement`: start, source in, source out,
    seconds) and set its `speed` (a LinearTimeWarp; it keeps its media in and out, so it lasts
    (out - in) / speed), its linked `partners` moving, trimming and changing speed with it so picture
    and sound stay in sync (their volume keys follow the media), then set metadata["kinora"] keys on each
    (`changes`: keys given here count from the clip's start as it is after the placement)."""
    def plan(timeline: Timeline) -> Iterator[Operation]:
        delta = None
        retime = speed if speed is not None and abs(speed - clip_speed(clip)) > 1e-9 else None
        if placement is not None or retime is not None:  # in and out count media time (2x: out - in = twice its length)
            start, (media_in, media_out) = span(timeline, clip)[0], media_in_out(clip)
            target = placement or (start, media_in, media_out)
            delta = (target[0] - start, target[1] - media_in, target[2] - media_out)
            if not any(abs(d) > 1e-9 for d in delta) and retime is None:
                delta = None
        for each in [clip, *partners]:
            track, index = locate(timeline, each)
            if delta is not None:
                _check_unlocked(track)
                media_in, media_out = media_in_out(each)
                place = PlaceClip(track.name, index, item_range(track, index)[0] + delta[0],
                                  media_in + delta[1], media_out + delta[2], overwrite, retime)
                yield place
                track, index = locate(timeline, place.placed)
            if changes:
                yield SetClipData(track.name, index, changes)
    return plan


def plan_add_to_takes(clips: Sequence[Clip], take_id: int) -> Plan:
    """List take_id among the takes of each clip (the active one stays)."""
    def plan(timeline: Timeline) -> Iterator[Operation]:
        for clip in clips:
            data = kinora_data(clip)
            takes = list(data.get("takes") or [data.get("take_id")])
            if take_id not in takes:
                track, index = locate(timeline, clip)
                yield SetClipData(track.name, index, {"takes": takes + [take_id]})
    return plan


def plan_track_flag(track: str, flag: str, value: bool) -> Plan:
    """Set mute, solo or lock on a track."""
    def plan(timeline: Timeline) -> Iterator[Operation]:
        yield SetTrackData(track, {flag: value})
    return plan


def plan_add_track(kind: str) -> Plan:
    """Add an empty video or audio track."""
    def plan(timeline: Timeline) -> Iterator[Operation]:
        yield AddTrack(kind)
    return plan


def plan_swap_take(pairs: Sequence[tuple[Clip, Clip]]) -> Plan:
    """Replace each (old, new) clip pair; the new clips carry the other take of the same shot."""
    def plan(timeline: Timeline) -> Iterator[Operation]:
        for old, new in pairs:
            track, index = locate(timeline, old)
            _check_unlocked(track)
            yield ReplaceClip(track.name, index, new)
    return plan


def alternate_clip(old: Clip, replacement: Clip, link_id: str | None) -> Clip:
    """`replacement` (a fresh clip of another take) cut to old's duration, carrying the takes list.

    metadata["kinora"]["takes"] lists every take of the shot, so any of them can be swapped back in.
    """
    import opentimelineio as otio

    old_data = kinora_data(old)
    new_data = kinora_data(replacement)
    takes = list(old_data.get("takes") or [old_data.get("take_id")])
    if new_data.get("take_id") not in takes:
        takes.append(new_data.get("take_id"))
    available = replacement.trimmed_range()
    rate = available.duration.rate
    duration = old.duration().rescaled_to(rate)
    # The clip keeps its speed (the editor's property, not the take's): at 2x it needs twice its length of media.
    media_in, media_out = media_in_out(old)
    needed = otio.opentime.RationalTime(round((media_out - media_in) * rate), rate)
    if available.duration < needed:
        raise ProjectError(f"Take {new_data.get('take_id')} is {available.duration.to_seconds():.2f} s long; "
                           f"the clip needs {needed.to_seconds():.2f} s of it. Trim the clip first.")
    # A retake keeps the parent's timing, so show the same moment of it where the new take allows.
    start = old.trimmed_range().start_time.rescaled_to(rate)
    if start < available.start_time or start + needed > available.end_time_exclusive():
        start = available.start_time
    clip = replacement.deepcopy()
    clip.source_range = otio.opentime.TimeRange(start, duration)
    clip.effects.extend(e.deepcopy() for e in old.effects if isinstance(e, otio.schema.TimeEffect))
    new_data.update({"takes": takes, "link_id": link_id})
    if link_id is None:
        new_data.pop("link_id")
    clip.metadata[KINORA_KEY] = new_data
    return clip

