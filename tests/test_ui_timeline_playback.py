"""The timeline editor driving and following the preview player (wall-clock sink, no sound card)."""

from __future__ import annotations

import pytest
from test_ui_timeline import clip_items, generated_take, select_only

from studio.playback import WallClockSink
from studio.ui.player import PreviewPlayer
from studio.ui.timeline import TimelineEditor

WAIT_MS = 20000


def test_the_playhead_follows_the_edit_played_across_a_cut_and_scrubbing_seeks(qtbot, lib, tmp_path):
    editor = TimelineEditor(lib)
    preview = PreviewPlayer(WallClockSink())
    qtbot.addWidget(editor)
    qtbot.addWidget(preview)
    editor.set_project(lib.create_project("Cut").id)
    editor.insert_take(generated_take(lib, tmp_path, "a", 0.5, 440), 0.0)
    editor.insert_take(generated_take(lib, tmp_path, "b", 1.0, 660), 0.5)
    editor.set_playhead(1.0)
    editor.split_at_playhead()
    select_only(editor, clip_items(editor, "V1")[-1])
    editor.delete_selected(ripple=True)  # the edit: a (0.5 s) | first half of b (0.5 s)
    preview.positionChanged.connect(editor.set_playhead)
    editor.playheadMoved.connect(preview.seek)

    preview.load_timeline(editor.timeline(), lib.resolve_clip_media, keep_position=False)
    qtbot.waitUntil(lambda: preview.player.source is not None, timeout=WAIT_MS)
    preview.play()
    qtbot.waitUntil(lambda: not preview.player.playing, timeout=WAIT_MS)
    stats = preview.stats()
    assert stats.frames_dropped == 0
    assert stats.frames_shown >= 24  # every frame of the 1 s edit came on screen
    assert editor.playhead() == pytest.approx(preview.player.position)

    editor.ruler.scrubbed.emit(0.25)  # a drag on the ruler
    assert editor.playhead() == pytest.approx(0.25)
    assert preview.player.position == pytest.approx(0.25, abs=1 / 24)
    preview.shutdown()
