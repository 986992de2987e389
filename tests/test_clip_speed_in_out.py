"""In and out of a sped-up clip count its media, not its length on the timeline (Qt-free).

OpenTimelineIO keeps a clip's source_range starting in its media's time and lasting as long as the
clip lasts on the track; a LinearTimeWarp of 2 plays two seconds of media per second of track. Before,
the Inspector's Out, PlaceClip and the trim's media check took in + length as the out point, so a 2x
clip showed half the media it used, setting in/out doubled its length, and a tail trim could run past
the end of the file. The old tests only placed and trimmed clips at normal speed.
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest
from test_project_operations import clip_from_1s, layout
from timeline_helpers import append_clip

from studio.errors import ProjectError
from studio.project.clip_props import media_in_out
from studio.project.edit_plans import plan_clip_edit
from studio.project.operations import PlaceClip, SplitClip, TrimInPlace
from studio.project.schedule import build_schedule
from studio.project.timeline import find_track, new_timeline

RATE = 24


def _fast(name: str, seconds: float, speed: float = 2.0) -> otio.schema.Clip:
    """A clip `seconds` long on the track, from 1 s into its 10 s of media, played at `speed`."""
    clip = clip_from_1s(name, seconds)
    clip.effects.append(otio.schema.LinearTimeWarp(time_scalar=speed))
    return clip


@pytest.fixture
def edit() -> otio.schema.Timeline:
    """V1 and A1: a 2x clip lasting 2 s on the track, playing its media from 1 s to 5 s."""
    tl = new_timeline("fast", RATE)
    append_clip(tl, "V1", _fast("a", 2))
    append_clip(tl, "A1", _fast("a", 2))
    return tl


def test_in_and_out_of_a_2x_clip_are_the_media_it_plays() -> None:
    assert media_in_out(_fast("a", 2)) == pytest.approx((1.0, 5.0))
    assert media_in_out(_fast("a", 2, 0.5)) == pytest.approx((1.0, 2.0))
    assert media_in_out(clip_from_1s("a", 2)) == pytest.approx((1.0, 3.0))
    # A held frame uses one picture: its in and out count the hold, the only length they can set.
    assert media_in_out(_fast("a", 2, 0.0)) == pytest.approx((1.0, 3.0))


def test_placing_a_2x_clip_by_in_and_out_lasts_half_that_on_the_track(edit) -> None:
    PlaceClip("V1", 0, 0.0, 2.0, 4.0).apply(edit)  # two seconds of media
    clip = find_track(edit, "V1")[0]
    assert layout(edit) == [("a", 0.0, 1.0)]  # was 2 s long: the out point counted track time
    assert media_in_out(clip) == pytest.approx((2.0, 4.0))


def test_the_inspector_apply_of_a_2x_clip_changes_only_what_was_typed(edit) -> None:
    clip, partner = find_track(edit, "V1")[0], find_track(edit, "A1")[0]
    media_in, media_out = media_in_out(clip)
    plan = plan_clip_edit(clip, [partner], {}, (0.0, media_in, media_out))
    assert list(plan(edit)) == []  # what the Inspector shows, applied back, is no edit
    plan = plan_clip_edit(clip, [partner], {}, (0.0, media_in, media_out + 1.0))  # one more second of media
    for op in plan(edit):
        op.apply(edit)
    for track in ("V1", "A1"):
        assert layout(edit, track) == [("a", 0.0, 2.5)]  # half a second more on the track, sound with it
        assert media_in_out(find_track(edit, track)[0]) == pytest.approx((1.0, 6.0))


def test_a_2x_clip_cannot_be_trimmed_past_the_end_of_its_media(edit) -> None:
    before = edit.to_json_string()
    with pytest.raises(ProjectError, match="no media beyond 10.000 s"):
        TrimInPlace("V1", 0, "tail", 4.75).apply(edit)  # would play media 1 s .. 10.5 s
    assert edit.to_json_string() == before
    TrimInPlace("V1", 0, "tail", 4.5).apply(edit)  # media 1 s .. 10 s: all of it
    assert media_in_out(find_track(edit, "V1")[0]) == pytest.approx((1.0, 10.0))


def test_a_split_2x_clip_plays_its_media_on_and_its_sound_without_a_de_click_dip(edit, tmp_path: Path) -> None:
    SplitClip("V1", 0.5).apply(edit)
    SplitClip("A1", 0.5).apply(edit)
    left, right = find_track(edit, "V1")
    assert media_in_out(left) == pytest.approx((1.0, 2.0)) and media_in_out(right) == pytest.approx((2.0, 5.0))
    media = tmp_path / "a.mp4"
    media.write_bytes(b"")  # the schedule only asks that the file exists; kinds() answers for it
    schedule = build_schedule(edit, lambda clip: media, lambda path: (True, True))
    first, second = schedule.audio
    # The halves read on where the other stopped: no fade at the cut (there was: it checked the
    # second half's start against the first's length, not the media the first had read).
    assert (first.fade_out, second.fade_in) == (False, False)
    assert second.source_first == first.source_first + 2 * first.length
    pieces = schedule.layers[0]
    assert pieces[1].source_start == pytest.approx(pieces[0].source_start + 2 * (pieces[0].end - pieces[0].start))


def test_another_take_swapped_into_a_2x_clip_keeps_its_speed_and_needs_twice_its_length() -> None:
    # Before, the swapped-in take lost the LinearTimeWarp (played at 1x) and was checked against the
    # clip's length on the track, not the media it plays.
    from studio.project.edit_plans import alternate_clip

    old = _fast("a", 2)  # plays media 1 s .. 5 s
    swapped = alternate_clip(old, clip_from_1s("b", 9), None)  # b: 10 s of media, 1 s .. 10 s offered
    assert layout_of(swapped) == (2.0, 2.0) and media_in_out(swapped) == pytest.approx((1.0, 5.0))
    with pytest.raises(ProjectError, match="needs 4.00 s of it"):
        alternate_clip(old, clip_from_1s("short", 3), None)  # 3 s of media: enough at 1x, not at 2x


def layout_of(clip: otio.schema.Clip) -> tuple[float, float]:
    """(length on the track, speed) of a clip."""
    from studio.project.clip_props import clip_speed

    return clip.duration().to_seconds(), clip_speed(clip)
