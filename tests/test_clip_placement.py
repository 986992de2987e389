"""The Inspector's position and in/out as a timeline edit: PlaceClip and the plan that applies it to a
clip and its linked partner (Qt-free)."""

from __future__ import annotations

import opentimelineio as otio
import pytest
from test_project_operations import clip_from_1s, layout
from timeline_helpers import append_clip

from studio.errors import ProjectError
from studio.project.edit_plans import plan_clip_edit
from studio.project.operations import MoveClip, PlaceClip
from studio.project.timeline import find_track, new_timeline

RATE = 24


@pytest.fixture
def edit() -> otio.schema.Timeline:
    """V1: a [0, 2) | gap [2, 4) | b [4, 6); each shows its media from 1 s (10 s files)."""
    tl = new_timeline("place", RATE)
    append_clip(tl, "V1", clip_from_1s("a", 2))
    append_clip(tl, "V1", clip_from_1s("b", 2))
    MoveClip("V1", 1, 4.0).apply(tl)
    return tl


def test_place_moves_and_retrims_a_clip_and_reverts_exactly(edit) -> None:
    before = edit.to_json_string()
    op = PlaceClip("V1", 2, 2.5, 3.0, 4.0)  # b to 2.5 s, showing its media 3..4 s
    op.apply(edit)
    assert layout(edit) == [("a", 0.0, 2.0), ("gap", 2.0, 2.5), ("b", 2.5, 3.5)]
    b = find_track(edit, "V1")[2]
    assert b.trimmed_range().start_time.to_seconds() == pytest.approx(3.0)
    op.revert(edit)
    assert edit.to_json_string() == before


@pytest.mark.parametrize("time, source_in, source_out, message", [
    (1.0, 1.0, 3.0, "would cover 'a'"),       # onto clip a
    (4.0, 3.0, 3.0, "must come after its in point"),
    (4.0, 5.0, 4.0, "must come after its in point"),
    (4.0, 9.0, 11.0, "has media from 0.000 s to 10.000 s"),
    (-1.0, 1.0, 2.0, "before the start"),
])
def test_bad_placements_are_refused_with_a_reason_and_change_nothing(edit, time, source_in, source_out, message) -> None:
    before = edit.to_json_string()
    with pytest.raises(ProjectError, match=message):
        PlaceClip("V1", 2, time, source_in, source_out).apply(edit)
    assert edit.to_json_string() == before


def test_with_overwrite_the_clip_covers_what_is_there(edit) -> None:
    PlaceClip("V1", 2, 1.0, 1.0, 3.0, overwrite=True).apply(edit)
    assert layout(edit) == [("a", 0.0, 1.0), ("b", 1.0, 3.0)]


def test_the_plan_moves_the_linked_sound_with_the_picture_as_one_gesture() -> None:
    tl = new_timeline("linked", RATE)
    video, audio = clip_from_1s("a", 2), clip_from_1s("a", 2)
    for clip, track in ((video, "V1"), (audio, "A1")):
        clip.metadata["kinora"] = {"link_id": "x"}
        append_clip(tl, track, clip)
    ops = []
    for op in plan_clip_edit(video, [audio], {"gain_db": -6.0}, (1.0, 1.5, 2.5))(tl):
        op.apply(tl)
        ops.append(op)
    for name in ("V1", "A1"):
        assert layout(tl, name) == [("gap", 0.0, 1.0), ("a", 1.0, 2.0)]
        assert find_track(tl, name)[1].trimmed_range().start_time.to_seconds() == pytest.approx(1.5)
    assert find_track(tl, "A1")[1].metadata["kinora"]["gain_db"] == -6.0


def test_placement_moves_the_volume_keys_with_the_new_in_point(edit) -> None:
    b = find_track(edit, "V1")[2]
    b.metadata["kinora"] = {"volume_keys": [[0.0, 0.0], [2.0, -20.0]]}  # -10 dB 1 s in (media 2 s)
    PlaceClip("V1", 2, 4.0, 2.0, 3.0).apply(edit)  # now starts at media 2 s
    keys = find_track(edit, "V1")[2].metadata["kinora"]["volume_keys"]
    assert [list(k) for k in keys] == [[0.0, -10.0], [1.0, -20.0]]


@pytest.mark.parametrize("fps", [24.0, 25.0, 30.0, 30000 / 1001])
def test_a_timecode_typed_back_names_the_same_frame(fps) -> None:
    from studio.ui.timeline.timescale import parse_timecode, timecode

    for k in range(0, 4000, 37):
        shown = timecode(k / fps, fps)
        assert timecode(parse_timecode(shown, fps), fps) == shown
    assert parse_timecode("2:12", 24.0) == 2.5 and parse_timecode("1.5", fps) == 1.5
    for bad in ("soon", "00:00:01:24" if round(fps) == 24 else "00:00:01:99", "-1"):
        with pytest.raises(ValueError, match="is not a time"):
            parse_timecode(bad, fps)
