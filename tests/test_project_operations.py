"""Timeline edits: what each operation does, and that reverting it restores the timeline exactly."""

from __future__ import annotations

import opentimelineio as otio
import pytest
from timeline_helpers import append_clip

from studio.errors import ProjectError
from studio.project.operations import (
    DeleteClip,
    InsertClip,
    MoveClip,
    Operation,
    ReplaceClip,
    RippleDelete,
    SetClipData,
    SplitClip,
    TrimInPlace,
)
from studio.project.timeline import find_track, item_range, new_timeline
from studio.project.track_operations import AddTrack, SetTrackData

RATE = 24


def make_clip(name: str, seconds: float, link: str | None = None) -> otio.schema.Clip:
    available = otio.opentime.TimeRange(otio.opentime.RationalTime(0, RATE),
                                        otio.opentime.RationalTime(round(seconds * RATE), RATE))
    clip = otio.schema.Clip(name=name, source_range=available,
                            media_reference=otio.schema.ExternalReference(f"file:///media/{name}.mp4",
                                                                          available_range=available))
    if link:
        clip.metadata["kinora"] = {"take_id": 1, "link_id": link}
    return clip


def layout(timeline: otio.schema.Timeline, track: str = "V1") -> list[tuple[str, float, float]]:
    """(name or 'gap', start, end) of every item on a track."""
    t = find_track(timeline, track)
    return [("gap" if isinstance(item, otio.schema.Gap) else item.name, *item_range(t, i)) for i, item in enumerate(t)]


@pytest.fixture
def timeline() -> otio.schema.Timeline:
    """V1: a [0,2) b [2,5); A1: a [0,2)."""
    tl = new_timeline("test")
    for track, clip in (("V1", make_clip("a", 2)), ("V1", make_clip("b", 3)), ("A1", make_clip("a", 2))):
        append_clip(tl, track, clip)
    return tl


def check_reversible(timeline: otio.schema.Timeline, op: Operation) -> str:
    """Apply, revert (must restore exactly), apply again (must redo exactly); return the edited JSON."""
    before = timeline.to_json_string()
    op.apply(timeline)
    after = timeline.to_json_string()
    assert after != before
    op.revert(timeline)
    assert timeline.to_json_string() == before
    op.apply(timeline)
    assert timeline.to_json_string() == after
    return after


def test_new_timeline_has_a_video_and_an_audio_track_at_24_fps() -> None:
    tl = new_timeline("x")
    assert [(t.name, t.kind) for t in tl.tracks] == [("V1", "Video"), ("A1", "Audio")]
    assert tl.metadata["kinora"]["rate"] == 24.0


def test_insert_at_the_end_then_undo(timeline: otio.schema.Timeline) -> None:
    check_reversible(timeline, InsertClip("V1", 5.0, make_clip("c", 1)))
    assert layout(timeline) == [("a", 0, 2), ("b", 2, 5), ("c", 5, 6)]


def test_insert_inside_a_clip_cuts_it_and_pushes_the_rest(timeline: otio.schema.Timeline) -> None:
    check_reversible(timeline, InsertClip("V1", 1.0, make_clip("c", 1)))
    assert layout(timeline) == [("a", 0, 1), ("c", 1, 2), ("a", 2, 3), ("b", 3, 6)]
    # The second half of 'a' continues its source where the first half stopped.
    second_half = find_track(timeline, "V1")[2]
    assert second_half.source_range.start_time.to_seconds() == 1.0


def test_insert_at_a_cut_and_past_the_end(timeline: otio.schema.Timeline) -> None:
    check_reversible(timeline, InsertClip("V1", 2.0, make_clip("c", 1)))
    assert layout(timeline) == [("a", 0, 2), ("c", 2, 3), ("b", 3, 6)]
    check_reversible(timeline, InsertClip("V1", 8.0, make_clip("d", 1)))
    assert layout(timeline)[-2:] == [("gap", 6, 8), ("d", 8, 9)]


def test_move_leaves_a_gap_and_overwrites_at_the_destination(timeline: otio.schema.Timeline) -> None:
    check_reversible(timeline, MoveClip("V1", 0, 3.0))
    assert layout(timeline) == [("gap", 0, 2), ("b", 2, 3), ("a", 3, 5)]


def test_move_to_another_track_of_the_same_kind(timeline: otio.schema.Timeline) -> None:
    timeline.tracks.insert(1, otio.schema.Track(name="V2", kind=otio.schema.TrackKind.Video))
    check_reversible(timeline, MoveClip("V1", 1, 1.0, to_track="V2"))
    assert layout(timeline) == [("a", 0, 2)]  # no trailing gap left behind
    assert layout(timeline, "V2") == [("gap", 0, 1), ("b", 1, 4)]


def test_moving_video_onto_an_audio_track_is_refused(timeline: otio.schema.Timeline) -> None:
    before = timeline.to_json_string()
    with pytest.raises(ProjectError, match="audio track A1"):
        MoveClip("V1", 0, 0.0, to_track="A1").apply(timeline)
    assert timeline.to_json_string() == before


def test_split_makes_two_clips_that_play_the_same_frames(timeline: otio.schema.Timeline) -> None:
    check_reversible(timeline, SplitClip("V1", 3.5))
    assert layout(timeline) == [("a", 0, 2), ("b", 2, 3.5), ("b", 3.5, 5)]
    left, right = find_track(timeline, "V1")[1], find_track(timeline, "V1")[2]
    assert left.source_range.end_time_exclusive() == right.source_range.start_time


def test_splitting_linked_video_and_audio_keeps_the_right_halves_linked() -> None:
    tl = new_timeline("linked")
    append_clip(tl, "V1", make_clip("v", 2, link="L"))
    append_clip(tl, "A1", make_clip("v", 2, link="L"))
    SplitClip("V1", 1.0).apply(tl)
    SplitClip("A1", 1.0).apply(tl)
    links = [[c.metadata["kinora"]["link_id"] for c in find_track(tl, name)] for name in ("V1", "A1")]
    assert links[0] == links[1] and links[0][0] != links[0][1]


def test_split_on_a_cut_or_in_a_gap_is_refused(timeline: otio.schema.Timeline) -> None:
    with pytest.raises(ProjectError, match="no clip to split"):
        SplitClip("V1", 2.0).apply(timeline)
    with pytest.raises(ProjectError, match="no clip to split"):
        SplitClip("V1", 7.0).apply(timeline)


def test_delete_leaves_a_gap_so_nothing_moves(timeline: otio.schema.Timeline) -> None:
    check_reversible(timeline, DeleteClip("V1", 0))
    assert layout(timeline) == [("gap", 0, 2), ("b", 2, 5)]


def test_deleting_the_last_clip_leaves_no_trailing_gap(timeline: otio.schema.Timeline) -> None:
    DeleteClip("V1", 0).apply(timeline)
    check_reversible(timeline, DeleteClip("V1", 1))
    assert layout(timeline) == []


def test_ripple_delete_closes_up(timeline: otio.schema.Timeline) -> None:
    check_reversible(timeline, RippleDelete("V1", 0))
    assert layout(timeline) == [("b", 0, 3)]


def test_ripple_deleting_a_gap_pulls_the_next_clip_in(timeline: otio.schema.Timeline) -> None:
    DeleteClip("V1", 0).apply(timeline)
    check_reversible(timeline, RippleDelete("V1", 0))
    assert layout(timeline) == [("b", 0, 3)]


def _gap_x_gap_z() -> otio.schema.Timeline:
    """V1: gap [0,1) x [1,2) gap [2,3) z [3,4)."""
    tl = new_timeline("gaps")
    for name in "wxyz":
        append_clip(tl, "V1", make_clip(name, 1))
    DeleteClip("V1", 0).apply(tl)
    DeleteClip("V1", 2).apply(tl)
    assert layout(tl) == [("gap", 0, 1), ("x", 1, 2), ("gap", 2, 3), ("z", 3, 4)]
    return tl


def test_deleting_between_gaps_merges_them_into_one() -> None:
    tl = _gap_x_gap_z()
    check_reversible(tl, DeleteClip("V1", 1))
    assert layout(tl) == [("gap", 0, 3), ("z", 3, 4)]


def test_ripple_deleting_between_gaps_joins_what_is_left_of_them() -> None:
    tl = _gap_x_gap_z()
    check_reversible(tl, RippleDelete("V1", 1))
    assert layout(tl) == [("gap", 0, 2), ("z", 2, 3)]


def test_a_long_edit_session_undoes_back_to_the_start(timeline: otio.schema.Timeline) -> None:
    start = timeline.to_json_string()
    ops = [InsertClip("V1", 1.0, make_clip("c", 1)), SplitClip("V1", 4.0), MoveClip("V1", 0, 9.0),
           DeleteClip("V1", 2), RippleDelete("V1", 0), InsertClip("A1", 2.0, make_clip("s", 2))]
    for op in ops:
        op.apply(timeline)
    for op in reversed(ops):
        op.revert(timeline)
    assert timeline.to_json_string() == start


def test_placing_a_clip_that_is_already_on_the_timeline_is_refused(timeline: otio.schema.Timeline) -> None:
    on_timeline = find_track(timeline, "V1")[0]
    with pytest.raises(ProjectError, match="already on a timeline"):
        InsertClip("V1", 0.0, on_timeline).apply(timeline)


def test_unknown_track_is_named_in_the_error(timeline: otio.schema.Timeline) -> None:
    with pytest.raises(ProjectError, match="no track 'V9'"):
        InsertClip("V9", 0.0, make_clip("c", 1)).apply(timeline)


# --- the editor's in-place trims, metadata, take swaps and tracks ---------------------------------

def clip_from_1s(name: str, seconds: float, media_seconds: float = 10.0) -> otio.schema.Clip:
    """A clip showing `seconds` of its media starting 1 s into it."""
    available = otio.opentime.TimeRange(otio.opentime.RationalTime(0, RATE),
                                        otio.opentime.RationalTime(media_seconds * RATE, RATE))
    used = otio.opentime.TimeRange(otio.opentime.RationalTime(RATE, RATE),
                                   otio.opentime.RationalTime(seconds * RATE, RATE))
    ref = otio.schema.ExternalReference(target_url=f"file:///{name}.mp4", available_range=available)
    return otio.schema.Clip(name=name, media_reference=ref, source_range=used)


@pytest.fixture
def gapped() -> otio.schema.Timeline:
    """V1: a [0, 2) | gap [2, 3) | b [3, 5) | c [5, 6)."""
    tl = new_timeline("ops", RATE)
    for name, seconds in (("a", 2), ("b", 2), ("c", 1)):
        append_clip(tl, "V1", clip_from_1s(name, seconds))
    MoveClip("V1", 2, 5.0).apply(tl)  # c moves 1 s later, leaving a gap ...
    MoveClip("V1", 1, 3.0).apply(tl)  # ... and b follows it, so the gap ends up between a and b
    return tl


def test_gapped_fixture_layout(gapped):
    assert layout(gapped) == [("a", 0.0, 2.0), ("gap", 2.0, 3.0), ("b", 3.0, 5.0), ("c", 5.0, 6.0)]


@pytest.mark.parametrize("index, edge, time, expected", [
    (2, "head", 2.5, [("a", 0.0, 2.0), ("gap", 2.0, 2.5), ("b", 2.5, 5.0), ("c", 5.0, 6.0)]),
    (2, "head", 2.0, [("a", 0.0, 2.0), ("b", 2.0, 5.0), ("c", 5.0, 6.0)]),
    (0, "tail", 3.0, [("a", 0.0, 3.0), ("b", 3.0, 5.0), ("c", 5.0, 6.0)]),
    (0, "tail", 1.0, [("a", 0.0, 1.0), ("gap", 1.0, 3.0), ("b", 3.0, 5.0), ("c", 5.0, 6.0)]),
    (2, "tail", 4.0, [("a", 0.0, 2.0), ("gap", 2.0, 3.0), ("b", 3.0, 4.0), ("gap", 4.0, 5.0), ("c", 5.0, 6.0)]),
    (3, "tail", 7.0, [("a", 0.0, 2.0), ("gap", 2.0, 3.0), ("b", 3.0, 5.0), ("c", 5.0, 7.0)]),
    (0, "head", 0.5, [("gap", 0.0, 0.5), ("a", 0.5, 2.0), ("gap", 2.0, 3.0), ("b", 3.0, 5.0), ("c", 5.0, 6.0)]),
])
def test_trim_in_place_moves_one_edge_and_reverts_exactly(gapped, index, edge, time, expected):
    before = gapped.to_json_string()
    op = TrimInPlace("V1", index, edge, time)
    op.apply(gapped)
    assert layout(gapped) == expected
    op.revert(gapped)
    assert gapped.to_json_string() == before


def test_a_head_trim_shows_later_media_and_keeps_the_source_in_step(gapped):
    TrimInPlace("V1", 2, "head", 3.5).apply(gapped)
    b = find_track(gapped, "V1")[2]
    assert b.name == "b"
    assert b.trimmed_range().start_time.to_seconds() == pytest.approx(1.5)


@pytest.mark.parametrize("index, edge, time", [
    (2, "head", 1.5),   # into clip a
    (0, "tail", 3.5),   # into clip b
    (2, "head", 5.0),   # nothing left
    (0, "head", -1.0),  # before the media's first frame (it starts 1 s in, so -1 s is 2 s too early)
])
def test_trims_that_would_overlap_or_empty_a_clip_are_refused_and_change_nothing(gapped, index, edge, time):
    before = gapped.to_json_string()
    with pytest.raises(ProjectError):
        TrimInPlace("V1", index, edge, time).apply(gapped)
    assert gapped.to_json_string() == before


def test_metadata_take_swap_and_track_changes_revert_exactly(gapped):
    before = gapped.to_json_string()
    ops = [SetClipData("V1", 0, {"link_id": "x", "takes": [1, 2]}), SetTrackData("V1", {"mute": True}),
           ReplaceClip("V1", 2, clip_from_1s("b2", 2)), AddTrack("video"), AddTrack("audio")]
    for op in ops:
        op.apply(gapped)
    assert [t.name for t in gapped.tracks] == ["V1", "V2", "A1", "A2"]
    assert find_track(gapped, "V1")[2].name == "b2"
    data = find_track(gapped, "V1")[0].metadata["kinora"]
    assert (data["link_id"], list(data["takes"])) == ("x", [1, 2])
    for op in reversed(ops):
        op.revert(gapped)
    assert gapped.to_json_string() == before


def test_a_replacement_of_another_length_is_refused(gapped):
    with pytest.raises(ProjectError, match="trim it to fit"):
        ReplaceClip("V1", 0, clip_from_1s("long", 3)).apply(gapped)
