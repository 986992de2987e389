"""Building timelines in tests: the same operations the editor uses, never hand-made OTIO surgery."""

from __future__ import annotations

import opentimelineio as otio

from studio.project.operations import InsertClip
from studio.project.timeline import find_track


def append_clip(timeline: otio.schema.Timeline, track: str, clip: otio.schema.Clip) -> None:
    """Put `clip` at the end of `track` (an insert at the track's end)."""
    InsertClip(track, find_track(timeline, track).duration().to_seconds(), clip).apply(timeline)
