"""The Inspector's clip fields: position and in/out in the project's timecode, reframe, applied to the
selected clip as one undoable edit; a refusal is said in the Inspector and changes nothing."""

from __future__ import annotations

import pytest
from test_ui_timeline import clip_items, generated_take, select_only

from studio.project.framing import clip_framing
from studio.project.timeline import kinora_data
from studio.ui.clip_inspector import ClipInspector
from studio.ui.tasks import wait_for_tasks
from studio.ui.timeline import TimelineEditor


@pytest.fixture
def inspected(qtbot, lib, tmp_path):
    """A timeline editor with two 1 s takes at 0 s and 2 s (picture and sound linked) and an Inspector
    wired to it as the main window wires it."""
    editor = TimelineEditor(lib)
    qtbot.addWidget(editor)
    editor.set_project(lib.create_project("Inspected").id)
    inspector = ClipInspector()
    qtbot.addWidget(inspector)
    editor.selectionChanged.connect(inspector.show_clip)
    inspector.apply_requested.connect(editor.set_selected_properties)
    editor.clipEditRefused.connect(inspector.show_error)
    first = generated_take(lib, tmp_path, "first", 1.0, 440.0)
    second = generated_take(lib, tmp_path, "second", 1.0, 660.0)
    assert editor.insert_take(first, 0.0) and editor.insert_take(second, 2.0)
    yield editor, inspector
    wait_for_tasks()  # filmstrips and waveforms still being made must not outlive the test


def spans(editor: TimelineEditor, track: str) -> list[tuple[float, float, float]]:
    """(start, end, source in) of each clip on a track."""
    return [(round(i.ref.start, 4), round(i.ref.end, 4), round(i.ref.source_start, 4))
            for i in clip_items(editor, track)]


def test_position_and_in_out_are_shown_in_timecode_and_applied_as_one_undo_step(inspected):
    editor, inspector = inspected
    before = editor.timeline().to_json_string()
    select_only(editor, clip_items(editor, "V1")[1])
    assert not inspector.isHidden()
    assert inspector.start.text() == "00:00:02:00"  # the project's timecode, as the timeline shows it
    assert (inspector.source_in.text(), inspector.source_out.text()) == ("00:00:00:00", "00:00:01:00")
    assert inspector.media.text() == "Media 00:00:00:00 – 00:00:01:00"
    inspector.start.setText("00:00:03:00")
    inspector.source_in.setText("00:00:00:06")
    inspector.source_out.setText("00:00:00:18")
    inspector.apply()
    # Picture and linked sound both moved to 3 s and show 0.25..0.75 s of their media.
    assert spans(editor, "V1")[1] == spans(editor, "A1")[1] == (3.0, 3.5, 0.25)
    assert not inspector.isHidden() and inspector.start.text() == "00:00:03:00"  # still on the clip
    assert editor.undo_stack().count() == 3  # two inserts, one Apply
    editor.undo_stack().undo()
    assert editor.timeline().to_json_string() == before


def test_an_overlap_is_refused_with_a_clear_message_unless_overwrite_is_ticked(inspected):
    editor, inspector = inspected
    before = editor.timeline().to_json_string()
    select_only(editor, clip_items(editor, "V1")[1])
    inspector.start.setText("00:00:00:12")
    inspector.apply()
    assert not inspector.error.isHidden()
    assert "would cover 'first'" in inspector.error.text() and "overwriting" in inspector.error.text()
    assert editor.timeline().to_json_string() == before
    assert inspector.start.text() == "00:00:00:12"  # what was typed stays, to be corrected
    inspector.overwrite.setChecked(True)
    inspector.apply()
    assert [s[:2] for s in spans(editor, "V1")] == [(0.0, 0.5), (0.5, 1.5)]


@pytest.mark.parametrize("field, text, message", [
    ("source_out", "00:00:00:00", "must come after In"),
    ("start", "soon", "Start: 'soon' is not a time"),
    ("source_out", "00:00:05:00", "has media from"),  # past the end of the 1 s file
])
def test_bad_values_are_named_and_change_nothing(inspected, field, text, message):
    editor, inspector = inspected
    before = editor.timeline().to_json_string()
    select_only(editor, clip_items(editor, "V1")[0])
    getattr(inspector, field).setText(text)
    inspector.apply()
    assert message in inspector.error.text()
    assert editor.timeline().to_json_string() == before


def test_a_custom_reframe_is_stored_on_the_clip_and_undone(inspected):
    editor, inspector = inspected
    select_only(editor, clip_items(editor, "V1")[0])
    assert not inspector.scale.isEnabled()
    inspector.reframe.setCurrentIndex(inspector.reframe.findData("custom"))
    assert inspector.scale.isEnabled()
    inspector.scale.setValue(50)
    inspector.offset_x.setValue(25)
    inspector.fill.setCurrentIndex(inspector.fill.findData("black"))
    inspector.apply()
    framing = clip_framing(kinora_data(clip_items(editor, "V1")[0].clip))
    assert (framing.scale, framing.x, framing.y, framing.fill) == (0.5, 0.25, 0.0, "black")
    assert inspector.reframe.currentData() == "custom"  # shown again as stored
    editor.undo_stack().undo()
    assert clip_framing(kinora_data(clip_items(editor, "V1")[0].clip)) is None


def test_untouched_volume_keys_follow_the_media_when_in_moves_and_typed_ones_are_kept(inspected):
    from studio.project.clip_props import sound_props

    editor, inspector = inspected

    def keys() -> tuple:
        return sound_props(kinora_data(clip_items(editor, "A1")[0].clip)).volume_keys

    select_only(editor, clip_items(editor, "V1")[0])
    inspector.keys.setText("0:0, 1:-12")
    inspector.apply()
    assert keys() == ((0.0, 0.0), (1.0, -12.0))
    inspector.source_in.setText("00:00:00:12")  # only the in point: the keys stay on their media
    inspector.apply()
    assert keys() == ((0.0, -6.0), (0.5, -12.0))
    assert inspector.keys.text() == "0:-6, 0.5:-12"
    inspector.source_in.setText("00:00:00:18")
    inspector.keys.setText("0:-3")  # typed with the new in point: as typed, from the clip's new start
    inspector.apply()
    assert keys() == ((0.0, -3.0),)


def test_in_and_out_of_a_sped_up_clip_show_and_set_the_media_it_plays(inspected):
    # Before, Out showed in + the clip's length on the track: a 2x clip seemed to use half its media,
    # and typing an out point made it twice as long as asked. The old tests had no sped-up clip.
    import opentimelineio as otio

    editor, inspector = inspected
    timeline = editor.timeline().deepcopy()
    for track in ("V1", "A1"):  # the second take at 2x for half a second: all of its 1 s of media
        clip = [c for c in timeline.tracks if c.name == track][0][2]
        half = otio.opentime.RationalTime(clip.source_range.duration.value / 2, clip.source_range.duration.rate)
        clip.source_range = otio.opentime.TimeRange(clip.source_range.start_time, half)
        clip.effects.append(otio.schema.LinearTimeWarp(time_scalar=2.0))
    editor.set_project(editor.project_id, timeline, save_previous=False)
    select_only(editor, clip_items(editor, "V1")[1])
    assert (inspector.source_in.text(), inspector.source_out.text()) == ("00:00:00:00", "00:00:01:00")
    inspector.source_out.setText("00:00:00:12")  # half a second of media: a quarter second at 2x
    inspector.apply()
    assert inspector.error.isHidden(), inspector.error.text()
    assert spans(editor, "V1")[1] == spans(editor, "A1")[1] == (2.0, 2.25, 0.0)
    assert inspector.source_out.text() == "00:00:00:12"


def test_speed_2x_halves_the_clip_and_its_sound_in_one_undo_step(inspected):
    from studio.project.clip_props import clip_speed

    editor, inspector = inspected
    before = editor.timeline().to_json_string()
    select_only(editor, clip_items(editor, "V1")[0])
    assert inspector.speed.value() == 100.0 and inspector.speed.isEnabled()
    inspector.speed.setValue(200.0)
    inspector.apply()
    assert inspector.error.isHidden(), inspector.error.text()
    # The same media (in 0, out 1 s) in half the time, picture and linked sound; the next take stays.
    assert spans(editor, "V1") == spans(editor, "A1") == [(0.0, 0.5, 0.0), (2.0, 3.0, 0.0)]
    assert [clip_speed(i.clip) for i in clip_items(editor, "V1") + clip_items(editor, "A1")] == [2.0, 1.0, 2.0, 1.0]
    assert inspector.speed.value() == 200.0 and inspector.source_out.text() == "00:00:01:00"  # still on it
    assert editor.undo_stack().count() == 3  # two inserts, one Apply
    editor.undo_stack().undo()
    assert editor.timeline().to_json_string() == before


def test_a_slower_clip_that_would_cover_the_next_is_refused_unless_overwrite(inspected):
    editor, inspector = inspected
    before = editor.timeline().to_json_string()
    select_only(editor, clip_items(editor, "V1")[0])
    inspector.speed.setValue(40.0)  # 1 s of media at 40 %: 2.5 s, over the take at 2 s
    inspector.apply()
    assert "would cover 'second'" in inspector.error.text() and "overwriting" in inspector.error.text()
    assert editor.timeline().to_json_string() == before
    inspector.overwrite.setChecked(True)
    inspector.apply()
    assert [s[:2] for s in spans(editor, "V1")] == [s[:2] for s in spans(editor, "A1")] == [(0.0, 2.5), (2.5, 3.0)]


def test_a_held_frame_shows_its_hold_and_offers_no_speed(inspected):
    import opentimelineio as otio

    editor, inspector = inspected
    timeline = editor.timeline().deepcopy()
    timeline.tracks[0][0].effects.append(otio.schema.FreezeFrame())  # as an EDL's freeze frame imports
    editor.set_project(editor.project_id, timeline, save_previous=False)
    select_only(editor, clip_items(editor, "V1")[0])
    assert not inspector.speed.isEnabled() and inspector.speed.text() == "Held frame"
    inspector.gain.setValue(-6.0)
    inspector.apply()  # other fields still apply; the hold stays
    assert inspector.error.isHidden() and spans(editor, "V1")[0] == (0.0, 1.0, 0.0)
    select_only(editor, clip_items(editor, "V1")[1])
    assert inspector.speed.isEnabled() and inspector.speed.text() == "100.0 %"
