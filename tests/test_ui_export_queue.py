"""Export like an editor: the job runs in the Queue dock (progress, cancel), In/Out limit it, the
last settings are remembered."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QApplication
from window_helpers import open_window, tiny_recipe

from studio.media.encode import write_clip
from studio.media.probe import probe
from studio.ui.export_dialog import ExportDialog
from studio.ui.tasks import wait_for_tasks

WAIT_MS = 60_000


def test_export_runs_in_the_queue_dock_with_in_and_out_and_remembers_its_settings(qtbot, lib, tmp_path):
    recipe = tiny_recipe("ball")
    take = lib.create_take(recipe)
    clip = write_clip(np.full((16, 32, 32, 3), 90, np.uint8), None, 8.0, 48000, tmp_path / "ball.mp4")
    take = lib.complete_take(take.id, clip, recipe=recipe, timings={})
    win = open_window(qtbot, lib, start_engine=False)
    try:
        qtbot.waitUntil(lambda: win.project_id is not None, timeout=WAIT_MS)
        assert win.timeline.insert_take(take.id, 0.0)
        win.timeline.set_mark_in(0.5)
        win.timeline.set_mark_out(1.5)
        win.show_export()  # the project is saved on a worker thread, then the dialog opens

        def shown() -> ExportDialog | None:
            return next((w for w in QApplication.topLevelWidgets() if isinstance(w, ExportDialog) and w.isVisible()),
                        None)

        qtbot.waitUntil(lambda: shown() is not None, timeout=WAIT_MS)
        dialog = shown()
        # The export reads the saved project: the clip inserted a moment ago (autosave waits 3 s) is in it.
        assert [c.name for c in lib.load_timeline(win.project_id).find_clips()]
        assert "In 0.50 s to Out 1.50 s" in " ".join(label.text() for label in dialog.findChildren(type(win._stall_label)))
        out = tmp_path / "cut.mp4"
        dialog.path.setText(str(out))
        dialog.preset.setCurrentIndex(dialog.preset.findData("source"))
        dialog.credentials.setChecked(False)
        dialog.start()
        assert not dialog.isVisible()  # the dialog hands the job to the Queue dock
        row = win.export_queue.rows[0]
        assert win.export_queue.isVisible() and row.button.text() == "Cancel"
        qtbot.waitUntil(lambda: row.path is not None, timeout=WAIT_MS)
        assert row.state.text() == "Saved cut.mp4" and row.button.text() == "Show"
        assert abs(probe(out).duration - 1.0) < 0.15
        assert any(text == f"Exported {out}." for text, _ in win.messages)
        again = ExportDialog(lib, win.project_id, win, name="again")
        assert again.preset.currentData() == "source" and not again.credentials.isChecked()
        assert again.path.text() == str(tmp_path / "again.mp4")
        again.deleteLater()
    finally:
        win.shutdown()
        wait_for_tasks()
