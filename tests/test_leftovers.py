"""Temporary work of killed processes is swept when a library opens; a live owner's is kept (issue 16).
Old tests only checked that a finished run cleaned up after itself: nothing ever met what a SIGKILL leaves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from studio import scratch
from studio.atomic import atomic_path
from studio.library import Library
from studio.media.encode import write_clip


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid  # reaped: no process has this id now (reuse within the test is vanishingly unlikely)


def _leftovers(root: Path, tag: str, out_dir: Path) -> list[Path]:
    cache = root / "cache"
    made = [cache / f"import-{tag}-abcd1234", cache / "engine" / f"tmp-{tag}-abcd1234",
            cache / "incoming" / f".{'ab' * 32}.{tag}-abcd1234.part.mp4",
            cache / "signed" / f".x.{tag}-abcd1234.part.mp4"]
    for path in made:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.name.endswith(".mp4"):
            path.write_bytes(b"half a file")
        else:
            path.mkdir()
            (path / "work.bin").write_bytes(b"x")
    export = out_dir / f"{scratch.EXPORT_PREFIX}{tag}-abcd1234"
    export.mkdir(parents=True)
    (export / "render.mp4").write_bytes(b"half a render")
    pointer = cache / scratch.EXPORTS_DIR / f"{export.name}.where"
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.write_text(str(export))
    return [*made, export, pointer]


def test_a_dead_owners_leftovers_are_swept_at_open_and_a_live_owners_kept(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    Library.open(root).close()
    dead = _leftovers(root, scratch.owner_tag(_dead_pid()), tmp_path / "exports")
    live = _leftovers(root, scratch.owner_tag(), tmp_path / "exports-live")
    with Library.open(root):
        pass
    assert [p for p in dead if p.exists()] == []
    assert [p for p in live if not p.exists()] == []


def test_a_recycled_pid_is_not_mistaken_for_the_owner() -> None:
    pid, start = os.getpid(), scratch.owner_tag().split("_")[1]
    assert scratch.owner_alive(f"import-{pid}_{start}-x")
    assert not scratch.owner_alive(f"import-{pid}_{int(start) + 1}-x")  # same pid, another process's start


def test_a_damaged_pointer_cannot_name_another_folder(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    Library.open(root).close()
    precious = tmp_path / "precious"
    precious.mkdir()
    pointer = root / "cache" / scratch.EXPORTS_DIR / f"{scratch.EXPORT_PREFIX}{scratch.owner_tag(_dead_pid())}-x.where"
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.write_text(str(precious))
    scratch.sweep_library(root)
    assert precious.is_dir() and not pointer.exists()


def test_temporary_names_carry_their_owner(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "out.mp4") as tmp:
        assert scratch.owner_tag() in tmp.name and scratch.owner_alive(tmp.name)
    with scratch.scratch_dir(tmp_path, scratch.EXPORT_PREFIX, pointer_dir=tmp_path / "ptr") as folder:
        assert scratch.owner_tag() in folder.name and list((tmp_path / "ptr").iterdir())
    assert not folder.exists() and list((tmp_path / "ptr").iterdir()) == []


def test_store_copies_are_made_in_one_place_and_an_export_sweeps_beside_its_output(
        lib: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import studio.library.media_store as store_module

    clip = write_clip(np.full((6, 32, 32, 3), 50, np.uint8), None, 24, 48000, tmp_path / "c.mp4")
    folders: list[Path] = []

    def spy(dest: Path, tmp_dir: Path | None = None):  # noqa: ANN202 -- a context manager, as atomic_path
        folders.append(Path(tmp_dir) if tmp_dir else Path(dest).parent)
        return atomic_path(dest, tmp_dir)

    monkeypatch.setattr(store_module, "atomic_path", spy)
    lib.import_media(clip)
    assert folders == [lib.root / "cache" / "incoming"]  # not beside the file in media/ab/
    stale = tmp_path / "out" / f"{scratch.EXPORT_PREFIX}{scratch.owner_tag(_dead_pid())}-zz"
    stale.mkdir(parents=True)
    assert scratch.sweep_beside(tmp_path / "out") == [stale] and not stale.exists()
