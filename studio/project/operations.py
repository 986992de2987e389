"""Reversible edits on an OpenTimelineIO timeline: small command objects the UI's undo stack wraps.

Every operation is a list of *splices*: "at index i of track T, the items `old` become the items
`new`". `apply(timeline)` works the splices out against the timeline as it is now and performs
them; `revert(timeline)` undoes them in reverse order, putting the very same item objects back,
so the timeline returns exactly (its JSON is byte-for-byte the same) and objects the UI holds
stay valid. The undo-stack contract holds as usual: revert an operation only on the timeline it
was applied to, after reverting everything applied after it.

Times are seconds (float) at the API, rounded to whole frames at the timeline rate.
Tracks are named ("V1", "A1"). Edits keep two invariants: no two gaps side by side, and no gap
at the end of a track.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from studio.errors import ProjectError
from studio.project.clip_props import clip_speed, rebased, retimed_keys, set_speed, track_length
from studio.project.timeline import KINORA_KEY, check_index, find_track, frames, item_range, kinora_data, timeline_rate

if TYPE_CHECKING:
    import opentimelineio as otio
    # Aliases, not variables: OTIO has no type stubs, so a type checker reads these as Any. For the checker only:
    # OTIO is imported by the functions that use it, off the window's launch path.
    RationalTime: TypeAlias = otio.opentime.RationalTime
    TimeRange: TypeAlias = otio.opentime.TimeRange
    Item: TypeAlias = otio.core.Item


@dataclass
class Splice:
    """Items `old` at `index` of track `track` were replaced by items `new`."""

    track: str
    index: int
    old: list[Item]
    new: list[Item]


def _replace(track: otio.schema.Track, index: int, count: int, items: Sequence[Item]) -> None:
    for _ in range(count):
        del track[index]
    for offset, item in enumerate(items):
        track.insert(index + offset, item)


def _perform(timeline: otio.schema.Timeline, splice: Splice) -> None:
    _replace(find_track(timeline, splice.track), splice.index, len(splice.old), splice.new)


def _undo(timeline: otio.schema.Timeline, splice: Splice) -> None:
    _replace(find_track(timeline, splice.track), splice.index, len(splice.new), splice.old)


class Operation:
    """Base of the edit commands. Subclasses yield splices from `_edits`, one at a time."""

    def __init__(self) -> None:
        self._done: list[Splice] = []

    def _edits(self, timeline: otio.schema.Timeline) -> Iterator[Splice]:
        raise NotImplementedError

    def apply(self, timeline: otio.schema.Timeline) -> None:
        """Perform the edit. On an error nothing is left changed."""
        self._done = []
        try:
            for splice in self._edits(timeline):
                _perform(timeline, splice)
                self._done.append(splice)
        except BaseException:
            self.revert(timeline)
            raise

    def revert(self, timeline: otio.schema.Timeline) -> None:
        """Undo what the last `apply` did."""
        while self._done:
            _undo(timeline, self._done.pop())


# --- building blocks --------------------------------------------------------------------------

def _rate(timeline: otio.schema.Timeline) -> float:
    return timeline_rate(timeline)


def _at(rate: float, t: RationalTime) -> RationalTime:
    """`t` as whole frames at `rate`."""
    import opentimelineio as otio

    return otio.opentime.RationalTime(round(t.rescaled_to(rate).value), rate)


def _range(track: otio.schema.Track, index: int, rate: float) -> tuple[RationalTime, RationalTime]:
    r = track.range_of_child_at_index(index)
    return _at(rate, r.start_time), _at(rate, r.end_time_exclusive())


def _gap(duration: RationalTime) -> otio.schema.Gap:
    import opentimelineio as otio

    return otio.schema.Gap(source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, duration.rate), duration))


def _piece(item: Item, offset: RationalTime, duration: RationalTime) -> Item:
    """A copy of `item` showing `duration` of it (track time) starting `offset` into it, its media
    advanced at the clip's speed and its sound keys moved to its own start."""
    import opentimelineio as otio

    if isinstance(item, otio.schema.Gap):
        return _gap(duration)
    rate = duration.rate
    source = item.trimmed_range()
    copy = item.deepcopy()
    copy.source_range = otio.opentime.TimeRange(_at(rate, source.start_time) + _media_offset(item, offset), duration)
    _rebase_sound(copy, offset, duration, head=offset.value == 0,
                  tail=offset + duration >= _at(rate, source.duration))
    return copy


def _media_offset(clip: Item, offset: RationalTime) -> RationalTime:
    """How far into its media a clip has got `offset` (track time) after its start: at 2x, twice as far."""
    import opentimelineio as otio

    speed = clip_speed(clip)
    return offset if speed == 1.0 else otio.opentime.RationalTime(round(offset.value * speed), offset.rate)


def _track_offset(clip: Item, media: RationalTime) -> RationalTime:
    """How much track time a clip takes to play `media` of its media (`_media_offset`'s inverse, in whole
    frames, never more media than asked); a held frame counts its hold (clip_props.track_length)."""
    import math

    import opentimelineio as otio

    speed = clip_speed(clip)
    if speed in (0.0, 1.0):
        return media
    return otio.opentime.RationalTime(math.floor(track_length(speed, media.value) + 1e-6), media.rate)


def _rebase_sound(clip: Item, offset: RationalTime, duration: RationalTime, *, head: bool, tail: bool) -> None:
    """Move the clip's volume keys to a part starting `offset` into it; fades stay on the outer edges only
    (studio.project.clip_props.rebased)."""
    data = kinora_data(clip)
    if not any(data.get(key) for key in ("volume_keys", "fade_in_s", "fade_out_s")):
        return
    for key, value in rebased(data, offset.to_seconds(), duration.to_seconds(), head=head, tail=tail).items():
        if key == "gain_db":
            continue
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    clip.metadata[KINORA_KEY] = data


def _is_gap(item: Item | None) -> bool:
    import opentimelineio as otio

    return isinstance(item, otio.schema.Gap)


def _track_end(track: otio.schema.Track, rate: float) -> RationalTime:
    import opentimelineio as otio

    return _at(rate, track.duration()) if len(track) else otio.opentime.RationalTime(0, rate)


def _lift(track: otio.schema.Track, index: int, rate: float, *, leave_gap: bool) -> Splice:
    """Remove the item at `index`, leaving a gap (merged with gaps beside it) or closing up."""
    check_index(track, index)
    first, last = index, index
    start, end = _range(track, index, rate)
    if index > 0 and _is_gap(track[index - 1]):
        first = index - 1
        start = _range(track, first, rate)[0]
    if index + 1 < len(track) and _is_gap(track[index + 1]):
        last = index + 1
        end = _range(track, last, rate)[1]
    old = list(track[first:last + 1])
    if not leave_gap:
        # Closing up: what is left of the neighbouring gaps joins into one.
        end = end - (_range(track, index, rate)[1] - _range(track, index, rate)[0])
    at_end = last == len(track) - 1
    new: list[Item] = [] if at_end or end <= start else [_gap(end - start)]
    return Splice(track.name, first, old, new)


def _overwrite(track: otio.schema.Track, start: RationalTime, item: Item, rate: float) -> Splice:
    """Place `item` at `start`, cutting away whatever it covers (gaps are made where needed)."""
    import opentimelineio as otio

    end = start + _at(rate, item.duration())
    track_end = _track_end(track, rate)
    if start >= track_end:
        filler = [_gap(start - track_end)] if start > track_end else []
        return Splice(track.name, len(track), [], [*filler, item])
    covered = [i for i in range(len(track)) if _range(track, i, rate)[1] > start and _range(track, i, rate)[0] < end]
    first, last = covered[0], covered[-1]
    new: list[Item] = []
    first_start, _ = _range(track, first, rate)
    if first_start < start:
        new.append(_piece(track[first], otio.opentime.RationalTime(0, rate), start - first_start))
    new.append(item)
    last_start, last_end = _range(track, last, rate)
    if last_end > end:
        new.append(_piece(track[last], end - last_start, last_end - end))
    return Splice(track.name, first, list(track[first:last + 1]), new)


def _insert_at(track: otio.schema.Track, at: RationalTime, item: Item, rate: float) -> Splice:
    """Insert `item` at `at`, pushing everything after it later (an item under `at` is cut in two)."""
    import opentimelineio as otio

    track_end = _track_end(track, rate)
    if at >= track_end:
        filler = [_gap(at - track_end)] if at > track_end else []
        return Splice(track.name, len(track), [], [*filler, item])
    for index in range(len(track)):
        start, end = _range(track, index, rate)
        if start == at:
            return Splice(track.name, index, [], [item])
        if start < at < end:
            old = track[index]
            left = _piece(old, otio.opentime.RationalTime(0, rate), at - start)
            right = _piece(old, at - start, end - at)
            return Splice(track.name, index, [old], [left, item, right])
    raise ProjectError(f"Cannot find time {at.to_seconds():.3f} s on track {track.name}.")


def _detached(item: Item) -> None:
    if item.parent() is not None:
        raise ProjectError(f"'{item.name}' is already on a timeline; place a copy of it instead.")


def _clip_at(track: otio.schema.Track, index: int) -> otio.schema.Clip:
    import opentimelineio as otio

    check_index(track, index)
    clip = track[index]
    if not isinstance(clip, otio.schema.Clip):
        raise ProjectError(f"Item {index} of {track.name} is a gap, not a clip.")
    return clip


def _with_range(clip: otio.schema.Clip, source_range: TimeRange) -> otio.schema.Clip:
    """A copy of `clip` showing `source_range` of its media."""
    copy = clip.deepcopy()
    copy.source_range = source_range
    return copy


# --- the operations ---------------------------------------------------------------------------

class InsertClip(Operation):
    """Insert `clip` on `track` at `time` seconds; later items move right (a clip under it is cut)."""

    def __init__(self, track: str, time: float, clip: otio.schema.Clip) -> None:
        super().__init__()
        if time < 0:
            raise ProjectError(f"Cannot insert before the start of the timeline ({time:g} s).")
        self.track, self.time, self.clip = track, time, clip

    def _edits(self, timeline: otio.schema.Timeline) -> Iterator[Splice]:
        _detached(self.clip)
        rate = _rate(timeline)
        yield _insert_at(find_track(timeline, self.track), frames(self.time, rate), self.clip, rate)


class InsertGap(Operation):
    """Open `seconds` of space on `track` at `time`: later items move right (an item under it is cut).

    What keeps a track in sync with an insert made on other tracks.
    """

    def __init__(self, track: str, time: float, seconds: float) -> None:
        super().__init__()
        self.track, self.time, self.seconds = track, time, seconds

    def _edits(self, timeline: otio.schema.Timeline) -> Iterator[Splice]:
        rate = _rate(timeline)
        track = find_track(timeline, self.track)
        if frames(self.time, rate) < _track_end(track, rate):  # nothing later: nothing to move
            yield _insert_at(track, frames(self.time, rate), _gap(frames(self.seconds, rate)), rate)


class AppendClip(Operation):
    """Put `clip` at the end of `track` (the overwrite drop then moves it into place)."""

    def __init__(self, track: str, clip: otio.schema.Clip) -> None:
        super().__init__()
        self.track, self.clip = track, clip

    def _edits(self, timeline: otio.schema.Timeline) -> Iterator[Splice]:
        _detached(self.clip)
        track = find_track(timeline, self.track)
        yield Splice(track.name, len(track), [], [self.clip])


class MoveClip(Operation):
    """Move the clip at `index` of `track` to start at `time` seconds (on `to_track`, default the same).

    Its old place becomes a gap; at the new place it covers what was there (an overwrite move).
    """

    def __init__(self, track: str, index: int, time: float, to_track: str | None = None) -> None:
        super().__init__()
        if time < 0:
            raise ProjectError(f"Cannot move a clip before the start of the timeline ({time:g} s).")
        self.track, self.index, self.time, self.to_track = track, index, time, to_track or track

    def _edits(self, timeline: otio.schema.Timeline) -> Iterator[Splice]:
        import opentimelineio as otio

        rate = _rate(timeline)
        source = find_track(timeline, self.track)
        check_index(source, self.index)
        clip = source[self.index]
        if not isinstance(clip, otio.schema.Clip):
            raise ProjectError(f"Only clips can be moved; item {self.index} of {self.track} is a gap.")
        destination = find_track(timeline, self.to_track)
        if destination.kind != source.kind:
            raise ProjectError(f"Cannot move a {source.kind.lower()} clip onto {destination.kind.lower()} track {destination.name}.")
        yield _lift(source, self.index, rate, leave_gap=True)
        yield _overwrite(destination, frames(self.time, rate), clip, rate)


class TrimInPlace(Operation):
    """Move one edge of a clip to `time` seconds (track time) without moving anything else.

    The clip grows into or leaves a gap beside it: the usual trim of an editor's selection tool
    Growing past the neighbouring gap is an error.
    """

    def __init__(self, track: str, index: int, edge: str, time: float) -> None:
        super().__init__()
        if edge not in ("head", "tail"):
            raise ProjectError(f"A clip has a head and a tail edge, not '{edge}'.")
        self.track, self.index, self.edge, self.time = track, index, edge, time

    def _edits(self, timeline: otio.schema.Timeline) -> Iterator[Splice]:
        import opentimelineio as otio

        rate = _rate(timeline)
        track = find_track(timeline, self.track)
        clip = _clip_at(track, self.index)
        start, end = _range(track, self.index, rate)
        new_edge = frames(self.time, rate)
        src_in = _at(rate, clip.trimmed_range().start_time)
        before = self.index - 1 if self.index > 0 and _is_gap(track[self.index - 1]) else None
        after = self.index + 1 if self.index + 1 < len(track) and _is_gap(track[self.index + 1]) else None
        if self.edge == "head":
            free = _range(track, before, rate)[0] if before is not None else start
            if not free <= new_edge < end:
                raise ProjectError(f"The head of '{clip.name}' can move between {free.to_seconds():.3f} s and "
                                   f"{end.to_seconds():.3f} s; {self.time:.3f} s is outside.")
            new_range = otio.opentime.TimeRange(src_in + _media_offset(clip, new_edge - start), end - new_edge)
            first = before if before is not None else self.index
            lead = new_edge - free
            trimmed = _with_range(clip, new_range)
            _rebase_sound(trimmed, new_edge - start, end - new_edge, head=True, tail=True)
            new_items = ([_gap(lead)] if lead.value > 0 else []) + [trimmed]
            last = self.index
        else:
            at_end = after is None and self.index == len(track) - 1
            if after is not None:
                free = _range(track, after, rate)[1]
            else:
                free = new_edge if at_end else end
            if not start < new_edge <= free:
                raise ProjectError(f"The tail of '{clip.name}' can move between {start.to_seconds():.3f} s and "
                                   f"{free.to_seconds():.3f} s; {self.time:.3f} s is outside.")
            new_range = otio.opentime.TimeRange(src_in, new_edge - start)
            first = self.index
            last = after if after is not None else self.index
            trail = free - new_edge
            # No gap at the end of a track (this module's invariant).
            keeps_gap = trail.value > 0 and last != len(track) - 1
            new_items = [_with_range(clip, new_range)] + ([_gap(trail)] if keeps_gap else [])
        available = clip.available_range() if clip.media_reference.available_range else None
        media_end = new_range.start_time + _media_offset(clip, new_range.duration)  # at 2x, twice its length
        if available is not None and (new_range.start_time < available.start_time
                                      or media_end > available.end_time_exclusive()):
            raise ProjectError(f"'{clip.name}' has no media beyond {available.end_time_exclusive().to_seconds():.3f} s"
                               " of its file; trim within it.")
        yield Splice(track.name, first, list(track[first:last + 1]), new_items)


class PlaceClip(Operation):
    """Put the clip at `index` of `track` at `time` seconds showing its media from `source_in` to
    `source_out` (seconds of the media, as `trimmed_range`'s start counts them; a sped-up clip lasts
    (out - in) / speed on the track: clip_props.media_in_out): the Inspector's position and in/out.
    Its old place becomes a gap. It may not cover another clip unless `overwrite` (the editor's
    overwrite rule: what it covers is cut away); in must come before out, both within the media.
    `speed` (None: as it is) sets the clip's LinearTimeWarp (clip_props.set_speed), so it lasts
    (out - in) / speed; its volume keys stay on their moments of the media.
    """

    def __init__(self, track: str, index: int, time: float, source_in: float, source_out: float,
                 overwrite: bool = False, speed: float | None = None) -> None:
        super().__init__()
        self.track, self.index, self.time = track, index, time
        self.source_in, self.source_out, self.overwrite = source_in, source_out, overwrite
        self.speed = speed
        self.placed: otio.schema.Clip | None = None  # the clip as placed, once applied

    def _edits(self, timeline: otio.schema.Timeline) -> Iterator[Splice]:
        import opentimelineio as otio

        rate = _rate(timeline)
        track = find_track(timeline, self.track)
        clip = _clip_at(track, self.index)
        if self.time < 0:
            raise ProjectError(f"'{clip.name}' cannot start before the start of the timeline ({self.time:.3f} s).")
        source_in, source_out = frames(self.source_in, rate), frames(self.source_out, rate)
        if source_out <= source_in:
            raise ProjectError(f"The out point of '{clip.name}' ({self.source_out:.3f} s) must come after its "
                               f"in point ({self.source_in:.3f} s).")
        available = clip.available_range() if clip.media_reference.available_range else None
        if available is not None:
            first, last = _at(rate, available.start_time), _at(rate, available.end_time_exclusive())
            if source_in < first or source_out > last:
                raise ProjectError(f"'{clip.name}' has media from {first.to_seconds():.3f} s to "
                                   f"{last.to_seconds():.3f} s; set in and out within it.")
        start = frames(self.time, rate)
        timed = clip  # the clip at the speed it will play
        if self.speed is not None and self.speed != clip_speed(clip):
            timed = clip.deepcopy()
            set_speed(timed, self.speed)
        speed = clip_speed(timed)
        length = _track_offset(timed, source_out - source_in)  # track time
        if length.value < 1:
            raise ProjectError(f"'{clip.name}' at {speed:g}x would last less than a frame; "
                               "set its out point further from its in point.")
        end = start + length
        if not self.overwrite:
            for i, item in enumerate(track):
                if i == self.index or not isinstance(item, otio.schema.Clip):
                    continue
                a, b = _range(track, i, rate)
                if a < end and start < b:
                    raise ProjectError(
                        f"'{clip.name}' would cover '{item.name}' on {track.name} ({a.to_seconds():.3f} s to "
                        f"{b.to_seconds():.3f} s); choose a free place, shorten it, or allow overwriting.")
        old_in = _at(rate, clip.trimmed_range().start_time)
        placed = _with_range(timed, otio.opentime.TimeRange(source_in, length))
        if timed is not clip and kinora_data(placed).get("volume_keys"):  # a held frame's keys count as at 1x
            data = kinora_data(placed)
            data["volume_keys"] = retimed_keys(data, (clip_speed(clip) or 1.0) / (speed or 1.0))
            placed.metadata[KINORA_KEY] = data
        moved = source_in - old_in  # media time; the keys count track time
        moved = moved if speed in (0.0, 1.0) else otio.opentime.RationalTime(
            round(track_length(speed, moved.value)), rate)
        _rebase_sound(placed, moved, length, head=True, tail=True)
        self.placed = placed
        yield _lift(track, self.index, rate, leave_gap=True)
        yield _overwrite(track, start, placed, rate)


class ReplaceClip(Operation):
    """Put `clip` in place of the clip at `index` (e.g. swapping in another take of the same shot)."""

    def __init__(self, track: str, index: int, clip: otio.schema.Clip) -> None:
        super().__init__()
        self.track, self.index, self.clip = track, index, clip

    def _edits(self, timeline: otio.schema.Timeline) -> Iterator[Splice]:
        track = find_track(timeline, self.track)
        old = _clip_at(track, self.index)
        _detached(self.clip)
        if abs(self.clip.duration().to_seconds() - old.duration().to_seconds()) > 1e-6:
            raise ProjectError(f"The new take lasts {self.clip.duration().to_seconds():.3f} s but the clip it "
                               f"replaces lasts {old.duration().to_seconds():.3f} s; trim it to fit first.")
        yield Splice(track.name, self.index, [old], [self.clip])


class SetClipData(Operation):
    """Replace keys of a clip's metadata["kinora"] (a value of None removes the key)."""

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


class SplitClip(Operation):
    """Cut the clip playing at `time` seconds on `track` into two clips."""

    def __init__(self, track: str, time: float) -> None:
        super().__init__()
        self.track, self.time = track, time

    def _edits(self, timeline: otio.schema.Timeline) -> Iterator[Splice]:
        import opentimelineio as otio

        rate = _rate(timeline)
        track = find_track(timeline, self.track)
        at = frames(self.time, rate)
        for index in range(len(track)):
            start, end = _range(track, index, rate)
            if start < at < end:
                clip = track[index]
                if not isinstance(clip, otio.schema.Clip):
                    break
                left = _piece(clip, otio.opentime.RationalTime(0, rate), at - start)
                right = _piece(clip, at - start, end - at)
                _relink_right_half(right)
                yield Splice(track.name, index, [clip], [left, right])
                return
        raise ProjectError(f"There is no clip to split at {self.time:.3f} s on {self.track} "
                           "(it is a gap, an existing cut or past the end).")


def _relink_right_half(clip: Item) -> None:
    """Give the right half of a split its own link id, derived so that a linked video/audio pair
    split at the same time keeps its two right halves linked to each other."""
    data = kinora_data(clip)
    if data.get("link_id"):
        data["link_id"] = f"{data['link_id']}@{clip.source_range.start_time.value:g}"
        clip.metadata[KINORA_KEY] = data


class DeleteClip(Operation):
    """Remove the clip at `index` of `track`, leaving a gap so nothing else moves."""

    def __init__(self, track: str, index: int) -> None:
        super().__init__()
        self.track, self.index = track, index

    def _edits(self, timeline: otio.schema.Timeline) -> Iterator[Splice]:
        import opentimelineio as otio

        track = find_track(timeline, self.track)
        check_index(track, self.index)
        if not isinstance(track[self.index], otio.schema.Clip):
            raise ProjectError(f"Item {self.index} of {self.track} is already a gap.")
        yield _lift(track, self.index, _rate(timeline), leave_gap=True)


class RippleDelete(Operation):
    """Remove the item (clip or gap) at `index` of `track` and close up: later items move left."""

    def __init__(self, track: str, index: int) -> None:
        super().__init__()
        self.track, self.index = track, index

    def _edits(self, timeline: otio.schema.Timeline) -> Iterator[Splice]:
        yield _lift(find_track(timeline, self.track), self.index, _rate(timeline), leave_gap=False)


__all__ = ["Operation", "Splice", "InsertClip", "MoveClip", "PlaceClip", "TrimInPlace", "ReplaceClip",
           "SetClipData", "SplitClip", "DeleteClip", "RippleDelete", "item_range"]
