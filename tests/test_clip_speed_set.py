"""Setting a clip's speed in the studio (issue 15): the Inspector's Speed, planned without Qt.

A new speed keeps the clip's media in and out, so it lasts (out - in) / speed on its track; the linked
sound follows; the clip carries one OTIO LinearTimeWarp that clip_speed (and other editors, through
an EDL's M2) reads back; a clip that would grow over the next one is refused unless overwrite.
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest
from test_project_operations import clip_from_1s, layout
from timeline_helpers import append_clip

from studio.errors import ProjectError
from studio.project.clip_props import check_speed, clip_speed, media_in_out, set_speed, sound_props
from studio.project.edit_plans import plan_clip_edit
from studio.project.operations import MoveClip, SetClipData
from studio.project.timeline import find_track, kinora_data, new_timeline

RATE = 24


@pytest.fixture
def edit() -> otio.schema.Timeline:
    """V1 and A1 linked: 'a' [0, 2) playing media 1 s .. 3 s, then 'b' [3, 4)."""
    tl = new_timeline("speed", RATE)
    for track in ("V1", "A1"):
        append_clip(tl, track, clip_from_1s("a", 2))
        append_clip(tl, track, clip_from_1s("b", 1))
        MoveClip(track, 1, 3.0).apply(tl)
        assert layout(tl, track) == [("a", 0.0, 2.0), ("gap", 2.0, 3.0), ("b", 3.0, 4.0)]
    return tl


def run(timeline: otio.schema.Timeline, speed: float, overwrite: bool = False) -> list:
    """Apply the Inspector's speed to V1's first clip and its sound partner; the applied operations
    (reverted in reverse order, they are the editor's one undo step)."""
    clip, partner = find_track(timeline, "V1")[0], find_track(timeline, "A1")[0]
    done = []
    try:
        for op in plan_clip_edit(clip, [partner], {}, None, overwrite, speed)(timeline):
            op.apply(timeline)
            done.append(op)
    except ProjectError:
        for op in reversed(done):
            op.revert(timeline)
        raise
    return done


def test_2x_halves_the_clip_and_its_linked_sound_and_undo_restores_it(edit) -> None:
    before = edit.to_json_string()
    done = run(edit, 2.0)
    for track in ("V1", "A1"):
        clip = find_track(edit, track)[0]
        assert layout(edit, track)[0] == ("a", 0.0, 1.0)  # 2 s of media at 2x: 1 s on the track
        assert media_in_out(clip) == pytest.approx((1.0, 3.0))  # the same media: in kept
        assert clip_speed(clip) == 2.0
        warps = [e for e in clip.effects if isinstance(e, otio.schema.LinearTimeWarp)]
        assert len(warps) == 1 and warps[0].effect_name == "LinearTimeWarp"
    assert layout(edit, "V1")[-1] == ("b", 3.0, 4.0)  # the next clip stays where it was
    for op in reversed(done):
        op.revert(edit)
    assert edit.to_json_string() == before


def test_speed_back_to_1x_removes_the_warp_and_a_new_speed_replaces_it(edit) -> None:
    run(edit, 2.0)
    run(edit, 1.0)  # back to normal speed
    clip = find_track(edit, "V1")[0]
    assert not list(clip.effects) and layout(edit)[0] == ("a", 0.0, 2.0)
    run(edit, 4.0)
    run(edit, 2.0)
    clip = find_track(edit, "V1")[0]
    assert [e.time_scalar for e in clip.effects] == [2.0] and layout(edit)[0] == ("a", 0.0, 1.0)


def test_a_speed_that_would_cover_the_next_clip_is_refused_unless_overwrite(edit) -> None:
    before = edit.to_json_string()
    with pytest.raises(ProjectError, match="would cover 'b' on V1.*allow overwriting"):
        run(edit, 0.5)  # 2 s of media at half speed: 4 s, over 'b' at 3 s
    assert edit.to_json_string() == before
    run(edit, 0.5, overwrite=True)
    assert layout(edit, "V1") == layout(edit, "A1") == [("a", 0.0, 4.0)]  # 'b' was covered, on both tracks
    run(edit, 1.0)  # and back: 2 s again, and nothing after it (a track ends with its last clip)
    assert layout(edit, "V1") == [("a", 0.0, 2.0)]


def test_speed_out_of_range_is_named() -> None:
    for speed in (0.0, 0.05, 11.0, -1.0):
        with pytest.raises(ProjectError, match="between 10 % and 1000 %"):
            check_speed(speed)


def test_a_held_frame_given_a_speed_plays_again() -> None:
    clip = clip_from_1s("a", 2)
    clip.effects.append(otio.schema.FreezeFrame())
    assert clip_speed(clip) == 0.0
    set_speed(clip, 1.5)
    assert clip_speed(clip) == 1.5 and len(clip.effects) == 1


def test_volume_keys_stay_on_their_moment_of_the_media(edit) -> None:
    SetClipData("A1", 0, {"volume_keys": [[0.0, 0.0], [1.0, -12.0], [2.0, -6.0]], "fade_out_s": 0.25}).apply(edit)
    run(edit, 2.0)
    props = sound_props(kinora_data(find_track(edit, "A1")[0]))
    # The key 1 s into the media played at 1x is 0.5 s into the clip at 2x; the fade stays on the edge.
    assert props.volume_keys == ((0.0, 0.0), (0.5, -12.0), (1.0, -6.0)) and props.fade_out_s == 0.25


def test_the_warp_written_goes_out_through_an_edl_and_comes_back(edit, tmp_path: Path) -> None:
    from studio.project.files import save_edl
    from studio.project.interchange import read_timeline

    run(edit, 2.0)
    path = save_edl(edit, tmp_path / "speed.edl")
    assert "M2" in path.read_text()  # other editors see the speed change
    back = read_timeline(path, RATE)
    first = next(c for c in back.find_clips())
    assert clip_speed(first) == pytest.approx(2.0) and first.duration().to_seconds() == pytest.approx(1.0)
    assert media_in_out(first) == pytest.approx((1.0, 3.0))
