"""Running one `kinora` command in a forked child and saying how it ended.

A fork of a process that has already imported Kinora starts in milliseconds (a fresh interpreter takes
1-2 s), and a crash or a hang of the child never takes the harness down with it.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# The outcomes the harness counts. "clear": exit 2 with one line per failing file, each "kinora: ...".
ACCEPTED, CLEAR, TRACEBACK, UNCLEAR, CRASH, HANG = "accepted", "clear", "traceback", "unclear", "crash", "hang"
OUTCOMES = (ACCEPTED, CLEAR, TRACEBACK, UNCLEAR, CRASH, HANG)


@dataclass(frozen=True)
class Outcome:
    kind: str
    code: int | None
    stderr: str


def preload() -> None:
    """Import what the commands use before forking, so each child starts warm."""
    import studio.cli  # noqa: F401
    import studio.library  # noqa: F401
    import studio.media.probe  # noqa: F401
    import studio.project.files  # noqa: F401
    import studio.provenance.reader  # noqa: F401


def run_cli(argv: Sequence[str], library: Path, timeout: float = 30.0, files: int = 1) -> Outcome:
    """Run `kinora ARGV` with KINORA_LIBRARY=library in a forked child, killed after `timeout` seconds."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: behave exactly as `python -m studio ARGV`
        code = 1
        try:
            os.close(read_end)
            os.dup2(write_end, 2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            # Python-level streams too: under pytest they are capture objects, not fds 1 and 2.
            sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
            os.environ["KINORA_LIBRARY"] = str(library)
            from studio.cli import main

            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:  # noqa: BLE001 -- what Python would print for an uncaught exception
            traceback.print_exc()
            code = 1
        finally:
            sys.stderr.flush()
            os._exit(code)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    hung = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            hung = True
            os.kill(pid, signal.SIGKILL)
            break
        ready, _, _ = select.select([read_end], [], [], min(left, 0.5))
        if ready:
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    stderr = b"".join(chunks).decode("utf-8", "replace")
    if hung:
        return Outcome(HANG, None, stderr)
    if os.WIFSIGNALED(status):
        return Outcome(CRASH, -os.WTERMSIG(status), stderr)
    return Outcome(classify(os.WEXITSTATUS(status), stderr, files), os.WEXITSTATUS(status), stderr)


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
