"""Projects in the window: New, Open (a file opened before opens its project), Switch, Recent, Save As,
Rename, Delete, the unsaved marker, the project written by the studio itself, In/Out per project."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from window_helpers import open_window

from studio.media.encode import write_clip
from studio.project.files import save_otio
from studio.project.timeline import new_timeline
from studio.recipe import Recipe
from studio.ui.tasks import wait_for_tasks

WAIT_MS = 30_000


def _take(lib, tmp_path: Path, prompt: str) -> int:
    recipe = Recipe(prompt=prompt, model_id="tiny-random", seconds=1, fps=8, width=32, height=32)
    take = lib.create_take(recipe)
    clip = write_clip(np.full((8, 32, 32, 3), 80, np.uint8), None, 8.0, 48000, tmp_path / f"{prompt}.mp4")
    return lib.complete_take(take.id, clip, recipe=recipe, timings={}).id


@pytest.fixture
def window(qtbot, lib):
    win = open_window(qtbot, lib, start_engine=False)
    qtbot.waitUntil(lambda: win.project_id is not None, timeout=WAIT_MS)
    win.timeline.autosave.timer.setInterval(30)
    yield win
    win.shutdown()
    wait_for_tasks()


def _clips(lib, project_id: int) -> int:
    return len(list(lib.load_timeline(project_id).find_clips()))


def test_closing_writes_the_unsaved_edit_before_it_returns(qtbot, window, lib, tmp_path):
    # The save on close moved off the GUI thread; shutdown must still wait for it (the process ends next).
    window.timeline.autosave.timer.setInterval(60_000)  # the autosave would come too late
    assert window.timeline.insert_take(_take(lib, tmp_path, "last edit"), 0.0)
    project = window.project_id
    assert _clips(lib, project) == 0
    window.shutdown()
    assert _clips(lib, project) > 0


def test_a_failed_save_stops_a_switch_and_keeps_the_edit_on_screen(qtbot, window, lib, tmp_path, monkeypatch):
    # Switching saved the old project on the GUI thread inside the slot that opened the next one; when the write
    # raised, the slot died half-way (the window named the next project, the timeline still showed the old
    # one) and the error went to the log. The save now runs first on a worker thread; a failure stops the switch.
    from studio.errors import LibraryError

    window.timeline.autosave.timer.setInterval(60_000)
    first, other = window.project_id, lib.create_project("Other").id
    assert window.timeline.insert_take(_take(lib, tmp_path, "kept"), 0.0)

    def full_disk(*_args: object) -> None:
        raise LibraryError("The disk is full.")

    monkeypatch.setattr(lib, "save_timeline", full_disk)
    window.open_project(other)
    qtbot.waitUntil(lambda: any("The disk is full" in text for text, error in window.messages if error),
                    timeout=WAIT_MS)
    wait_for_tasks()
    qtbot.wait(50)  # anything still queued for the GUI thread is delivered
    assert window.project_id == first and window.timeline.project_id == first
    assert list(window.timeline.timeline().find_clips()) and window.isWindowModified()
    monkeypatch.undo()
    window.open_project(other)
    qtbot.waitUntil(lambda: window.project_id == other, timeout=WAIT_MS)
    assert _clips(lib, first) > 0


def test_the_studio_writes_the_project_itself_and_the_title_marks_unsaved_edits(qtbot, window, lib, tmp_path):
    # Before: an edit lived only in autosave snapshots until Ctrl+S, so `kinora export` rendered an older edit.
    first = window.project_id
    assert window.windowTitle() == f"{window.project_name}[*] — Kinora Studio" and not window.isWindowModified()
    window.timeline.autosave.timer.setInterval(10_000)
    assert window.timeline.insert_take(_take(lib, tmp_path, "ball"), 0.0)
    assert window.isWindowModified() and _clips(lib, first) == 0
    window.timeline.autosave.timer.setInterval(30)
    window.timeline.autosave.timer.start()
    qtbot.waitUntil(lambda: _clips(lib, first) > 0 and not window.isWindowModified(), timeout=WAIT_MS)


def test_new_switch_recent_rename_and_delete(qtbot, window, lib, tmp_path):
    first, first_name = window.project_id, window.project_name
    window.timeline.set_mark_in(0.5)
    window.ask_name = lambda *args: "Second"
    window.new_project()
    qtbot.waitUntil(lambda: window.project_name == "Second", timeout=WAIT_MS)
    second = window.project_id
    assert second != first and window.windowTitle().startswith("Second[*]")
    assert window.timeline.marks() == (None, None)  # In/Out do not carry into the next project
    assert not list(window.timeline.timeline().find_clips())
    qtbot.waitUntil(lambda: {p.id for p in window.studio.recent} == {first, second}, timeout=WAIT_MS)
    from PySide6.QtWidgets import QMenu

    menu = QMenu()
    window.fill_recent_menu(menu)
    assert [a.text() for a in menu.actions()] == ["Second  (open)", first_name]
    menu.actions()[1].trigger()
    qtbot.waitUntil(lambda: window.project_id == first, timeout=WAIT_MS)
    window.choose_switch = lambda projects: second
    window.switch_project()
    qtbot.waitUntil(lambda: window.project_id == second, timeout=WAIT_MS)
    window.ask_name = lambda *args: "Renamed"
    window.rename_project()
    qtbot.waitUntil(lambda: lib.project(second).name == "Renamed" and window.project_name == "Renamed",
                    timeout=WAIT_MS)
    window.confirm_delete_project = lambda parent, name: True
    window.delete_project()
    qtbot.waitUntil(lambda: window.project_id == first, timeout=WAIT_MS)
    assert [p.id for p in lib.list_projects()] == [first]


def test_save_as_continues_in_the_copy_and_leaves_the_original_as_saved(qtbot, window, lib, tmp_path):
    original = window.project_id
    window.timeline.autosave.timer.setInterval(10_000)  # the edit is not written before Save As
    assert window.timeline.insert_take(_take(lib, tmp_path, "ball"), 0.0)
    window.ask_name = lambda *args: "Director's cut"
    window.save_project_as()
    qtbot.waitUntil(lambda: window.project_name == "Director's cut", timeout=WAIT_MS)
    assert window.project_id != original and _clips(lib, window.project_id) > 0
    assert _clips(lib, original) == 0


def test_opening_a_project_file_again_opens_its_project_not_a_copy(qtbot, window, lib, tmp_path):
    # Before: every File > Open imported another copy of the file as a new project.
    path = save_otio(new_timeline("Night shoot"), tmp_path / "night.otio")
    window.import_paths([path])
    qtbot.waitUntil(lambda: window.project_name == "Night shoot", timeout=WAIT_MS)
    night = window.project_id
    window.ask_name = lambda *args: "Other"
    window.new_project()
    qtbot.waitUntil(lambda: window.project_name == "Other", timeout=WAIT_MS)
    window.import_paths([path])
    qtbot.waitUntil(lambda: window.project_id == night, timeout=WAIT_MS)
    assert sorted(p.name for p in lib.list_projects()) == sorted({p.name for p in lib.list_projects()})
    assert len([p for p in lib.list_projects() if p.name == "Night shoot"]) == 1


def test_the_library_shows_takes_another_process_adds_without_a_reload(qtbot, window, lib, tmp_path):
    # Before, takes the CLI or the API added appeared only after F5.
    import subprocess
    import sys

    window.library_watcher.timer.setInterval(100)
    clip = write_clip(np.full((8, 32, 32, 3), 40, np.uint8), None, 8.0, 48000, tmp_path / "from-cli.mp4")
    done = subprocess.run([sys.executable, "-m", "studio", "--library", str(lib.root), "import", str(clip)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    model = window.library_panel.model
    qtbot.waitUntil(lambda: any(model.item_at(r).take.title == "from-cli" for r in range(model.rowCount())),
                    timeout=WAIT_MS)
