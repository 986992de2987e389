"""The editor's extra reversible operations (no Qt): in-place trims, metadata, take swaps, tracks."""

from __future__ import annotations

import opentimelineio as otio
import pytest

from studio.errors import ProjectError
from studio.project.operations import AppendClip, MoveClip
from studio.project.timeline import find_track, item_range, new_timeline
from studio.ui.timeline.extra_ops import AddTrack, ReplaceClip, SetClipData, SetTrackData, TrimInPlace

RATE = 24


def clip(name: str, seconds: float, media_seconds: float = 10.0) -> otio.schema.Clip:
    available = otio.opentime.TimeRange(otio.opentime.RationalTime(0, RATE),
                                        otio.opentime.RationalTime(media_seconds * RATE, RATE))
    used = otio.opentime.TimeRange(otio.opentime.RationalTime(RATE, RATE),  # starts 1 s into its media
                                   otio.opentime.RationalTime(seconds * RATE, RATE))
    ref = otio.schema.ExternalReference(target_url=f"file:///{name}.mp4", available_range=available)
    return otio.schema.Clip(name=name, media_reference=ref, source_range=used)


@pytest.fixture
def timeline() -> otio.schema.Timeline:
    """V1: a [0, 2) | gap [2, 3) | b [3, 5) | c [5, 6)."""
    tl = new_timeline("ops", RATE)
    for op in (AppendClip("V1", clip("a", 2)), AppendClip("V1", clip("b", 2)), AppendClip("V1", clip("c", 1))):
        op.apply(tl)
    MoveClip("V1", 2, 5.0).apply(tl)  # c moves 1 s later, leaving a gap ...
    MoveClip("V1", 1, 3.0).apply(tl)  # ... and b follows it, so the gap ends up between a and b
    return tl


def spans(tl: otio.schema.Timeline) -> list[tuple[str, float, float]]:
    track = find_track(tl, "V1")
    return [(item.name or "gap", *item_range(track, i)) for i, item in enumerate(track)]


def test_fixture_layout(timeline):
    assert spans(timeline) == [("a", 0.0, 2.0), ("gap", 2.0, 3.0), ("b", 3.0, 5.0), ("c", 5.0, 6.0)]


@pytest.mark.parametrize("index, edge, time, expected", [
    (2, "head", 2.5, [("a", 0.0, 2.0), ("gap", 2.0, 2.5), ("b", 2.5, 5.0), ("c", 5.0, 6.0)]),
    (2, "head", 2.0, [("a", 0.0, 2.0), ("b", 2.0, 5.0), ("c", 5.0, 6.0)]),
    (0, "tail", 3.0, [("a", 0.0, 3.0), ("b", 3.0, 5.0), ("c", 5.0, 6.0)]),
    (0, "tail", 1.0, [("a", 0.0, 1.0), ("gap", 1.0, 3.0), ("b", 3.0, 5.0), ("c", 5.0, 6.0)]),
    (2, "tail", 4.0, [("a", 0.0, 2.0), ("gap", 2.0, 3.0), ("b", 3.0, 4.0), ("gap", 4.0, 5.0), ("c", 5.0, 6.0)]),
    (3, "tail", 7.0, [("a", 0.0, 2.0), ("gap", 2.0, 3.0), ("b", 3.0, 5.0), ("c", 5.0, 7.0)]),
    (0, "head", 0.5, [("gap", 0.0, 0.5), ("a", 0.5, 2.0), ("gap", 2.0, 3.0), ("b", 3.0, 5.0), ("c", 5.0, 6.0)]),
])
def test_trim_in_place_moves_one_edge_and_reverts_exactly(timeline, index, edge, time, expected):
    before = timeline.to_json_string()
    op = TrimInPlace("V1", index, edge, time)
    op.apply(timeline)
    assert spans(timeline) == expected
    op.revert(timeline)
    assert timeline.to_json_string() == before


def test_a_head_trim_shows_later_media_and_keeps_the_source_in_step(timeline):
    TrimInPlace("V1", 2, "head", 3.5).apply(timeline)
    b = find_track(timeline, "V1")[2]
    assert b.name == "b"
    assert b.trimmed_range().start_time.to_seconds() == pytest.approx(1.5)


@pytest.mark.parametrize("index, edge, time", [
    (2, "head", 1.5),   # into clip a
    (0, "tail", 3.5),   # into clip b
    (2, "head", 5.0),   # nothing left
    (0, "head", -1.0),  # before the media's first frame (it starts 1 s in, so -1 s is 2 s too early)
])
def test_trims_that_would_overlap_or_empty_a_clip_are_refused_and_change_nothing(timeline, index, edge, time):
    before = timeline.to_json_string()
    with pytest.raises(ProjectError):
        TrimInPlace("V1", index, edge, time).apply(timeline)
    assert timeline.to_json_string() == before


def test_metadata_take_swap_and_track_changes_revert_exactly(timeline):
    before = timeline.to_json_string()
    ops = [SetClipData("V1", 0, {"link_id": "x", "takes": [1, 2]}), SetTrackData("V1", {"mute": True}),
           ReplaceClip("V1", 2, clip("b2", 2)), AddTrack("video"), AddTrack("audio")]
    for op in ops:
        op.apply(timeline)
    assert [t.name for t in timeline.tracks] == ["V1", "V2", "A1", "A2"]
    assert find_track(timeline, "V1")[2].name == "b2"
    data = find_track(timeline, "V1")[0].metadata["kinora"]
    assert (data["link_id"], list(data["takes"])) == ("x", [1, 2])
    for op in reversed(ops):
        op.revert(timeline)
    assert timeline.to_json_string() == before


def test_a_replacement_of_another_length_is_refused(timeline):
    with pytest.raises(ProjectError, match="trim it to fit"):
        ReplaceClip("V1", 0, clip("long", 3)).apply(timeline)
