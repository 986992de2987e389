"""Deleting a take the open timeline uses: the confirmation says what happens, the clips go offline."""

from __future__ import annotations

import numpy as np
from window_helpers import open_window, tiny_recipe

from studio.media.encode import write_clip
from studio.project.offline import offline_reason
from studio.ui.library.panel import delete_question

WAIT_MS = 60_000


def test_deleting_a_take_on_the_open_timeline_names_the_project_and_takes_its_clips_offline(qtbot, lib, tmp_path):
    # Before: the question always said "and its file" (the file was kept) and named no project; the
    # clip kept playing from the kept file and exports failed minutes later at signing.
    recipe = tiny_recipe("a red ball")
    take = lib.create_take(recipe)
    clip = write_clip(np.full((8, 32, 32, 3), 90, np.uint8), None, 8.0, 48000, tmp_path / "ball.mp4")
    take = lib.complete_take(take.id, clip, recipe=recipe, timings={})
    path = lib.media_path(lib.media(take.media_id))
    win = open_window(qtbot, lib, start_engine=False)
    try:
        qtbot.waitUntil(lambda: win.project_id is not None, timeout=WAIT_MS)
        assert win.timeline.insert_take(take.id, 0.0)  # not saved yet: the question still counts it
        asked = []
        win.library_panel._confirm_delete = lambda parent, item, usage: asked.append(delete_question(item, usage)) or True
        qtbot.waitUntil(lambda: win.library_panel.model.row_of(take.id) is not None, timeout=WAIT_MS)
        win.library_panel.select_take(take.id)
        win.library_panel.delete_selected()
        qtbot.waitUntil(lambda: win.library_panel.model.row_of(take.id) is None, timeout=WAIT_MS)
        assert "and its file" in asked[0] and f"“{win.project_name}”" in asked[0] and "offline" in asked[0]
        assert not path.exists()
        clips = list(win.timeline.timeline().find_clips())
        assert clips and all(offline_reason(c) == f"take {take.id} was deleted" for c in clips)
        assert any("offline" in text for text, _ in win.messages)
    finally:
        win.shutdown()


def test_an_offline_clip_is_relinked_to_a_file_in_one_undoable_edit(qtbot, lib, tmp_path):
    from studio.exporting import check_exportable

    recipe = tiny_recipe("a blue ball")
    take = lib.create_take(recipe)
    source = tmp_path / "blue.mp4"
    write_clip(np.full((8, 32, 32, 3), 30, np.uint8), None, 8.0, 48000, source)
    take = lib.complete_take(take.id, source, recipe=recipe, timings={})
    backup = tmp_path / "found again.mp4"
    backup.write_bytes(lib.media_path(lib.media(take.media_id)).read_bytes())
    win = open_window(qtbot, lib, start_engine=False)
    try:
        qtbot.waitUntil(lambda: win.project_id is not None, timeout=WAIT_MS)
        assert win.timeline.insert_take(take.id, 0.0)
        report = lib.delete_take(take.id)
        assert win.timeline.detach_deleted_take(take.id, report.file_deleted)
        clip = win.timeline.timeline().find_clips()[0]
        menu = win.timeline.context_menu(win.timeline.view.clip_items[0])
        assert "Relink media…" in [a.text() for a in menu.actions()]
        win.timeline.relink_clip(clip, backup)
        qtbot.waitUntil(lambda: all(offline_reason(c) is None for c in win.timeline.timeline().find_clips()),
                        timeout=WAIT_MS)
        check_exportable(lib, win.timeline.timeline())  # every clip available and signable again
        win.timeline.undo_stack().undo()
        assert all(offline_reason(c) for c in win.timeline.timeline().find_clips())
    finally:
        win.shutdown()
