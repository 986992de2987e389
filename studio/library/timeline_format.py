"""The stored form of a project's timeline: what the library must know of an OTIO timeline to keep it.

The library creates a project with an empty timeline and finds a clip's media by the sha256 in its
`metadata["kinora"]`, so these few definitions live here, below `studio.project` (which holds the
operations on a timeline and re-exports them from `studio.project.timeline`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from studio.errors import ProjectError

if TYPE_CHECKING:
    import opentimelineio as otio

KINORA_KEY = "kinora"
TIMELINE_SCHEMA = 1
DEFAULT_RATE = 24.0


def new_timeline(name: str, rate: float = DEFAULT_RATE) -> otio.schema.Timeline:
    """An empty timeline with one video track "V1" and one audio track "A1"."""
    import opentimelineio as otio

    if rate <= 0:
        raise ProjectError(f"Frame rate must be positive, not {rate:g}.")
    timeline = otio.schema.Timeline(name=name)
    timeline.metadata[KINORA_KEY] = {"schema": TIMELINE_SCHEMA, "rate": float(rate)}
    timeline.tracks.append(otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video))
    timeline.tracks.append(otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio))
    return timeline


def kinora_data(obj: otio.core.SerializableObjectWithMetadata) -> dict[str, Any]:
    """The object's `metadata["kinora"]` as plain Python dicts and lists (empty when absent)."""
    data = obj.metadata.get(KINORA_KEY)
    return _plain(data) if data else {}


def _plain(value: Any) -> Any:
    """OTIO's AnyDictionary/AnyVector as dict/list, recursively (they fail isinstance(dict) checks)."""
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return value
    return [_plain(v) for v in value]


def iter_clips(timeline: otio.schema.Timeline) -> Iterator[tuple[otio.schema.Track, int, otio.schema.Clip]]:
    """Every clip of every track, with its track and index."""
    import opentimelineio as otio

    for track in timeline.tracks:
        for index, item in enumerate(track):
            if isinstance(item, otio.schema.Clip):
                yield track, index, item


def clips_of_take(timeline: otio.schema.Timeline, take_id: int) -> list[tuple[otio.schema.Track, int, otio.schema.Clip]]:
    """The clips that show take `take_id`."""
    return [(tr, i, c) for tr, i, c in iter_clips(timeline) if kinora_data(c).get("take_id") == take_id]


def mark_take_deleted(timeline: otio.schema.Timeline, take_id: int, *, media_gone: bool) -> int:
    """Detach every clip of `take_id` from the take (in place; undo commands keep the same clip objects).

    `media_gone`: the take's file was deleted too, so the clip is offline; otherwise the bytes are
    still in the library (another take shares them) and the clip plays as a file without a take.
    Returns how many clips changed.
    """
    found = clips_of_take(timeline, take_id)
    for _track, _index, clip in found:
        clip.metadata[KINORA_KEY] = {**kinora_data(clip), **deleted_take_changes(take_id, media_gone=media_gone)}
    return len(found)


def deleted_take_changes(take_id: int, *, media_gone: bool) -> dict[str, object]:
    """The keys of a clip's metadata["kinora"] that detach it from a deleted take."""
    changes: dict[str, object] = {"take_id": None, "deleted_take_id": take_id}
    if media_gone:
        changes["offline"] = f"take {take_id} was deleted"
    return changes
