"""`kinora open FILE`: headless it imports and prints the project; with a display the window opens on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from window_helpers import open_window

from studio.app import has_display
from studio.project.files import save_otio
from studio.project.timeline import new_timeline

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("environ", "platform", "expected"), [
    ({}, "linux", False),
    ({"DISPLAY": ":0"}, "linux", True),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux", False),
    ({"QT_QPA_PLATFORM": "xcb"}, "linux", True),
    ({}, "win32", True),
    ({}, "darwin", True),
])
def test_a_window_is_opened_only_where_it_can_be_seen(environ: dict[str, str], platform: str,
                                                      expected: bool) -> None:
    assert has_display(environ, platform) is expected


def _kinora(library: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["KINORA_LIBRARY"] = str(library)
    return subprocess.run([sys.executable, "-m", "studio", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)


def test_open_without_a_display_imports_and_prints_the_project(tmp_path: Path) -> None:
    path = save_otio(new_timeline("Night shoot"), tmp_path / "night.otio")
    lib = tmp_path / "lib"
    automatic = _kinora(lib, "open", str(path))  # no display: headless on its own
    assert automatic.returncode == 0, automatic.stderr
    assert automatic.stdout.strip() == "project 1: Night shoot"
    asked = json.loads(_kinora(lib, "open", str(path), "--no-gui", "--json").stdout)
    # Opening the same file again opens the project made from it (with its edits), not a second copy.
    assert (asked["id"], asked["name"], asked["already_there"]) == (1, "Night shoot", True)


def test_window_opens_the_project_it_is_given_not_the_latest(qtbot, lib) -> None:
    wanted = lib.create_project("Opened from the command line")
    lib.create_project("Changed most recently")
    win = open_window(qtbot, lib, start_engine=False, project_id=wanted.id)
    qtbot.waitUntil(lambda: win.project_id is not None, timeout=30000)
    assert win.project_id == wanted.id and win.timeline.project_id == wanted.id
    assert win.windowTitle().startswith("Opened from the command line")
    win.shutdown()


def test_open_with_a_display_starts_the_studio_on_the_imported_project(tmp_path: Path, monkeypatch,
                                                                      capsys) -> None:
    import studio.app
    from studio.cli import main

    path = save_otio(new_timeline("Night shoot"), tmp_path / "night.otio")
    started: list[tuple[str | None, int | None]] = []
    monkeypatch.setattr(studio.app, "has_display", lambda: True)
    monkeypatch.setattr(studio.app, "run_gui", lambda library=None, project_id=None: started.append(
        (library, project_id)) or 0)
    assert main(["--library", str(tmp_path / "lib"), "open", str(path)]) == 0
    assert started == [(str(tmp_path / "lib"), 1)]
    assert "project 1: Night shoot" in capsys.readouterr().out


def test_start_after_a_crash_offers_and_opens_the_recovered_project(qtbot, lib, monkeypatch):
    from studio.app import project_to_open
    from studio.ui.timeline.autosave import RecoveryDialog

    assert project_to_open(lib, None) is None  # nothing to recover: no dialog, the window picks
    project = lib.create_project("Crashed")
    edited = lib.load_timeline(project.id)
    edited.metadata["kinora"] = {**edited.metadata["kinora"], "note": "unsaved edit"}
    lib.snapshot_project(project.id, kind="autosave", timeline=edited)  # autosaved, then the crash
    shown: list[RecoveryDialog] = []

    def recover_all(dialog: RecoveryDialog) -> int:
        shown.append(dialog)
        dialog.accept()  # the user presses Recover
        return 1

    monkeypatch.setattr(RecoveryDialog, "exec", recover_all)
    assert project_to_open(lib, None) == project.id
    assert len(shown) == 1
    restored = lib.load_timeline(project.id)  # held: OTIO frees a temporary's metadata with it
    assert restored.metadata["kinora"]["note"] == "unsaved edit"


def test_file_open_and_drops_open_an_edl_like_the_cli(qtbot, lib, corpus: Path) -> None:
    # The window had its own list of project suffixes without .edl, so File > Open and drops refused
    # what `kinora open` reads; it now reads the one list in studio.project.files.
    from studio.importing import plan_drop

    edl = corpus / "otio" / "premiere_example.edl"
    assert plan_drop([edl]).projects == [edl]
    win = open_window(qtbot, lib, start_engine=False)
    try:
        qtbot.waitUntil(lambda: win.project_id is not None, timeout=30000)
        first = win.project_id
        win.import_paths([edl])
        qtbot.waitUntil(lambda: win.project_id != first, timeout=30000)
        assert win.project_name == "premiere_example" or "premiere" in win.project_name.lower()
        assert list(win.timeline.timeline().find_clips())
    finally:
        win.shutdown()
