"""Hostile project files and bundles (issue 16): each is one clear ProjectError naming the file, never a
crash, a traceback or a byte written. The old tests built hostile bundles by name and layout only; none
had a malformed OTIO structure, a damaged zip stream or Kinora metadata of the wrong type."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bench.reliability import hostile
from studio.errors import ProjectError
from studio.library import Library
from studio.project.files import import_project_file, read_project_file

REPO = Path(__file__).resolve().parent.parent
TRACKS_NULL = hostile.TRACKS_NULL


def kinora(library: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KINORA_LIBRARY": str(library)}
    return subprocess.run([sys.executable, "-m", "studio", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)


def _timeline_json(kinora_meta: object = None, rate: object = 24, value: object = 24) -> str:
    return hostile.timeline_json(clip_kinora=kinora_meta, rate=rate, value=value)


def _one_line_exit_2(result: subprocess.CompletedProcess[str], name: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("kinora: ") and name in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("suffix", [".otio", ".otioz"])
def test_a_timeline_whose_tracks_are_null_is_refused_not_a_segfault(tmp_path: Path, suffix: str) -> None:
    # Old code handed this to OTIO, whose find_clips dereferenced the null Stack: SIGSEGV (exit -11).
    path = tmp_path / f"null{suffix}"
    if suffix == ".otio":
        path.write_text(TRACKS_NULL)
    else:
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("version.txt", "1.0.0")
            zf.writestr("content.otio", TRACKS_NULL)
    for command in ("import", "open"):
        result = kinora(tmp_path / "lib", command, str(path))
        _one_line_exit_2(result, path.name)
        assert "'tracks' = null" in result.stderr


@pytest.mark.parametrize("depth", [990, 5000])
def test_deep_nesting_is_refused_not_a_recursion_error(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "deep.otio"
    inner = "[" * depth + "]" * depth
    path.write_text('{"OTIO_SCHEMA":"Timeline.1","name":"n","metadata":{"x":' + inner + '},"tracks":null}')
    with pytest.raises(ProjectError, match="deep.otio: nests deeper"):
        read_project_file(path)


WRONG_KINORA = {
    "a list": [1, 2],
    "a string": "kinora",
    "take id as text": {"take_id": "seven"},
    "recipe as a list": {"recipe": [1]},
    "lock as a number": {"lock": 3},
    "schema as text": {"schema": "one"},
}


@pytest.mark.parametrize("case", sorted(WRONG_KINORA))
def test_kinora_metadata_of_the_wrong_type_is_named(tmp_path: Path, case: str) -> None:
    path = tmp_path / "wrong.otio"
    path.write_text(_timeline_json(kinora_meta=WRONG_KINORA[case]))
    with pytest.raises(ProjectError, match="wrong.otio: .*Kinora metadata"):
        read_project_file(path)


@pytest.mark.parametrize("rate", [float("nan"), 0, -24, 1e308, float("inf")])
def test_frame_rates_that_are_nan_zero_negative_or_huge_are_refused(tmp_path: Path, rate: float) -> None:
    path = tmp_path / "rate.otio"
    path.write_text(_timeline_json(rate=rate))
    with pytest.raises(ProjectError, match="rate.otio: .*(frame rate|not valid OTIO JSON)"):
        read_project_file(path)


def test_a_time_of_4e298_seconds_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.otio"
    path.write_text(_timeline_json(value=4.2e298 * 24))
    with pytest.raises(ProjectError, match="long.otio: .*within 48 hours"):
        read_project_file(path)


def test_an_unreadable_project_file_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.otio"
    path.write_text(_timeline_json())
    # Tests run as root here, which reads any file: the permission check is what the user would meet.
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != path)
    with pytest.raises(ProjectError, match="locked.otio: permission denied"):
        read_project_file(path)


def test_a_fifo_named_like_a_project_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.otio"
    os.mkfifo(fifo)
    with pytest.raises(ProjectError, match="not a regular file"):
        read_project_file(fifo)


# --- damaged and hostile zips ------------------------------------------------------------------

def _good_bundle(path: Path, clip: bytes = b"\x00" * 2048, **writestr: bytes) -> Path:
    members = {**hostile.good_members(clip), **writestr}
    return hostile.bundle(path, members, deflate=("content.otio", "media/a.mp4"))


DAMAGED = {"bad-crc": (hostile.damage_crc, "content.otio' is damaged"),
           "bad-deflate": (hostile.damage_deflate, "content.otio' is damaged"),
           "encrypted": (hostile.mark_encrypted, "is encrypted")}


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_a_damaged_or_encrypted_zip_is_one_clear_error(tmp_path: Path, case: str) -> None:
    damage, message = DAMAGED[case]
    path = _good_bundle(tmp_path / f"{case}.otioz")
    damage(path)
    with Library.open(tmp_path / "lib") as lib:
        with pytest.raises(ProjectError, match=message):
            import_project_file(lib, path)
        assert lib.list_projects() == []
    _one_line_exit_2(kinora(tmp_path / "lib2", "import", str(path)), path.name)


def test_a_zip_bomb_is_refused_from_the_central_directory(tmp_path: Path) -> None:
    path = _good_bundle(tmp_path / "bomb.otioz", clip=b"\x00" * (4 * 1024**2))  # deflates ~1000-fold
    with Library.open(tmp_path / "lib") as lib:
        with pytest.raises(ProjectError, match="inflate .*-fold"):
            import_project_file(lib, path)
        assert [p for p in lib.root.rglob("*") if p.is_file() and "a.mp4" in p.name] == []


def test_members_the_timeline_does_not_use_are_refused(tmp_path: Path) -> None:
    extra = {f"media/x{i}.mp4": b"x" for i in range(20)}
    path = _good_bundle(tmp_path / "many.otioz", **extra)
    with pytest.raises(ProjectError, match="20 media file\\(s\\) its timeline does not use"):
        read_project_file(path)


def test_more_members_than_a_bundle_holds_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "crowd.otioz"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(2_100):
            zf.writestr(f"media/{i}.mp4", b"")
    with pytest.raises(ProjectError, match="holds 2100 files"):
        read_project_file(path)


def test_a_member_larger_than_the_manifest_declares_is_refused(tmp_path: Path) -> None:
    manifest = json.dumps({"schema": 1, "members": {"media/a.mp4": {"size": 5, "sha256": "0" * 64}}})
    path = _good_bundle(tmp_path / "sizes.otioz", **{"kinora.json": manifest.encode()})
    with pytest.raises(ProjectError, match="manifest declares 5"):
        read_project_file(path)


def test_a_manifest_of_the_wrong_type_is_named(tmp_path: Path) -> None:
    path = _good_bundle(tmp_path / "manifest.otioz", **{"kinora.json": b'{"schema": "x", "members": []}'})
    with pytest.raises(ProjectError, match="kinora.json has values of the wrong type"):
        read_project_file(path)


def test_a_stored_timeline_with_null_tracks_is_refused_not_a_segfault(tmp_path: Path) -> None:
    # The stored timeline went to OTIO unchecked (only files were checked): a database written by another tool
    # or an older Kinora with `"tracks": null` crashed the interpreter as soon as a project was read.
    library = tmp_path / "lib"
    lib = Library.open(library)
    project = lib.create_project("damaged")
    lib._db.utils["projects"].update(project.id, {"timeline_json": TRACKS_NULL})
    with pytest.raises(ProjectError, match=f"stored timeline of project {project.id}.*'tracks' = null"):
        lib.load_timeline(project.id)
    lib.close()
    result = kinora(library, "project", "export", str(project.id), "-o", str(tmp_path / "out.otio"))
    _one_line_exit_2(result, f"project {project.id}")
