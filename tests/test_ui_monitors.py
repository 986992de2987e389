"""The Source and Program monitors (studio/ui/monitors.py): a library take plays in Source without touching
Program, Program follows the edit, the transport keys act where the focus is, and the Playback menu acts
on the active monitor. Offscreen, tiny one-colour clips, the silent wall clock where there is no sound card."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from window_helpers import drop_on_track, open_window, tiny_recipe

from studio.media.encode import write_clip
from studio.project.timeline import kinora_data
from studio.ui.library.query import describe_take
from studio.ui.monitors import Monitor
from studio.ui.player import video_surface
from studio.ui.tasks import wait_for_tasks

WAIT_MS = 30_000


@pytest.fixture
def window(qtbot, lib, tmp_path):
    win = open_window(qtbot, lib, start_engine=False)
    qtbot.waitUntil(lambda: win.project_id is not None, timeout=WAIT_MS)
    takes = []
    for shade in (40, 200):  # 1 s each at 8 fps, one grey level, so a picture says which take it is
        recipe = tiny_recipe(f"shade {shade}")
        take = lib.create_take(recipe)
        clip = write_clip(np.full((8, 32, 32, 3), shade, np.uint8), None, 8.0, 48000, tmp_path / f"{shade}.mp4")
        takes.append(lib.complete_take(take.id, clip, recipe=recipe, timings={}).id)
    win.test_takes = takes
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)
    yield win
    win.shutdown()
    wait_for_tasks()


def shade_of(player) -> float | None:
    """The mean grey level of the picture the player has up now (None before its first picture)."""
    frame = player.player.current_frame()
    return None if frame is None else float(frame.image.mean())


def near(value: float | None, shade: int) -> bool:
    return value is not None and abs(value - shade) < 12  # H.264 moves a flat grey by a few levels


def program_at(qtbot, window, t: float, shade: int) -> None:
    program = window.monitors.program
    qtbot.waitUntil(lambda: program.showing_timeline and abs(program.player.position - t) < 1e-6
                    and near(shade_of(program), shade), timeout=WAIT_MS)


def test_playing_a_take_shows_it_in_source_and_leaves_program_on_the_edit(qtbot, window, lib):
    dark, light = window.test_takes
    assert window.timeline.insert_take(light, 0.0)
    window.timeline.ruler.scrubbed.emit(0.5)  # Program shows the edit at 0.5 s: the light take
    program_at(qtbot, window, 0.5, 200)
    program_duration = window.monitors.program.player.duration

    window.monitors.play_take(describe_take(lib, lib.take(dark)))
    source = window.monitors.source
    qtbot.waitUntil(lambda: source.player.playing and near(shade_of(source), 40), timeout=WAIT_MS)
    assert not source.showing_timeline and window.monitors.active == Monitor.SOURCE
    assert window.docks["source"].isVisible()
    # Before, one Preview did both: playing a take replaced the edit in it.
    program = window.monitors.program
    assert program.showing_timeline and program.player.duration == program_duration
    assert abs(program.player.position - 0.5) < 1e-6 and near(shade_of(program), 200)
    assert not program.player.playing


def test_an_edit_reloads_program_in_place(qtbot, window):
    dark, light = window.test_takes
    assert window.timeline.insert_take(dark, 0.0)
    qtbot.waitUntil(lambda: window.monitors.program.showing_timeline, timeout=WAIT_MS)  # no click needed
    window.timeline.ruler.scrubbed.emit(0.25)
    program_at(qtbot, window, 0.25, 40)
    assert window.timeline.insert_take(light, 0.0)  # pushes the dark take later: light is at 0.25 now
    program = window.monitors.program
    qtbot.waitUntil(lambda: program.player.duration == pytest.approx(2.0), timeout=WAIT_MS)
    program_at(qtbot, window, 0.25, 200)


def test_space_on_the_timeline_plays_program_and_space_in_source_plays_source(qtbot, window, lib):
    dark, light = window.test_takes
    assert window.timeline.insert_take(light, 0.0)
    monitors = window.monitors
    monitors.source.load_file(describe_take(lib, lib.take(dark)).media_path)
    qtbot.waitUntil(lambda: monitors.source.player.source is not None, timeout=WAIT_MS)

    view = window.timeline.view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: monitors.program.player.playing, timeout=WAIT_MS)
    assert monitors.active == Monitor.PROGRAM and not monitors.source.player.playing

    monitors.source.setFocus()
    qtbot.waitUntil(lambda: monitors.active == Monitor.SOURCE, timeout=WAIT_MS)
    qtbot.keyClick(monitors.source, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: monitors.source.player.playing, timeout=WAIT_MS)
    assert not monitors.program.player.playing  # one monitor plays at a time
    qtbot.keyClick(monitors.source, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not monitors.source.player.playing, timeout=WAIT_MS)
    assert not monitors.program.player.playing


def test_a_ruler_click_shows_that_frame_in_program_not_in_source(qtbot, window, lib):
    dark, light = window.test_takes
    assert window.timeline.insert_take(dark, 0.0)
    assert window.timeline.insert_take(light, 1.0)
    window.monitors.play_take(describe_take(lib, lib.take(dark)))
    qtbot.waitUntil(lambda: window.monitors.source.player.playing, timeout=WAIT_MS)
    window.monitors.source.pause()
    source_at = window.monitors.source.player.position
    window.timeline.ruler.scrubbed.emit(1.5)
    program_at(qtbot, window, 1.5, 200)
    assert window.monitors.active == Monitor.PROGRAM  # the Playback menu now drives what was clicked
    window.timeline.ruler.scrubbed.emit(0.5)
    program_at(qtbot, window, 0.5, 40)
    assert window.monitors.source.player.position == source_at
    assert window.monitors.program.transport.timecode.text().startswith(window.timeline._time_label.text())


def test_the_playback_menu_drives_the_active_monitor(qtbot, window, lib):
    dark, _ = window.test_takes
    assert window.timeline.insert_take(dark, 0.0)
    monitors, actions = window.monitors, window.actions
    window.monitors.play_take(describe_take(lib, lib.take(dark)))
    qtbot.waitUntil(lambda: monitors.source.player.playing, timeout=WAIT_MS)
    actions["play.play"].trigger()  # Source is active: the menu pauses it
    qtbot.waitUntil(lambda: not monitors.source.player.playing, timeout=WAIT_MS)
    actions["play.loop"].trigger()  # checkable: the menu's check is the active monitor's
    assert monitors.source.transport_actions_by_name()["loop"].isChecked()
    assert not monitors.program.transport_actions_by_name()["loop"].isChecked()

    actions["play.program_monitor"].trigger()  # Ctrl+Alt+2: Program is active, its keys act
    assert monitors.active == Monitor.PROGRAM and window.docks["program"].isVisible()
    assert not actions["play.loop"].isChecked()
    actions["play.play"].trigger()
    qtbot.waitUntil(lambda: monitors.program.player.playing, timeout=WAIT_MS)
    assert not monitors.source.player.playing
    actions["play.source_monitor"].trigger()
    assert monitors.active == Monitor.SOURCE and actions["play.loop"].isChecked()


def test_the_transport_on_an_empty_timeline_says_so_and_program_keeps_its_placeholder(qtbot, window):
    window.timeline.view.setFocus()
    qtbot.keyClick(window.timeline.view, Qt.Key.Key_Space)
    assert any("timeline is empty" in text for text, error in window.messages if error)
    assert not window.monitors.program.showing_timeline
    assert window.monitors.program.current_image() is None  # the hint, not a black picture


def test_the_default_layout_fits_a_1440_by_900_screen(window):
    window.reset_layout()
    hint = window.minimumSizeHint()
    assert hint.width() <= 1440 and hint.height() <= 900, hint
    assert not window.docks["source"].isHidden() and not window.docks["program"].isHidden()


def test_a_sound_file_plays_in_source_with_its_waveform(qtbot, window, corpus):
    source = window.monitors.source
    window.monitors.play_file(corpus / "audio" / "bear.opus")
    qtbot.waitUntil(lambda: source.player.playing and source.player.current_frame() is not None, timeout=WAIT_MS)
    picture = source.player.current_frame().image
    assert ((picture[..., 1] > 150) & (picture[..., 0] < 120)).sum() > 500  # the waveform, not black
    assert not window.monitors.program.showing_timeline  # an empty timeline: Program keeps its hint


def video_layout(window) -> list[tuple[int, float, float]]:
    """(take id, start, end) of each clip on V1, in order."""
    track = window.timeline.timeline().video_tracks()[0]
    return [(kinora_data(c)["take_id"], round(c.range_in_parent().start_time.to_seconds(), 3),
             round(c.range_in_parent().end_time_exclusive().to_seconds(), 3)) for c in track.find_clips()]


def test_the_source_take_goes_onto_the_timeline_by_append_insert_and_overwrite(qtbot, window, lib):
    dark, light = window.test_takes
    assert window.timeline.insert_take(light, 0.0)
    window.timeline.ruler.scrubbed.emit(0.0)
    window.monitors.play_take(describe_take(lib, lib.take(dark)))
    source = window.monitors.source
    qtbot.waitUntil(lambda: source.player.playing, timeout=WAIT_MS)
    source.setFocus()
    qtbot.keyClick(source, Qt.Key.Key_V)  # Insert at the playhead (0): the light take moves right
    qtbot.waitUntil(lambda: video_layout(window) == [(dark, 0.0, 1.0), (light, 1.0, 2.0)], timeout=WAIT_MS)
    window.actions["source.append"].trigger()  # the menu's Append: after the end of the edit
    qtbot.waitUntil(lambda: video_layout(window)[-1] == (dark, 2.0, 3.0), timeout=WAIT_MS)
    window.timeline.ruler.scrubbed.emit(1.0)
    window.actions["source.overwrite"].trigger()  # covers the light take, nothing moves
    qtbot.waitUntil(lambda: video_layout(window) == [(dark, 0.0, 1.0), (dark, 1.0, 2.0), (dark, 2.0, 3.0)],
                    timeout=WAIT_MS)
    window.monitors.play_file(describe_take(lib, lib.take(light)).media_path)  # a file, not a take
    window.actions["source.insert"].trigger()
    assert any("Source monitor first" in text for text, error in window.messages if error)


def test_source_in_and_out_put_only_that_part_of_the_take_on_the_timeline(qtbot, window, lib):
    dark, light = window.test_takes
    assert window.timeline.insert_take(light, 0.0)
    window.timeline.ruler.scrubbed.emit(1.0)
    monitors = window.monitors
    monitors.play_take(describe_take(lib, lib.take(dark)))
    source = monitors.source
    qtbot.waitUntil(lambda: source.player.playing, timeout=WAIT_MS)
    source.pause()
    source.setFocus()
    source.seek(0.25)  # frame 2 of 8
    qtbot.keyClick(source, Qt.Key.Key_I)
    source.seek(0.75)  # frame 6: Out includes it, so the part is frames 2..6
    qtbot.keyClick(source, Qt.Key.Key_O)
    assert monitors.source_marks == (0.25, 0.875)
    assert "In 00:00:00:02" in monitors._marks_label.text() and "Out 00:00:00:06" in monitors._marks_label.text()
    qtbot.keyClick(source, Qt.Key.Key_V)
    qtbot.waitUntil(lambda: video_layout(window) == [(light, 0.0, 1.0), (dark, 1.0, 1.625)], timeout=WAIT_MS)
    placed = window.timeline.timeline().video_tracks()[0].find_clips()[1]
    assert placed.source_range.start_time.to_seconds() == 0.25  # from the In mark, not the take's start
    audio = [c for c in window.timeline.timeline().audio_tracks()[0].find_clips() if kinora_data(c)["take_id"] == dark]
    assert audio[0].source_range == placed.source_range  # the sound is cut the same
    qtbot.keyClick(source, Qt.Key.Key_X, Qt.KeyboardModifier.AltModifier)
    assert monitors.source_marks == (None, None) and monitors._marks_label.isHidden()
    qtbot.keyClick(source, Qt.Key.Key_O)
    assert monitors.source_marks == (None, 0.875)
    monitors.play_take(describe_take(lib, lib.take(light)))  # marks belong to the take they were set on
    assert monitors.source_marks == (None, None)


def files_held_open(path) -> list[str]:
    """What this process holds open at `path` (Linux: /proc/self/fd; a deleted file reads "path (deleted)")."""
    held = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith(str(path)):
            held.append(target)
    return held


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads open files from /proc")
def test_deleting_the_take_shown_in_source_unloads_it(qtbot, window, lib):
    # Before, Source kept playing the deleted take from its still-open file, and A/V/B could put it back.
    dark, _light = window.test_takes
    path = describe_take(lib, lib.take(dark)).media_path
    monitors = window.monitors
    monitors.play_take(describe_take(lib, lib.take(dark)))
    source = monitors.source
    qtbot.waitUntil(lambda: source.player.playing and near(shade_of(source), 40), timeout=WAIT_MS)
    assert files_held_open(path)
    report = lib.delete_take(dark)  # what the library panel does on a worker thread, then it tells the window
    assert report.file_deleted
    window.library_panel.take_deleted.emit(report)
    assert not source.player.playing and source.player.source is None and source.current_image() is None
    assert f"Take {dark} was deleted" in source.surface.placeholder
    assert monitors.source_take is None
    qtbot.waitUntil(lambda: not files_held_open(path), timeout=WAIT_MS)  # the decode thread closed it
    qtbot.wait(200)
    assert source.player.current_frame() is None and not source.player.playing  # nothing comes back
    window.actions["source.insert"].trigger()
    assert any("Source monitor first" in text for text, error in window.messages if error)


def test_deleting_another_take_leaves_source_playing(qtbot, window, lib):
    dark, light = window.test_takes
    window.monitors.play_take(describe_take(lib, lib.take(dark)))
    source = window.monitors.source
    qtbot.waitUntil(lambda: source.player.playing, timeout=WAIT_MS)
    window.library_panel.take_deleted.emit(lib.delete_take(light))
    assert source.player.playing and window.monitors.source_take == dark


class RecordedDrag:
    """Stands in for QDrag (whose exec() waits for a real pointer): keeps what a drag started with."""

    started: list[RecordedDrag] = []

    def __init__(self, source) -> None:
        self.source = source
        self.mime = None
        self.pixmap = None

    def setMimeData(self, mime) -> None:
        self.mime = mime

    def setPixmap(self, pixmap) -> None:
        self.pixmap = pixmap

    def setHotSpot(self, _point) -> None:
        pass

    def exec(self, action):
        RecordedDrag.started.append(self)
        return action


def drag_picture(widget) -> None:
    """Press on the middle of `widget` and move 40 px with the button held, as a hand starts a drag."""
    middle = QPointF(widget.width() / 2, widget.height() / 2)
    for kind, pos, buttons in ((QMouseEvent.Type.MouseButtonPress, middle, Qt.MouseButton.LeftButton),
                               (QMouseEvent.Type.MouseMove, middle + QPointF(40, 0), Qt.MouseButton.LeftButton),
                               (QMouseEvent.Type.MouseButtonRelease, middle + QPointF(40, 0), Qt.MouseButton.NoButton)):
        QApplication.sendEvent(widget, QMouseEvent(kind, pos, QPointF(widget.mapToGlobal(pos.toPoint())),
                                                   Qt.MouseButton.LeftButton, buttons, Qt.KeyboardModifier.NoModifier))


def test_dragging_the_source_picture_onto_the_timeline_drops_its_marked_part_where_it_lands(
        qtbot, window, lib, monkeypatch):
    # Before, Source's take reached the timeline only through A/V/B at the playhead: its picture did not drag.
    monkeypatch.setattr(video_surface, "QDrag", RecordedDrag)
    RecordedDrag.started = []
    dark, light = window.test_takes
    assert window.timeline.insert_take(light, 0.0)
    monitors = window.monitors
    source = monitors.source
    drag_picture(source.surface)
    assert RecordedDrag.started == []  # nothing in Source: nothing to drag
    monitors.play_take(describe_take(lib, lib.take(dark)))
    qtbot.waitUntil(lambda: source.player.playing and source.current_image() is not None, timeout=WAIT_MS)
    source.pause()
    source.setFocus()
    source.seek(0.25)
    qtbot.keyClick(source, Qt.Key.Key_I)
    source.seek(0.75)
    qtbot.keyClick(source, Qt.Key.Key_O)  # frames 2..6: 0.625 s
    drag_picture(source.surface)
    assert len(RecordedDrag.started) == 1
    drag = RecordedDrag.started[0]
    assert drag.source is source.surface and drag.pixmap is not None and not drag.pixmap.isNull()
    # Released past the light take's end: the timeline's own drop path places it there (it snaps to the end).
    drop_on_track(window.timeline.view, drag.mime, 1.02, "V1")
    qtbot.waitUntil(lambda: video_layout(window) == [(light, 0.0, 1.0), (dark, 1.0, 1.625)], timeout=WAIT_MS)
    placed = window.timeline.timeline().video_tracks()[0].find_clips()[1]
    assert placed.source_range.start_time.to_seconds() == 0.25
    # With Alt held the drop overwrites: the part covers the start of the light take and nothing moves.
    drop_on_track(window.timeline.view, drag.mime, 0.0, "V1", Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: video_layout(window) == [(dark, 0.0, 0.625), (light, 0.625, 1.0), (dark, 1.0, 1.625)],
                    timeout=WAIT_MS)
    qtbot.keyClick(source, Qt.Key.Key_X, Qt.KeyboardModifier.AltModifier)  # no marks: the whole take drags
    drag_picture(source.surface)
    drop_on_track(window.timeline.view, RecordedDrag.started[-1].mime, 1.625, "V1")
    qtbot.waitUntil(lambda: video_layout(window)[-1] == (dark, 1.625, 2.625), timeout=WAIT_MS)
