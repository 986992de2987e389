"""Running one `kinora` command in a forked child and saying how it ended.

Children are forked from multiprocessing's fork server: one single-threaded process, started once, that has
already imported Kinora, so a child starts in milliseconds (a fresh interpreter takes 1-2 s) and a crash or a
hang of the child never takes the harness down with it. Forking the harness itself (as before) could hang the
child: under pytest it has worker threads, and the child, freeing what those threads held (a PyAV scaler with
slice threads of its own), waited forever on threads that do not exist in it.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# The outcomes the harness counts. "clear": exit 2 with one line per failing file, each "kinora: ...".
ACCEPTED, CLEAR, TRACEBACK, UNCLEAR, CRASH, HANG = "accepted", "clear", "traceback", "unclear", "crash", "hang"
OUTCOMES = (ACCEPTED, CLEAR, TRACEBACK, UNCLEAR, CRASH, HANG)
PRELOADED = ("studio.cli", "studio.library", "studio.media.probe", "studio.project.files",
             "studio.provenance.reader", __name__)
_FORK_SERVER = multiprocessing.get_context("forkserver")


@dataclass(frozen=True)
class Outcome:
    kind: str
    code: int | None
    stderr: str


def preload() -> None:
    """Have the fork server import what the commands use, so each child starts warm (call before the first run)."""
    _FORK_SERVER.set_forkserver_preload(list(PRELOADED))


def run_cli(argv: Sequence[str], library: Path, timeout: float = 30.0, files: int = 1) -> Outcome:
    """Run `kinora ARGV` with KINORA_LIBRARY=library in a forked child, killed after `timeout` seconds."""
    handle, stderr_path = tempfile.mkstemp(prefix="kinora-stderr-")
    os.close(handle)
    try:
        child = _FORK_SERVER.Process(target=_run_child, args=(list(argv), str(library), stderr_path), daemon=True)
        child.start()
        child.join(timeout)
        hung = child.is_alive()
        if hung:
            child.kill()
            child.join()
        stderr = Path(stderr_path).read_text("utf-8", "replace")
    finally:
        os.unlink(stderr_path)
    code = child.exitcode
    if hung or code is None:
        return Outcome(HANG, None, stderr)
    if code < 0:
        return Outcome(CRASH, code, stderr)
    return Outcome(classify(code, stderr, files), code, stderr)


def _run_child(argv: list[str], library: str, stderr_path: str) -> None:
    """In the child: behave exactly as `python -m studio ARGV`, stderr to `stderr_path`, stdout discarded."""
    code = 1
    try:
        os.dup2(os.open(stderr_path, os.O_WRONLY), 2)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        os.environ["KINORA_LIBRARY"] = library
        from studio.cli import main

        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 -- what Python would print for an uncaught exception
        traceback.print_exc()
        code = 1
    finally:
        sys.stderr.flush()
        os._exit(code)


def classify(code: int, stderr: str, files: int = 1) -> str:
    """accepted, clear, traceback or unclear, from an exit code and what went to stderr."""
    if "Traceback (most recent call last)" in stderr:
        return TRACEBACK
    lines = [line for line in stderr.splitlines() if line.strip()]
    if code == 0:
        return ACCEPTED
    if code == 2 and 1 <= len(lines) <= files and all(line.startswith("kinora: ") for line in lines):
        return CLEAR
    return UNCLEAR
