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
