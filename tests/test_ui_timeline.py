"""The timeline editor: edits through the undo stack, drops, waveform alignment, autosave/recovery."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from PySide6.QtCore import QByteArray, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QToolButton
from window_helpers import drop_on_track

from studio.library import Library
from studio.media.encode import write_clip
from studio.project import edit_plans as edits
from studio.project.timeline import find_track
from studio.recipe import Recipe
from studio.ui.library.model import TAKE_SPAN_MIME, encode_take_ids
from studio.ui.tasks import wait_for_tasks
from studio.ui.timeline import TimelineEditor, find_recoverable
from studio.ui.timeline.items import ClipItem, WaveformItem
from studio.ui.timeline.view import MoveRequest, TrimRequest

FPS = 24


def make_media(path: Path, seconds: float, hz: float) -> Path:
    """A tiny 64x64 clip whose picture brightens and whose tone swells, so both are visible."""
    n = int(seconds * FPS)
    frames = np.zeros((n, 64, 64, 3), np.uint8)
    frames[..., 0] = np.linspace(20, 230, n, dtype=np.uint8)[:, None, None]
    t = np.arange(int(seconds * 48000)) / 48000
    tone = (0.8 * (t / seconds) * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    return write_clip(frames, np.stack([tone, tone], axis=1), FPS, 48000, path)


def generated_take(lib: Library, tmp: Path, prompt: str, seconds: float, hz: float) -> int:
    recipe = Recipe(prompt=prompt, seconds=seconds, width=64, height=64)
    take = lib.create_take(recipe)
    return lib.complete_take(take.id, make_media(tmp / f"{prompt}.mp4", seconds, hz), recipe=recipe,
                             timings={"total": 0.1}).id


@pytest.fixture
def editor(qtbot, lib: Library):
    widget = TimelineEditor(lib)
    qtbot.addWidget(widget)
    widget.resize(900, 320)
    project = lib.create_project("Test edit")
    widget.set_project(project.id)
    yield widget
    wait_for_tasks()  # filmstrips and waveforms still being made must not outlive the test


def clip_items(editor: TimelineEditor, track: str) -> list[ClipItem]:
    index = [t.name for t in editor.timeline().tracks].index(track)
    return sorted((i for i in editor.view.clip_items if i.ref.track_index == index), key=lambda i: i.ref.start)


def select_only(editor: TimelineEditor, item: ClipItem) -> None:
    editor.view.scene().clearSelection()
    item.setSelected(True)


def test_edits_then_undo_all_restore_the_first_timeline_exactly(editor, lib, tmp_path):
    first = editor.timeline().to_json_string()
    one = generated_take(lib, tmp_path, "one", 1.0, 440)
    two = generated_take(lib, tmp_path, "two", 1.5, 660)
    assert editor.insert_take(one, 0.0)
    assert editor.insert_take(two, 1.0)
    assert [i.ref.duration for i in clip_items(editor, "V1")] == pytest.approx([1.0, 1.5])

    editor.set_playhead(0.5)
    assert editor.split_at_playhead()
    assert len(clip_items(editor, "V1")) == 3 and len(clip_items(editor, "A1")) == 3

    last = clip_items(editor, "V1")[-1]
    editor.view.trimRequested.emit(TrimRequest((last.ref,), "tail", -0.5))  # as a handle drag ends
    assert clip_items(editor, "V1")[-1].ref.duration == pytest.approx(1.0)
    assert clip_items(editor, "A1")[-1].ref.duration == pytest.approx(1.5)  # only what was dragged

    select_only(editor, clip_items(editor, "V1")[0])
    assert editor.delete_selected(ripple=True)
    # The linked sound went with the picture, and both tracks closed up.
    assert [i.ref.start for i in clip_items(editor, "V1")] == pytest.approx([0.0, 0.5])
    assert [i.ref.start for i in clip_items(editor, "A1")] == pytest.approx([0.0, 0.5])
    edited = editor.timeline().to_json_string()

    stack = editor.undo_stack()
    assert stack.count() == 5
    while stack.canUndo():
        stack.undo()
    assert editor.timeline().to_json_string() == first
    while stack.canRedo():
        stack.redo()
    assert editor.timeline().to_json_string() == edited


def test_moving_a_clip_moves_its_linked_sound_and_snaps_to_the_playhead(editor, lib, tmp_path):
    take = generated_take(lib, tmp_path, "mover", 1.0, 440)
    editor.insert_take(take, 0.0)
    editor.set_playhead(2.0)
    video = clip_items(editor, "V1")[0]
    viewport = editor.view.viewport()
    start = editor.view.mapFromScene(QPointF(video.x() + video.boundingRect().width() / 2, video.y() + 30))
    # Drag right by 2 s minus a few pixels: the head should snap onto the playhead at 2 s.
    end = start + QPoint(round(editor.view.scale.x(2.0)) - 3, 0)
    QtBotMouse.drag(viewport, start, end)
    assert clip_items(editor, "V1")[0].ref.start == pytest.approx(2.0)
    assert clip_items(editor, "A1")[0].ref.start == pytest.approx(2.0)
    editor.undo_stack().undo()
    assert clip_items(editor, "A1")[0].ref.start == pytest.approx(0.0)


class QtBotMouse:
    """Press, move and release through the view's own handlers, as a hand on the mouse would."""

    @staticmethod
    def send(widget, kind, pos: QPoint, buttons, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
        event = QMouseEvent(kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), Qt.MouseButton.LeftButton,
                            buttons, modifiers)
        QApplication.sendEvent(widget, event)

    @classmethod
    def click(cls, widget, pos: QPoint, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
        cls.send(widget, QMouseEvent.Type.MouseButtonPress, pos, Qt.MouseButton.LeftButton, modifiers)
        cls.send(widget, QMouseEvent.Type.MouseButtonRelease, pos, Qt.MouseButton.NoButton, modifiers)

    @classmethod
    def drag(cls, widget, start: QPoint, end: QPoint) -> None:
        cls.send(widget, QMouseEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton)
        cls.send(widget, QMouseEvent.Type.MouseMove, (start + end) / 2, Qt.MouseButton.LeftButton)
        cls.send(widget, QMouseEvent.Type.MouseMove, end, Qt.MouseButton.LeftButton)
        cls.send(widget, QMouseEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)


def drop(editor: TimelineEditor, mime: QMimeData, x_seconds: float, track: str) -> None:
    drop_on_track(editor.view, mime, x_seconds, track)


def test_dropping_a_media_file_imports_it_and_places_it_where_it_was_dropped(editor, lib, tmp_path, qtbot):
    path = make_media(tmp_path / "desktop clip.mp4", 1.0, 330)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    drop(editor, mime, 2.0, "V1")
    qtbot.waitUntil(lambda: len(clip_items(editor, "V1")) == 1, timeout=10000)
    video, audio = clip_items(editor, "V1")[0], clip_items(editor, "A1")[0]
    # The first clip of an edit starts it (issue 15: the first drop used to leave a gap before it).
    assert video.ref.start == pytest.approx(0.0) and audio.ref.start == pytest.approx(0.0)
    take = lib.take(video.take_id)
    assert take.origin == "imported" and take.title == "desktop clip"
    assert editor.undo_stack().count() == 1
    drop(editor, mime, 2.0, "V1")  # later drops land where they are dropped (the same bytes: the same take)
    qtbot.waitUntil(lambda: len(clip_items(editor, "V1")) == 2, timeout=10000)
    assert clip_items(editor, "V1")[1].ref.start == pytest.approx(2.0)
    assert clip_items(editor, "V1")[1].take_id == video.take_id


def test_dragging_over_the_tracks_shows_a_snapped_insertion_marker(editor, lib, tmp_path):
    # Before, nothing showed where a drop would land until it had landed.
    from PySide6.QtGui import QDragLeaveEvent, QDragMoveEvent

    editor.insert_take(generated_take(lib, tmp_path, "there", 1.0, 440), 0.0)
    row = next(r for r in editor.view.rows if r.name == "V1")
    near_end = editor.view.scale.x(1.0) + 2  # two pixels past the clip's end: snaps onto it
    pos = editor.view.mapFromScene(QPointF(near_end, row.y + row.height / 2))
    mime = encode_take_ids([1])  # held: the event does not own it
    move = QDragMoveEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                          Qt.KeyboardModifier.NoModifier)
    editor.view.dragMoveEvent(move)
    assert editor.view.drop_marker == pytest.approx(1.0)
    editor.view.dragLeaveEvent(QDragLeaveEvent())
    assert editor.view.drop_marker is None


def test_a_drop_keeps_other_tracks_in_sync_and_alt_overwrites(editor, lib, tmp_path, qtbot):
    # Before, dropping onto a clip pushed V1 and A1 later but left A2 where it was: out of sync.
    first = generated_take(lib, tmp_path, "first", 2.0, 440)
    music = generated_take(lib, tmp_path, "music", 1.0, 220)
    editor.insert_take(first, 0.0)
    editor.add_track("audio")
    a2 = len(editor.timeline().tracks) - 1
    editor.insert_take(music, 1.0, track_index=a2)  # its picture goes on V1, its sound on A2
    inserted = generated_take(lib, tmp_path, "inserted", 0.5, 550)
    editor.insert_takes([inserted], 0.5, 0)
    qtbot.waitUntil(lambda: any(i.take_id == inserted for i in clip_items(editor, "V1")), timeout=10_000)
    assert [(i.take_id, i.ref.start) for i in clip_items(editor, "A2")] == [(music, pytest.approx(1.5))]
    over = generated_take(lib, tmp_path, "over", 0.5, 660)
    editor.insert_takes([over], 0.0, 0, overwrite=True)
    qtbot.waitUntil(lambda: any(i.take_id == over for i in clip_items(editor, "V1")), timeout=10_000)
    assert [(i.take_id, i.ref.start) for i in clip_items(editor, "A2")] == [(music, pytest.approx(1.5))]
    assert clip_items(editor, "V1")[0].take_id == over and clip_items(editor, "V1")[1].ref.start == pytest.approx(0.5)


def test_dropping_takes_from_the_library_inserts_them_in_order(editor, lib, tmp_path, qtbot):
    first = generated_take(lib, tmp_path, "dragged", 1.0, 440)
    second = generated_take(lib, tmp_path, "along", 0.5, 550)
    drop(editor, encode_take_ids([first, second]), 0.0, "A1")
    # The takes are read from the library on a worker thread; the edit lands when they are ready.
    qtbot.waitUntil(lambda: len(clip_items(editor, "V1")) == 2, timeout=10_000)
    assert [(i.take_id, i.ref.start) for i in clip_items(editor, "V1")] == [(first, 0.0), (second, 1.0)]
    assert [(i.take_id, i.ref.start) for i in clip_items(editor, "A1")] == [(first, 0.0), (second, 1.0)]


def test_a_drop_carrying_a_span_places_only_that_part_of_the_take(editor, lib, tmp_path, qtbot):
    # Before, a drop always placed whole takes: the Source monitor's In/Out could not travel with a drag.
    take = generated_take(lib, tmp_path, "long", 2.0, 440)
    drop(editor, encode_take_ids([take], span=(0.5, 1.25)), 0.0, "V1")
    qtbot.waitUntil(lambda: len(clip_items(editor, "V1")) == 1, timeout=10_000)
    for track in ("V1", "A1"):
        item = clip_items(editor, track)[0]
        assert (item.ref.start, item.ref.duration, item.ref.source_start) == pytest.approx((0.0, 0.75, 0.5))
    garbled = encode_take_ids([take])
    garbled.setData(TAKE_SPAN_MIME, QByteArray(b"1.0 nan"))  # not a span: the whole take, never a wrong cut
    drop(editor, garbled, 0.75, "V1")
    qtbot.waitUntil(lambda: len(clip_items(editor, "V1")) == 2, timeout=10_000)
    assert clip_items(editor, "V1")[1].ref.duration == pytest.approx(2.0)


def waveform_of(item: ClipItem) -> WaveformItem:
    assert isinstance(item.content, WaveformItem)
    return item.content


def test_waveform_items_cover_exactly_their_clip_range_after_a_trim(editor, lib, tmp_path):
    take = generated_take(lib, tmp_path, "wave", 2.0, 440)
    editor.insert_take(take, 0.5)
    audio = clip_items(editor, "A1")[0]
    editor.view.trimRequested.emit(TrimRequest((audio.ref,), "head", 0.25))
    editor.view.trimRequested.emit(TrimRequest((clip_items(editor, "A1")[0].ref,), "tail", -0.5))
    for pps in (7.0, 60.0, 900.0):  # every zoom level
        editor.view.set_pixels_per_second(pps)
        scale = editor.view.scale
        track = find_track(editor.timeline(), "A1")
        for item in clip_items(editor, "A1"):
            clip = track[item.ref.clip_index]
            span = track.range_of_child_at_index(item.ref.clip_index)
            rect = waveform_of(item).sceneBoundingRect()
            assert rect.left() == pytest.approx(scale.x(span.start_time.to_seconds()))
            assert rect.right() == pytest.approx(scale.x(span.end_time_exclusive().to_seconds()))
            source = clip.trimmed_range()
            assert waveform_of(item).source_span() == pytest.approx(
                (source.start_time.to_seconds(), source.end_time_exclusive().to_seconds()))
    assert clip_items(editor, "A1")[0].ref.start == pytest.approx(0.75)
    assert waveform_of(clip_items(editor, "A1")[0]).source_span() == pytest.approx((0.25, 1.5))


def test_an_edit_is_written_into_the_project_a_moment_later_and_a_crash_loses_nothing(qtbot, tmp_path):
    # The studio now saves the project itself (issue 15): what was an autosave snapshot offered back
    # after a crash is the project's own edit, so the CLI and the API see what was on screen.
    folder = tmp_path / "crashy"
    lib = Library.open(folder)
    editor = TimelineEditor(lib)
    qtbot.addWidget(editor)
    editor.autosave.timer.setInterval(50)
    project = lib.create_project("Crashy")
    editor.set_project(project.id)
    take = generated_take(lib, tmp_path, "kept", 1.0, 440)
    editor.insert_take(take, 0.0)
    edited = editor.timeline().to_json_string()
    qtbot.waitUntil(lambda: lib.load_timeline(project.id).to_json_string() == edited, timeout=5000)
    qtbot.waitUntil(editor.undo_stack().isClean, timeout=5000)
    editor.autosave.timer.stop()
    wait_for_tasks()
    lib.close()  # the studio dies: no clean close of the editor

    reopened = Library.open(folder)
    try:
        assert reopened.load_timeline(project.id).to_json_string() == edited
        assert find_recoverable(reopened) == []
    finally:
        reopened.close()


def test_swapping_in_another_take_is_undoable_and_keeps_both_takes(editor, lib, tmp_path, qtbot):
    first = generated_take(lib, tmp_path, "first", 1.0, 440)
    second = generated_take(lib, tmp_path, "second", 1.5, 880)
    editor.insert_take(first, 0.0)
    before = editor.timeline().to_json_string()
    video = clip_items(editor, "V1")[0]
    editor.add_alternate_take(video.clip, second)  # the take is read on a worker thread
    qtbot.waitUntil(lambda: clip_items(editor, "V1")[0].take_id == second)
    video, audio = clip_items(editor, "V1")[0], clip_items(editor, "A1")[0]
    assert video.take_id == second and audio.take_id == second
    assert video.link == audio.link and video.link is not None
    assert video.ref.duration == pytest.approx(1.0)  # the cut keeps its length
    data = video.clip.metadata["kinora"]
    assert list(data["takes"]) == [first, second]
    editor.swap_to_take(video.clip, first)
    qtbot.waitUntil(lambda: clip_items(editor, "V1")[0].take_id == first)
    editor.undo_stack().undo()
    editor.undo_stack().undo()
    assert editor.timeline().to_json_string() == before


def test_a_locked_track_keeps_its_clips_while_the_rest_is_edited(editor, lib, tmp_path):
    editor.insert_take(generated_take(lib, tmp_path, "locked", 1.0, 440), 0.0)
    assert editor.set_track_flag("V1", "lock", True)
    video = clip_items(editor, "V1")[0]
    assert not video.flags() & video.GraphicsItemFlag.ItemIsSelectable
    errors = []
    editor.errorOccurred.connect(errors.append)
    assert not editor.run_edit("Delete", edits.plan_delete([video.clip], ripple=False))
    assert "locked" in errors[-1]
    assert not editor.insert_take(video.take_id, 3.0)  # nothing lands on a locked track
    assert "locked" in errors[-1] and len(clip_items(editor, "A1")) == 1
    select_only(editor, clip_items(editor, "A1")[0])
    assert editor.delete_selected()  # the linked sound goes; the locked picture stays
    assert len(clip_items(editor, "V1")) == 1 and clip_items(editor, "A1") == []
    editor.undo_stack().undo()
    editor.undo_stack().undo()
    assert "kinora" not in find_track(editor.timeline(), "V1").metadata  # exactly as before


def test_remix_menu_asks_for_a_retake_of_the_marked_range(editor, lib, tmp_path, qtbot):
    take = generated_take(lib, tmp_path, "remix me", 2.0, 440)
    editor.insert_take(take, 1.0)
    editor.set_mark_in(1.5)
    editor.set_mark_out(2.25)
    menu = editor.context_menu(clip_items(editor, "V1")[0])
    retake = next(a for a in menu.actions() if a.text().startswith("Retake"))
    with qtbot.waitSignal(editor.remixRequested) as signal:
        retake.trigger()
    assert signal.args[:2] == [take, "retake"]
    assert signal.args[2:] == pytest.approx([0.5, 1.25])  # in the take's own time


def test_rebuilding_items_does_not_touch_the_timeline(editor, lib, tmp_path):
    editor.insert_take(generated_take(lib, tmp_path, "zoom", 1.0, 440), 0.0)
    before = editor.timeline().to_json_string()
    editor.view.zoom_to_fit()
    editor.view.zoom(4.0)
    assert editor.timeline().to_json_string() == before
    assert isinstance(editor.timeline(), otio.schema.Timeline)


def test_an_hour_long_clip_queries_peaks_only_for_the_visible_columns(editor, lib, tmp_path, qtbot):
    path = make_media(tmp_path / "short.mp4", 1.0, 440)
    hour = otio.opentime.TimeRange(otio.opentime.RationalTime(0, FPS), otio.opentime.RationalTime(3600 * FPS, FPS))
    clip = otio.schema.Clip(name="an hour", source_range=hour,
                            media_reference=otio.schema.ExternalReference(path.as_uri(), hour))
    assert editor.run_edit("Add", edits.plan_insert(None, clip, 0.0, None, "A1"))
    item = clip_items(editor, "A1")[0]
    qtbot.waitUntil(lambda: editor.catalog.waveform_ready(item.media), timeout=10000)
    calls = []
    real_peaks = editor.catalog.peaks

    def spy(media, t0, t1, width):
        calls.append((t0, t1, width))
        return real_peaks(media, t0, t1, width)

    editor.catalog.peaks = spy
    editor.show()
    qtbot.waitExposed(editor)
    editor.view.set_pixels_per_second(100.0)  # the clip is 360,000 px wide
    editor.view.horizontalScrollBar().setValue(round(editor.view.scale.x(1800.0)))
    calls.clear()
    editor.view.viewport().grab()  # paints the viewport as the screen would
    visible_t0, visible_t1 = editor.view.visible_span()
    assert calls
    for t0, t1, width in calls:
        assert width <= editor.view.viewport().width() + 2
        assert visible_t0 - 0.05 <= t0 < t1 <= visible_t1 + 0.05


def test_editing_keys_split_delete_mark_and_toggle_snapping(editor, lib, tmp_path, qtbot):
    editor.insert_take(generated_take(lib, tmp_path, "keys", 2.0, 440), 0.0)
    editor.show()
    qtbot.waitExposed(editor)
    editor.windowHandle().requestActivate()  # shortcuts go to the active window's focused widget
    qtbot.waitUntil(editor.isActiveWindow)
    editor.view.setFocus()
    editor.set_playhead(1.0)
    qtbot.keyClick(editor.view, Qt.Key.Key_S)
    assert len(clip_items(editor, "V1")) == 2
    qtbot.keyClick(editor.view, Qt.Key.Key_I)
    editor.set_playhead(1.5)
    qtbot.keyClick(editor.view, Qt.Key.Key_O)
    assert editor.marks() == (1.0, 1.5)
    qtbot.keyClick(editor.view, Qt.Key.Key_X, Qt.KeyboardModifier.AltModifier)
    assert editor.marks() == (None, None)
    qtbot.keyClick(editor.view, Qt.Key.Key_N)
    assert not editor.view.snapping
    select_only(editor, clip_items(editor, "V1")[0])
    qtbot.keyClick(editor.view, Qt.Key.Key_Delete, Qt.KeyboardModifier.ShiftModifier)
    assert [i.ref.start for i in clip_items(editor, "V1")] == [0.0]
    qtbot.keyClick(editor.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(clip_items(editor, "V1")) == 2
    qtbot.keyClick(editor.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert len(clip_items(editor, "V1")) == 1


def test_dragging_a_trim_handle_trims_the_clip_and_its_linked_sound(editor, lib, tmp_path):
    editor.insert_take(generated_take(lib, tmp_path, "handle", 2.0, 440), 0.0)
    editor.set_snapping(False)
    video = clip_items(editor, "V1")[0]
    select_only(editor, video)
    right = video.mapToScene(QPointF(video.boundingRect().width() - 2, 30))
    start = editor.view.mapFromScene(right)
    QtBotMouse.drag(editor.view.viewport(), start, start - QPoint(round(editor.view.scale.x(0.5)), 0))
    assert clip_items(editor, "V1")[0].ref.duration == pytest.approx(1.5, abs=1 / 24)
    assert clip_items(editor, "A1")[0].ref.duration == pytest.approx(1.5, abs=1 / 24)


def test_a_clip_moves_to_another_track_of_its_kind_only(editor, lib, tmp_path):
    editor.insert_take(generated_take(lib, tmp_path, "up", 1.0, 440), 0.0)
    assert editor.add_track("video")
    assert [t.name for t in editor.timeline().tracks] == ["V1", "V2", "A1"]
    video = clip_items(editor, "V1")[0]
    v2 = next(r for r in editor.view.rows if r.name == "V2")
    assert v2.y < video.y()  # V2 is drawn above V1
    start = editor.view.mapFromScene(video.mapToScene(QPointF(video.boundingRect().width() / 2, 30)))
    end = editor.view.mapFromScene(QPointF(video.mapToScene(QPointF(video.boundingRect().width() / 2, 0)).x(),
                                           v2.y + v2.height / 2))
    QtBotMouse.drag(editor.view.viewport(), start, end)
    assert [i.take_id for i in clip_items(editor, "V2")] == [video.take_id]
    assert clip_items(editor, "V1") == []
    assert len(clip_items(editor, "A1")) == 1  # the sound stays on its own kind of track
    stack = editor.undo_stack()
    while stack.canUndo():
        stack.undo()
    assert [t.name for t in editor.timeline().tracks] == ["V1", "A1"]


def test_a_finished_remix_becomes_a_take_to_swap_in_and_an_extension_goes_after(editor, lib, tmp_path, qtbot):
    parent = generated_take(lib, tmp_path, "parent", 1.0, 440)
    remix = generated_take(lib, tmp_path, "remix", 1.0, 550)
    extension = generated_take(lib, tmp_path, "extension", 0.5, 660)
    editor.insert_take(parent, 0.0)
    assert editor.offer_take(parent, remix, "retake")
    video = clip_items(editor, "V1")[0]
    assert video.take_id == parent  # offered, not forced on the cut
    assert list(video.clip.metadata["kinora"]["takes"]) == [parent, remix]
    menu = editor.context_menu(video)
    takes_menu = next(a.menu() for a in menu.actions() if a.text() == "Active take")
    next(a for a in takes_menu.actions() if a.text() == f"Take {remix}").trigger()
    qtbot.waitUntil(lambda: [i.take_id for i in clip_items(editor, "V1")] == [remix])
    assert [i.take_id for i in clip_items(editor, "A1")] == [remix]
    assert editor.offer_take(remix, extension, "extend")
    qtbot.waitUntil(lambda: len(clip_items(editor, "V1")) == 2)  # placed once the library is read
    assert [(i.take_id, i.ref.start) for i in clip_items(editor, "V1")] == [(remix, 0.0), (extension, 1.0)]


def test_ctrl_click_selects_several_clips_that_then_move_together(editor, lib, tmp_path):
    editor.insert_take(generated_take(lib, tmp_path, "first", 1.0, 440), 0.0)
    editor.insert_take(generated_take(lib, tmp_path, "second", 1.0, 550), 2.0)
    editor.set_snapping(False)
    first, second = clip_items(editor, "V1")
    viewport = editor.view.viewport()

    def centre(item):
        return editor.view.mapFromScene(item.mapToScene(QPointF(item.boundingRect().width() / 2, 30)))

    QtBotMouse.click(viewport, centre(first))
    QtBotMouse.click(viewport, centre(second), Qt.KeyboardModifier.ControlModifier)
    assert first.isSelected() and second.isSelected()
    QtBotMouse.drag(viewport, centre(first), centre(first) + QPoint(round(editor.view.scale.x(1.0)), 0))
    assert [i.ref.start for i in clip_items(editor, "V1")] == pytest.approx([1.0, 3.0], abs=1 / 24)
    assert [i.ref.start for i in clip_items(editor, "A1")] == pytest.approx([1.0, 3.0], abs=1 / 24)
    assert editor.undo_stack().count() == 3  # the move is one step


def test_the_recovery_dialog_restores_the_checked_project(qtbot, lib, tmp_path):
    from studio.ui.timeline import RecoveryDialog

    project = lib.create_project("Lost")
    edited = lib.load_timeline(project.id)
    edited.metadata["kinora"] = {**edited.metadata["kinora"], "note": "edited"}
    lib.snapshot_project(project.id, kind="autosave", timeline=edited)
    dialog = RecoveryDialog(lib, find_recoverable(lib))
    qtbot.addWidget(dialog)
    assert dialog.list.count() == 1
    dialog.accept()
    assert dialog.recovered == [project.id]
    restored = lib.load_timeline(project.id)
    assert restored.metadata["kinora"]["note"] == "edited"
    assert find_recoverable(lib) == []


def test_header_buttons_mute_and_solo_tracks_undoably(editor):
    mute = editor.headers.findChild(QToolButton, "A1-mute")
    solo = editor.headers.findChild(QToolButton, "A1-solo")
    mute.click()
    assert find_track(editor.timeline(), "A1").metadata["kinora"]["mute"] is True
    solo.click()
    assert find_track(editor.timeline(), "A1").metadata["kinora"]["solo"] is True
    assert mute.isChecked()
    assert editor.headers.findChild(QToolButton, "V1-solo") is None  # solo is for listening
    editor.undo_stack().undo()
    editor.undo_stack().undo()
    assert "kinora" not in find_track(editor.timeline(), "A1").metadata
    assert not mute.isChecked() and not solo.isChecked()  # the buttons show the undone state


def test_swapping_in_a_take_without_media_tells_the_user(editor, lib, tmp_path, qtbot):
    # The swap read the library in the menu's slot on the GUI thread; it is read on a worker thread now,
    # and its failure must still reach the user (errorOccurred, which the window turns into a notice).
    editor.insert_take(generated_take(lib, tmp_path, "shot", 1.0, 440), 0.0)
    pending = lib.create_take(Recipe(prompt="still rendering", seconds=1.0, width=64, height=64)).id
    with qtbot.waitSignal(editor.errorOccurred, timeout=10_000) as error:
        editor.add_alternate_take(clip_items(editor, "V1")[0].clip, pending)
    assert f"Take {pending} has no media yet" in error.args[0]
    assert clip_items(editor, "V1")[0].take_id != pending


def test_a_retake_swapped_into_a_trimmed_clip_shows_the_same_moment(editor, lib, tmp_path, qtbot):
    parent = generated_take(lib, tmp_path, "parent", 2.0, 440)
    retake = generated_take(lib, tmp_path, "retake", 2.0, 550)
    editor.insert_take(parent, 0.0)
    video = clip_items(editor, "V1")[0]
    editor.view.trimRequested.emit(TrimRequest((video.ref, clip_items(editor, "A1")[0].ref), "head", 0.5))
    editor.add_alternate_take(clip_items(editor, "V1")[0].clip, retake)
    qtbot.waitUntil(lambda: clip_items(editor, "V1")[0].take_id == retake)
    swapped = clip_items(editor, "V1")[0]
    assert swapped.take_id == retake
    assert (swapped.ref.start, swapped.ref.source_start, swapped.ref.duration) == pytest.approx((0.5, 0.5, 1.5))


def test_a_saved_edit_reopens_exactly_in_a_new_editor(editor, lib, tmp_path, qtbot):
    editor.insert_take(generated_take(lib, tmp_path, "kept", 1.0, 440), 0.0)
    editor.set_playhead(0.5)
    editor.split_at_playhead()
    editor.save()
    saved = editor.timeline().to_json_string()
    again = TimelineEditor(lib)
    qtbot.addWidget(again)
    again.set_project(editor.project_id)
    assert again.timeline().to_json_string() == saved
    assert len(clip_items(again, "V1")) == 2 and not again.undo_stack().canUndo()


def test_unlinked_picture_moves_without_its_sound_until_linked_again(editor, lib, tmp_path):
    editor.insert_take(generated_take(lib, tmp_path, "apart", 1.0, 440), 0.0)
    editor.set_snapping(False)
    select_only(editor, clip_items(editor, "V1")[0])
    assert editor.unlink_selected()
    video = clip_items(editor, "V1")[0]
    editor.view.moveRequested.emit(MoveRequest((video.ref,), 1.0, "video", 0))
    assert clip_items(editor, "V1")[0].ref.start == pytest.approx(1.0)
    assert clip_items(editor, "A1")[0].ref.start == pytest.approx(0.0)
    clip_items(editor, "V1")[0].setSelected(True)
    clip_items(editor, "A1")[0].setSelected(True)
    assert editor.link_selected()
    select_only(editor, clip_items(editor, "A1")[0])
    assert editor.delete_selected()
    assert clip_items(editor, "V1") == [] and clip_items(editor, "A1") == []


def test_edits_never_recompute_a_waveform(editor, lib, tmp_path, qtbot, monkeypatch):
    import studio.media.waveform as waveform

    builds = []
    real_build = waveform.build_pyramid
    monkeypatch.setattr(waveform, "build_pyramid", lambda path: builds.append(path) or real_build(path))
    editor.insert_take(generated_take(lib, tmp_path, "once", 2.0, 440), 0.0)
    editor.show()
    qtbot.waitExposed(editor)
    audio = clip_items(editor, "A1")[0]
    qtbot.waitUntil(lambda: editor.catalog.waveform_ready(audio.media), timeout=10000)
    editor.set_playhead(1.0)
    editor.split_at_playhead()
    editor.view.trimRequested.emit(TrimRequest((clip_items(editor, "A1")[0].ref,), "head", 0.25))
    editor.view.moveRequested.emit(MoveRequest((clip_items(editor, "A1")[-1].ref,), 0.5, "audio", 0))
    for pps in (10.0, 300.0):
        editor.view.set_pixels_per_second(pps)
        editor.view.viewport().grab()
    wait_for_tasks()
    assert len(builds) == 1


def test_a_2x_clip_s_trim_handle_stops_at_the_end_of_its_media(editor, lib, tmp_path):
    # Before, the handle's limit counted the clip's length on the track as media: a 2x clip could be
    # dragged to play twice the media its file has. The old trim tests had no sped-up clip.
    import opentimelineio as otio

    editor.insert_take(generated_take(lib, tmp_path, "fast", 2.0, 440), 0.0)
    editor.set_snapping(False)
    timeline = editor.timeline().deepcopy()
    for track in timeline.tracks:  # at 2x for half a second: media 0 s .. 1 s of the 2 s take
        clip = track[0]
        clip.source_range = otio.opentime.TimeRange(clip.source_range.start_time,
                                                    otio.opentime.RationalTime(12, 24).rescaled_to(
                                                        clip.source_range.duration.rate))
        clip.effects.append(otio.schema.LinearTimeWarp(time_scalar=2.0))
    editor.set_project(editor.project_id, timeline, save_previous=False)
    video = clip_items(editor, "V1")[0]
    assert video.ref.speed == 2.0
    select_only(editor, video)
    start = editor.view.mapFromScene(video.mapToScene(QPointF(video.boundingRect().width() - 2, 30)))
    QtBotMouse.drag(editor.view.viewport(), start, start + QPoint(round(editor.view.scale.x(1.0)), 0))
    for track in ("V1", "A1"):  # 1 s on the track plays all 2 s of the take, and no further
        assert clip_items(editor, track)[0].ref.duration == pytest.approx(1.0, abs=1 / 24)
