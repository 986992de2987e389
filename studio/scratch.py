"""Temporary work that a killed process cannot leave behind for ever.

Every scratch folder and temporary file Kinora makes carries its owner in its name: the process id
and the process's start time (so a recycled pid is not mistaken for the owner). `sweep_library`
runs when a library opens and removes what belongs to processes that are gone; a live owner's
work is never touched. The places are fixed, one set per library:

- `cache/import-<owner>-*`       project import work (bundle media being extracted)
- `cache/engine/tmp-<owner>-*`   a take being encoded before the library adopts it
- `cache/incoming/*<owner>*.part*` media being copied into the store (renamed into media/ when whole)
- `cache/exports/<owner>-*.where` pointers to `.kinora-export-<owner>-*` folders an export makes beside
  its output (beside it, so the final rename never crosses disks)
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

EXPORT_PREFIX = ".kinora-export-"
IMPORT_PREFIX = "import-"
ENGINE_PREFIX = "tmp-"
INCOMING_DIR = "incoming"
EXPORTS_DIR = "exports"
ENGINE_DIR = "engine"
_OWNER = re.compile(r"(?<![0-9])(\d+)_(\d+)-")
_PART = re.compile(r"^\..*\.\d+_\d+-[A-Za-z0-9_]{8}\.part")  # studio.atomic's temporary names


def _start_ticks(pid: int) -> int:
    """The process's start time in clock ticks since boot (Linux); 0 where it cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat.rpartition(")")[2].split()
    return int(fields[19]) if len(fields) > 19 else 0  # field 22 of proc(5), counted after "comm"


def owner_tag(pid: int | None = None) -> str:
    """`<pid>_<start>`: names this process (or `pid`) as the owner of a scratch path."""
    pid = os.getpid() if pid is None else pid
    return f"{pid}_{_start_ticks(pid)}"


def owner_alive(name: str) -> bool:
    """Whether the process named in a scratch path's name still runs (True when the name has no owner)."""
    found = _OWNER.findall(name)
    if not found:
        return True  # not ours to judge
    pid, start = int(found[-1][0]), int(found[-1][1])  # the tag is the last pid_start- in a name
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: it exists
    return start == 0 or _start_ticks(pid) in (0, start)


@contextlib.contextmanager
def scratch_dir(parent: Path, prefix: str, pointer_dir: Path | None = None) -> Iterator[Path]:
    """A folder `<parent>/<prefix><owner>-XXXX`, removed on exit. With `pointer_dir`, a pointer file
    there names it, so a library's sweep can find it although it lies outside the library."""
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{owner_tag()}-", dir=parent))
    pointer = None
    if pointer_dir is not None:
        pointer_dir.mkdir(parents=True, exist_ok=True)
        pointer = pointer_dir / f"{folder.name}.where"
        pointer.write_text(str(folder))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if pointer is not None:
            pointer.unlink(missing_ok=True)


def sweep_library(root: Path) -> list[Path]:
    """Remove the scratch work under a library (and the export folders it points to) whose owner is
    gone; returns what was removed."""
    cache = root / "cache"
    removed: list[Path] = []
    candidates = [p for p in _children(cache) if p.name.startswith(IMPORT_PREFIX)]
    candidates += [p for p in _children(cache / ENGINE_DIR) if p.name.startswith(ENGINE_PREFIX)]
    for parent in [cache, *(p for p in _children(cache) if p.is_dir())]:  # incoming/, signed/, thumbnails/...
        candidates += [p for p in _children(parent) if _PART.match(p.name)]
    for path in candidates:
        if not owner_alive(path.name):
            _remove(path)
            removed.append(path)
    for pointer in _children(cache / EXPORTS_DIR):
        if pointer.suffix != ".where" or owner_alive(pointer.name):
            continue
        folder: Path | None
        try:
            folder = Path(pointer.read_text().strip())
        except OSError:
            folder = None
        # Only what the pointer's own name says was made: a damaged pointer cannot name another folder.
        if folder is not None and folder.name == pointer.stem and folder.name.startswith(EXPORT_PREFIX):
            _remove(folder)
            removed.append(folder)
        pointer.unlink(missing_ok=True)
    if removed:
        log.info("removed %d leftovers of processes that are gone", len(removed))
    return removed


def sweep_beside(folder: Path) -> list[Path]:
    """Remove `.kinora-export-*` folders and temporary files in `folder` whose owner is gone (an export
    cleans next to its output)."""
    removed = [p for p in _children(folder)
               if (p.name.startswith(EXPORT_PREFIX) or _PART.match(p.name)) and not owner_alive(p.name)]
    for path in removed:
        _remove(path)
    return removed


def _children(folder: Path) -> list[Path]:
    try:
        with os.scandir(folder) as entries:
            return [Path(e.path) for e in entries]
    except OSError:
        return []


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
