"""The library and project commands, driven as a user would: `python -m studio ...` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def kinora(library: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KINORA_LIBRARY": str(library)}
    return subprocess.run([sys.executable, "-m", "studio", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)


def test_import_then_list_show_and_search(corpus: Path, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video at all" * 50)
    result = kinora(lib, "import", str(corpus / "video" / "sample.mp4"), str(bad),
                    str(corpus / "otio" / "premiere_example.edl"))
    # The bad file is one clear line and a failing exit; the others are imported anyway.
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("kinora: ") and "broken.mp4" in result.stderr
    assert "Traceback" not in result.stderr
    assert "take 1: sample" in result.stdout and "project 1: Premiere_Example.01" in result.stdout

    listed = kinora(lib, "library", "list")
    assert listed.returncode == 0
    assert "sample" in listed.stdout and "1.0s" in listed.stdout

    rows = json.loads(kinora(lib, "--json", "library", "list").stdout)
    assert [(r["id"], r["status"], r["title"]) for r in rows] == [(1, "done", "sample")]

    shown = json.loads(kinora(lib, "library", "show", "1", "--json").stdout)
    assert Path(shown["media_path"]).is_file() and shown["media"]["width"] == 1080

    found = kinora(lib, "library", "search", "samp")
    assert found.returncode == 0 and "sample" in found.stdout


def test_unknown_take_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = kinora(tmp_path / "lib", "library", "show", "42")
    assert result.returncode == 2
    assert result.stderr.strip() == "kinora: There is no take 42 in this library (see `kinora library list`)."


def test_project_new_list_export_and_open_in_another_library(corpus: Path, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    created = json.loads(kinora(lib, "project", "new", "Night", "shoot", "--json").stdout)
    assert created["name"] == "Night shoot"
    listed = json.loads(kinora(lib, "--json", "project", "list").stdout)
    assert [p["id"] for p in listed] == [created["id"]]

    out = tmp_path / "night.otioz"
    exported = kinora(lib, "project", "export", str(created["id"]), "-o", str(out))
    assert exported.returncode == 0 and out.is_file()

    opened = kinora(tmp_path / "other", "open", str(out))
    assert opened.returncode == 0 and opened.stdout.startswith("project 1: Night shoot")

    wrong = kinora(lib, "project", "export", str(created["id"]), "-o", str(tmp_path / "night.mov"))
    assert wrong.returncode == 2 and "choose a .otio, .otioz, .edl, .xml or .fcpxml" in wrong.stderr


def test_opening_a_hostile_bundle_fails_cleanly(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "evil.otioz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("../../escape.txt", "x")
    result = kinora(tmp_path / "lib", "open", str(path))
    assert result.returncode == 2 and "'..'" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "escape.txt").exists()


@pytest.mark.parametrize("argv", [["--help"], ["library", "--help"], ["project", "--help"]])
def test_help_does_not_load_heavy_libraries(argv: list[str]) -> None:
    code = ("import sys; from studio.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('torch', 'diffusers', 'transformers', 'PySide6', 'opentimelineio', 'sqlite_utils')"
            " if m in sys.modules]\nprint(heavy, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.stderr.strip().splitlines()[-1] == "[]"


def test_imported_file_keeps_its_content_credentials(corpus: Path, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    assert kinora(lib, "import", str(corpus / "c2pa" / "video1.mp4")).returncode == 0
    shown = json.loads(kinora(lib, "--json", "library", "show", "1").stdout)
    assert "active_manifest" in json.loads(shown["media"]["provenance_json"])


def test_kinora_with_no_command_opens_the_window_without_registering_the_commands(tmp_path: Path) -> None:
    # The window launch paid ~50 ms building a parser of every command (importing their modules) it never used.
    code = """
import json, sys
import studio.app
opened = {}
studio.app.run_gui = lambda library=None, project_id=None: opened.update(library=library) or 0
from studio.cli import main
status = main(["--library", "elsewhere", "-v"])
print(json.dumps({"status": status, "opened": opened,
                  "commands": sorted(m for m in sys.modules if m.startswith("studio.cli.") and m.endswith("_cmd"))}))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "KINORA_LIBRARY": str(tmp_path / "lib")})
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"status": 0, "opened": {"library": "elsewhere"}, "commands": []}


@pytest.mark.parametrize("args", [["--bogus"], ["--library"], ["nope"]])
def test_a_bad_launch_line_is_still_refused_by_the_whole_parser(tmp_path: Path, args: list[str]) -> None:
    result = kinora(tmp_path / "lib", *args)
    assert result.returncode == 2 and "usage: kinora" in result.stderr and "Traceback" not in result.stderr
