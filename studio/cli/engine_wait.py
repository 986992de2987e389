"""`kinora generate` beside another engine: one engine per machine owns the GPU (studio/library/owner.py).

When the studio's engine or `kinora serve`'s holds the engine lock, the CLI's take waits in the library's
shared queue and that engine runs it; the CLI follows the take's job row (its status and the progress the
Runner writes there) instead of loading the model a second time. When no engine owns the GPU, the CLI
takes the lock and runs the take itself.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from studio.library.owner import EngineLock, Owner

if TYPE_CHECKING:
    from studio.cli.progress import ProgressBar
    from studio.library import Library

POLL_S = 0.2  # how often the take's row is read while another engine has it
ENDED_TAKE_STATUSES = ("done", "failed", "canceled")


def engine_name(holder: Owner) -> str:
    """Which engine this is, in words, for the one line that says who runs the take."""
    return {"studio": "the studio's engine", "serve": "`kinora serve`'s engine",
            "cli": "another `kinora generate`"}.get(holder.role, "another Kinora engine") + f" (process {holder.pid})"


def run_here_or_wait(lib: Library, lock: EngineLock, take_id: int, bar: ProgressBar) -> bool:
    """Wait until the take can run here (True: `lock` is held and its job is pending) or has ended on
    another process's engine (False). KeyboardInterrupt reaches the caller, which cancels the take."""
    announced: str | None = None
    while True:
        take = lib.take(take_id)
        if take.status in ENDED_TAKE_STATUSES:
            return False
        jobs = lib.jobs_for_take(take_id)
        job = jobs[-1] if jobs else None
        holder = lock.holder()
        if holder is None and job is not None and job.status in ("pending", "paused") and lock.acquire():
            # No engine owns the GPU (any more): run it here. A job paused because its engine closed
            # (the studio quit mid-take) is taken up again: this command is waiting for its result.
            if job.status == "paused":
                lib.set_job_status(job.id, "pending")
            return True
        if holder is not None and holder.session != announced:
            announced = holder.session
            then = ("it runs here once that one is done" if holder.role == "cli"
                    else "it runs there (Ctrl+C cancels it)")
            bar.close(f"Take {take_id} is queued for {engine_name(holder)}, which owns the GPU; {then}.")
        if job is not None and job.status == "running" and job.phase:
            detail = f"step {job.step}/{job.total}" if job.phase == "denoising" and job.total else ""
            bar.update(job.phase, job.progress, None, detail)
        elif job is not None and job.status == "paused" and holder is not None:
            bar.update("paused", 0.0, None, f"paused in {engine_name(holder)}")
        time.sleep(POLL_S)
