"""A project's edit as an OpenTimelineIO timeline, and the finders the operations and the UI share.

Kinora does not have its own timeline model: the edit is an `otio.schema.Timeline` with video
tracks ("V1", ...) and audio tracks ("A1", ...). Kinora's own data sits in `metadata["kinora"]`:
on the timeline its schema version and frame rate; on a clip the take id, the media's sha256
(which finds the file in any library, wherever it lives) and the recipe.

Times at this module's API are seconds (float); inside the timeline they are whole frames at the
timeline rate, so edits never drift by fractions of a frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from studio.errors import ProjectError

# Re-exported (`X as X`): callers import these from here; they are defined below this layer.
from studio.library.timeline_format import DEFAULT_RATE as DEFAULT_RATE
from studio.library.timeline_format import KINORA_KEY as KINORA_KEY
from studio.library.timeline_format import TIMELINE_SCHEMA as TIMELINE_SCHEMA
from studio.library.timeline_format import clips_of_take as clips_of_take
from studio.library.timeline_format import iter_clips as iter_clips
from studio.library.timeline_format import kinora_data as kinora_data
from studio.library.timeline_format import new_timeline as new_timeline
from studio.media.resolver import file_path_of as file_path_of

if TYPE_CHECKING:  # annotations only
    import opentimelineio as otio

    from studio.library.records import MediaRecord, TakeRecord

# An image placed on the timeline lasts this long until the user trims it.
STILL_SECONDS = 3.0

if TYPE_CHECKING:  # OTIO is imported by the functions that use it, off the window's launch path
    Item: TypeAlias = otio.core.Item  # an alias (not a variable), so a type checker accepts it as a type


def timeline_rate(timeline: otio.schema.Timeline) -> float:
    """The timeline's frame rate: Kinora's metadata; for timelines made elsewhere the timeline's own
    (its global start time's rate), else the rate most of its clips are cut at, else 24."""
    data = timeline.metadata.get(KINORA_KEY) or {}
    if data.get("rate"):
        return float(data["rate"])
    start = timeline.global_start_time
    if start is not None and start.rate > 0:
        return float(start.rate)
    rates = [c.source_range.duration.rate for c in timeline.find_clips() if c.source_range is not None]
    return float(max(set(rates), key=rates.count)) if rates else DEFAULT_RATE


def frames(seconds: float, rate: float) -> otio.opentime.RationalTime:
    """`seconds` rounded to whole frames at `rate`."""
    import opentimelineio as otio

    return otio.opentime.RationalTime(round(seconds * rate), rate)


def seconds(time: otio.opentime.RationalTime) -> float:
    return float(time.to_seconds())


def new_link_id() -> str:
    """A fresh id that links clips so they move, trim and split together (a take's picture and its sound)."""
    import uuid  # here, not at the top: the studio's launch imports this module but links no clip (~2 ms)

    return uuid.uuid4().hex


def clips_for_take(take: TakeRecord, media: MediaRecord, media_path: Path,
                   rate: float = DEFAULT_RATE) -> tuple[otio.schema.Clip | None, otio.schema.Clip | None]:
    """The video clip and the audio clip that place a take on a timeline.

    Both reference the take's media file and carry `metadata["kinora"]` with the take id, the
    media sha256, the recipe and a shared `link_id` (so the UI can move them together).
    An image gives a video clip of STILL_SECONDS and no audio; an audio-only file gives
    (None, audio clip). Media with neither raises ProjectError.
    """
    import opentimelineio as otio

    has_video = media.kind in ("video", "image")
    has_audio = media.kind == "audio" or (media.kind == "video" and bool(media.sample_rate))
    if not has_video and not has_audio:
        raise ProjectError(f"Take {take.id} has no picture and no sound to place on the timeline.")
    length = STILL_SECONDS if media.kind == "image" else float(media.duration or 0.0)
    duration = frames(length, rate)
    if duration.value <= 0:
        raise ProjectError(f"Take {take.id} is shorter than one frame; it cannot go on the timeline.")
    used = otio.opentime.TimeRange(otio.opentime.RationalTime(0, rate), duration)
    # A still has no length of its own: no available range, so it can be trimmed to any length.
    available = None if media.kind == "image" else used
    link_id = new_link_id()
    recipe = take.recipe.to_dict() if take.recipe is not None else None
    name = take.title or (take.recipe.prompt[:60] if take.recipe else f"Take {take.id}")

    def make(role: str) -> otio.schema.Clip:
        reference = otio.schema.ExternalReference(target_url=Path(media_path).resolve().as_uri(),
                                                  available_range=available)
        clip = otio.schema.Clip(name=name, media_reference=reference, source_range=used)
        clip.metadata[KINORA_KEY] = {"take_id": take.id, "media_sha256": media.sha256, "recipe": recipe,
                                     "role": role, "link_id": link_id}
        return clip

    return (make("video") if has_video else None, make("audio") if has_audio else None)


def find_track(timeline: otio.schema.Timeline, name: str) -> otio.schema.Track:
    """The track called `name` ("V1", "A1", ...); ProjectError if there is none."""
    for track in timeline.tracks:
        if track.name == name:
            return track
    names = ", ".join(t.name for t in timeline.tracks) or "none"
    raise ProjectError(f"The timeline has no track '{name}' (tracks: {names}).")


def video_tracks(timeline: otio.schema.Timeline) -> list[otio.schema.Track]:
    import opentimelineio as otio

    return [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]


def audio_tracks(timeline: otio.schema.Timeline) -> list[otio.schema.Track]:
    import opentimelineio as otio

    return [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio]


def item_range(track: otio.schema.Track, index: int) -> tuple[float, float]:
    """Start and end (seconds) of the item at `index` in the track."""
    check_index(track, index)
    r = track.range_of_child_at_index(index)
    return seconds(r.start_time), seconds(r.end_time_exclusive())


def item_at_time(track: otio.schema.Track, t: float) -> tuple[int, Item] | None:
    """The item (clip or gap) playing at time `t` (seconds), or None past the end."""
    for index, item in enumerate(track):
        start, end = item_range(track, index)
        if start <= t < end:
            return index, item
    return None


def check_index(track: otio.schema.Track, index: int) -> None:
    if not 0 <= index < len(track):
        raise ProjectError(f"Track {track.name} has no item {index} (it has {len(track)}).")


def linked_clips(timeline: otio.schema.Timeline, link_id: str) -> list[tuple[otio.schema.Track, int, otio.schema.Clip]]:
    """The clips sharing `link_id` (a take's video and audio placed together)."""
    return [(tr, i, c) for tr, i, c in iter_clips(timeline) if kinora_data(c).get("link_id") == link_id]


def duration_seconds(timeline: otio.schema.Timeline) -> float:
    """Length of the longest track, in seconds."""
    return max((seconds(t.duration()) for t in timeline.tracks), default=0.0)


def trimmed_to(timeline: otio.schema.Timeline, start: float, end: float) -> otio.schema.Timeline:
    """A copy of the timeline holding only [start, end) seconds (In to Out), starting at 0."""
    import opentimelineio as otio

    if not end > start >= 0:
        raise ProjectError(f"The In mark ({start:.2f} s) must come before the Out mark ({end:.2f} s).")
    rate = timeline_rate(timeline)
    span = otio.opentime.TimeRange(frames(start, rate), frames(end - start, rate))
    trimmed = otio.algorithms.timeline_trimmed_to_range(timeline, span)
    trimmed.metadata[KINORA_KEY] = dict(timeline.metadata.get(KINORA_KEY) or {})
    return trimmed

