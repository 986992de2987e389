"""A clip's volume keyframes and fades follow its media through split, head trim and cut-by-overwrite.

Keys are stored in seconds from the clip's start, so a part that starts later in the clip has to
move them to its own time base; fades belong to the clip's outer edges, not to a cut made inside it.
"""

from __future__ import annotations

import opentimelineio as otio
import pytest
from timeline_helpers import append_clip

from studio.project.clip_props import make_props, sound_props
from studio.project.operations import InsertClip, SplitClip, TrimInPlace
from studio.project.schedule import build_schedule
from studio.project.timeline import find_track, kinora_data, new_timeline

RATE = 24
RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange


def shaped_clip(seconds: float = 4.0, speed: float = 1.0) -> otio.schema.Clip:
    """A clip of 4 s of a 10 s file: fade in 0.5 s, fade out 0.5 s, keys 0 dB at 1 s falling to -20 dB at 3 s."""
    available = TR(RT(0, RATE), RT(10 * RATE, RATE))
    clip = otio.schema.Clip(name="a", source_range=TR(RT(0, RATE), RT(seconds * RATE, RATE)),
                            media_reference=otio.schema.ExternalReference("file:///a.mp4", available_range=available))
    props = make_props(0.0, 0.5, 0.5, [(1.0, 0.0), (3.0, -20.0)])
    clip.metadata["kinora"] = {k: v for k, v in props.to_metadata().items() if v is not None}
    if speed != 1.0:
        clip.effects.append(otio.schema.LinearTimeWarp(time_scalar=speed))
    return clip


def edit(clip: otio.schema.Clip) -> otio.schema.Timeline:
    timeline = new_timeline("keys", RATE)
    append_clip(timeline, "A1", clip)
    return timeline


def level_at(clip: otio.schema.Clip, t: float) -> float:
    """The clip's keyframed level (dB) at `t` seconds into the clip, as the schedule plays it."""
    import numpy as np

    keys = sound_props(kinora_data(clip)).volume_keys
    times, levels = zip(*keys)
    return float(np.interp(t, times, levels))


def test_split_moves_the_right_parts_keys_to_its_own_start_and_keeps_fades_at_the_outer_edges() -> None:
    # The old split tests only looked at source ranges and link ids; no test split a clip that had keys.
    timeline = edit(shaped_clip())
    before = [level_at(shaped_clip(), t) for t in (1.5, 2.0, 2.5, 3.5)]
    SplitClip("A1", 2.0).apply(timeline)
    left, right = find_track(timeline, "A1")
    # The same level at the same moment of the edit, on both sides of the cut.
    assert level_at(left, 1.5) == pytest.approx(before[0])
    assert level_at(right, 0.0) == pytest.approx(before[1])
    assert level_at(right, 0.5) == pytest.approx(before[2])
    assert level_at(right, 1.5) == pytest.approx(before[3])
    assert all(t >= 0 for t, _ in sound_props(kinora_data(right)).volume_keys)
    # The fade out stays at the end of the whole, the fade in at its start: no dip at the cut.
    assert sound_props(kinora_data(left)).fade_out_s == 0 and sound_props(kinora_data(left)).fade_in_s == 0.5
    assert sound_props(kinora_data(right)).fade_in_s == 0 and sound_props(kinora_data(right)).fade_out_s == 0.5


def test_the_schedule_plays_a_split_clip_at_the_levels_the_whole_clip_had(tmp_path) -> None:
    path = tmp_path / "a.mp4"
    path.write_bytes(b"x")  # the resolver only needs a file; kinds are given
    timeline = edit(shaped_clip())
    whole = build_schedule(timeline, lambda c: path, lambda p: (False, True)).audio[0]
    SplitClip("A1", 2.0).apply(timeline)
    left, right = build_schedule(timeline, lambda c: path, lambda p: (False, True)).audio
    assert right.first == 2 * 48000
    assert right.fade_in_s == 0 and left.fade_out_s == 0
    times, levels = zip(*whole.volume_keys)
    r_times, r_levels = zip(*right.volume_keys)
    import numpy as np
    for t in (2.0, 2.7, 3.9):
        assert np.interp(t - 2.0, r_times, r_levels) == pytest.approx(np.interp(t, times, levels))


def test_a_head_trim_moves_the_keys_with_the_media() -> None:
    timeline = edit(shaped_clip())
    clip = find_track(timeline, "A1")[0]
    at_2s = level_at(clip, 2.0)
    TrimInPlace("A1", 0, "head", 1.5).apply(timeline)
    trimmed = find_track(timeline, "A1")[1]  # a gap [0, 1.5) comes first
    assert level_at(trimmed, 0.5) == pytest.approx(at_2s)  # the media at 2 s is 0.5 s into the clip now


def test_an_insert_that_cuts_a_clip_rebases_the_keys_of_the_part_after_it() -> None:
    timeline = edit(shaped_clip())
    InsertClip("A1", 2.0, otio.schema.Clip(name="x", source_range=TR(RT(0, RATE), RT(RATE, RATE)))).apply(timeline)
    right = find_track(timeline, "A1")[2]
    assert level_at(right, 0.5) == pytest.approx(level_at(shaped_clip(), 2.5))


def test_splitting_a_clip_at_double_speed_starts_the_right_part_where_the_media_had_got_to() -> None:
    # The split offset is timeline time; at 2x the media has moved on twice as far.
    timeline = edit(shaped_clip(seconds=4.0, speed=2.0))
    SplitClip("A1", 1.0).apply(timeline)
    left, right = find_track(timeline, "A1")
    assert right.trimmed_range().start_time.to_seconds() == pytest.approx(2.0)
    assert left.trimmed_range().duration.to_seconds() == pytest.approx(1.0)
    assert right.trimmed_range().duration.to_seconds() == pytest.approx(3.0)


@pytest.mark.parametrize("fade, key_time", [(float("nan"), 1.0), (float("inf"), 1.0), (-1.0, 1.0),
                                            (0.5, float("nan")), (0.5, float("inf"))])
def test_sound_properties_from_a_file_must_be_finite(fade: float, key_time: float) -> None:
    # A file may carry NaN and Inf (OTIO reads both, so Kinora keeps them in metadata); as a fade or a key's
    # time they would pass `< 0` and reach the mixer. Only negative values were refused before.
    from studio.errors import ProjectError

    with pytest.raises(ProjectError):
        sound_props({"fade_in_s": fade, "volume_keys": [[key_time, -6.0]]})


def test_a_speed_that_is_not_a_finite_positive_number_holds_the_frame() -> None:
    from studio.project.clip_props import clip_speed

    for scalar, speed in ((2.0, 2.0), (float("nan"), 0.0), (float("inf"), 0.0), (-1.0, 0.0)):
        clip = shaped_clip()
        clip.effects.append(otio.schema.LinearTimeWarp(time_scalar=scalar))
        assert clip_speed(clip) == speed
