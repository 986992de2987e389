"""The Program monitor: transport keys on the timeline, a ruler click shows the frame, the
monitor follows edits, and one timecode everywhere."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from window_helpers import open_window, tiny_recipe

from studio.media.encode import write_clip
from studio.ui.tasks import wait_for_tasks
from studio.ui.timeline.timescale import timecode

WAIT_MS = 30_000


@pytest.mark.parametrize("fps", [24.0, 25.0, 30.0])
def test_timecode_names_the_frame_on_screen_as_the_player_counts_it(fps: float) -> None:
    # The timeline rounded to the nearest frame while the Preview counted the frame that started last,
    # so 0.7 of a frame in they disagreed by one.
    for k in (0, 5, 23):
        assert timecode((k + 0.7) / fps, fps).endswith(f":{k:02d}")
        assert timecode(k / fps, fps).endswith(f":{k:02d}")  # exactly on a frame (k / fps in floats)


@pytest.fixture
def window(qtbot, lib, tmp_path):
    win = open_window(qtbot, lib, start_engine=False)
    qtbot.waitUntil(lambda: win.project_id is not None, timeout=WAIT_MS)
    takes = []
    for shade in (60, 180):
        recipe = tiny_recipe(f"shade {shade}")
        take = lib.create_take(recipe)
        clip = write_clip(np.full((8, 32, 32, 3), shade, np.uint8), None, 8.0, 48000, tmp_path / f"{shade}.mp4")
        takes.append(lib.complete_take(take.id, clip, recipe=recipe, timings={}).id)
    win.test_takes = takes
    yield win
    win.shutdown()
    wait_for_tasks()


def test_space_on_the_timeline_plays_the_edit_and_k_stops_it(qtbot, window):
    # Before, Space did nothing on the timeline: the transport keys acted only on the focused Preview.
    assert window.timeline.insert_take(window.test_takes[0], 0.0)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    view = window.timeline.view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.monitors.program.player.playing, timeout=WAIT_MS)
    qtbot.keyClick(view, Qt.Key.Key_K)
    qtbot.waitUntil(lambda: not window.monitors.program.player.playing, timeout=WAIT_MS)
    qtbot.keyClick(view, Qt.Key.Key_End)
    qtbot.waitUntil(lambda: window.monitors.program.player.position > 0.8, timeout=WAIT_MS)
    qtbot.keyClick(view, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: window.monitors.program.player.position == 0.0, timeout=WAIT_MS)


def test_a_ruler_click_shows_that_frame_and_the_monitor_follows_edits(qtbot, window):
    first, second = window.test_takes
    assert window.timeline.insert_take(first, 0.0)
    window.timeline.ruler.scrubbed.emit(0.5)  # a click on the ruler
    qtbot.waitUntil(lambda: window.monitors.program.showing_timeline and abs(window.monitors.program.player.position - 0.5) < 1e-6,
                    timeout=WAIT_MS)
    assert window.monitors.program.player.duration == pytest.approx(1.0)
    assert window.timeline.insert_take(second, 1.0)  # the monitor reloads the edit, in place
    qtbot.waitUntil(lambda: window.monitors.program.player.duration == pytest.approx(2.0), timeout=WAIT_MS)
    assert abs(window.monitors.program.player.position - 0.5) < 1e-6
    # One timecode: the timeline's label and the monitor's name the same frame.
    assert window.monitors.program.transport.timecode.text().startswith(window.timeline._time_label.text())
    assert window.timeline._time_label.text() == timecode(0.5, window.timeline.ruler.fps)


def test_inspector_shows_the_selected_clip_and_applies_its_sound_as_one_undoable_edit(qtbot, window):
    from studio.project.clip_props import sound_props
    from studio.project.timeline import kinora_data

    assert window.timeline.insert_take(window.test_takes[0], 0.0)
    item = window.timeline.view.clip_items[0]
    item.setSelected(True)
    qtbot.waitUntil(window.clip_inspector.isVisible, timeout=WAIT_MS)
    assert window.clip_inspector.place.text().startswith("V1, 00:00:00:00")
    window.clip_inspector.gain.setValue(-6.0)
    window.clip_inspector.fade_in.setValue(0.25)
    window.clip_inspector.keys.setText("0:0, 0.5:-12")
    window.clip_inspector.text.setText("Day one")
    window.clip_inspector.apply()
    clips = window.timeline.timeline().find_clips()
    assert kinora_data(clips[0])["text"] == "Day one" and kinora_data(clips[0])["text_position"] == "bottom"
    assert all(sound_props(kinora_data(c)).gain_db == -6.0 for c in clips)
    assert sound_props(kinora_data(clips[0])).volume_keys == ((0.0, 0.0), (0.5, -12.0))
    window.clip_inspector.keys.setText("soon:-6")  # a bad key is named, nothing changes
    window.clip_inspector.apply()
    assert "1.5:-6" in window.clip_inspector.error.text()
    window.timeline.undo_stack().undo()
    assert all(sound_props(kinora_data(c)).neutral and "text" not in kinora_data(c)
               for c in window.timeline.timeline().find_clips())


def test_the_offline_notice_names_a_take_once_though_its_picture_and_sound_are_both_offline():
    # Seen as a user: deleting a take on V1 and A1 read "Bars and tone, Bars and tone" (one name per clip).
    from studio.ui.player.preview import offline_notice

    notice = offline_notice(["Bars and tone", "Bars and tone", "Countdown", "a", "b"])
    assert "Bars and tone, Countdown, a and 1 more" in notice
    assert notice.count("Bars and tone") == 1
