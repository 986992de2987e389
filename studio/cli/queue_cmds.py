"""`kinora pause TAKE` and `kinora resume TAKE`: park a take's job and take it up again.

Pausing goes through the jobs table, so it reaches whichever engine runs the job (the studio's, `kinora serve`'s,
a `kinora generate` in another terminal): that engine stops it within a step and keeps a resume point where the
model allows. Resume continues from that step, otherwise restarts the job; both commands say which, per job.
"""

from __future__ import annotations

import argparse
import time

from studio.cli.library_access import open_library
from studio.cli.output import emit
from studio.errors import KinoraError
from studio.library.records import JobRecord

PAUSE_WAIT_S = 120.0  # how long `kinora pause` waits for the running engine to stop the job (one step, at most)
POLL_S = 0.2


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "pause", parents=[common], help="pause a take that is generating or waiting (it keeps its place)",
        description="Pause a take's job. A running job stops within one denoising step; where its model allows, "
                    "the step it reached is kept and `kinora resume` continues from there.")
    p.add_argument("take_id", type=int)
    p.set_defaults(handler=cmd_pause)
    p = subparsers.add_parser(
        "resume", parents=[common], help="resume a paused take (here, or on the engine that owns the GPU)",
        description="Resume a paused take: it continues from the step it paused at where its model allows, "
                    "otherwise it restarts. With no engine running it generates here (Ctrl+C cancels); beside "
                    "the studio or `kinora serve` it runs there and this command follows it.")
    p.add_argument("take_id", type=int)
    p.set_defaults(handler=cmd_resume)


def _active_job(lib, take_id: int, statuses: tuple[str, ...]):  # noqa: ANN001, ANN202 (Library, JobRecord)
    lib.take(take_id)  # LibraryError naming a take that does not exist
    return next((j for j in lib.jobs_for_take(take_id) if j.status in statuses), None)


def cmd_pause(args: argparse.Namespace) -> int:
    from studio.engine.events import resume_sentence
    from studio.engine.runner import Runner

    with open_library(args) as lib:
        job = _active_job(lib, args.take_id, ("running", "pending", "paused"))
        if job is None:
            raise KinoraError(f"Take {args.take_id} has no job to pause: it is {lib.take(args.take_id).status}.")
        running = job.status == "running"
        if running:
            lib.set_job_resume(job.id, None, "")  # the engine writes what Resume will do once it has stopped
        Runner(lib).pause(args.take_id)  # through the jobs table: the engine running it stops within a step
        deadline = time.monotonic() + PAUSE_WAIT_S
        while running and not _settled(lib.job(job.id)) and time.monotonic() < deadline:
            time.sleep(POLL_S)
        job = lib.job(job.id)
        if job.status == "done":  # the pause came after its last step: nothing was left to pause
            note = "It finished before it could stop."
        elif running and not job.resume_note:
            note = "Its engine has not stopped it yet; it stops within one step."
        else:
            note = resume_sentence(job.resume_note)
        data = {"take_id": args.take_id, "job_id": job.id, "status": job.status, "resume_step": job.resume_step,
                "note": note}
    emit(args, data, f"Take {args.take_id} {'is done' if job.status == 'done' else 'paused'}. {note}")
    return 0


def _settled(job: JobRecord) -> bool:
    """The engine has answered a pause: it wrote what Resume will do, or the job finished first."""
    return bool(job.resume_note) or job.status == "done"


def cmd_resume(args: argparse.Namespace) -> int:
    from studio.cli.engine_wait import run_here_or_wait
    from studio.cli.generate_cmd import paused_note, run_here
    from studio.cli.progress import ProgressBar
    from studio.engine import EngineSettings, make_engine
    from studio.engine.events import resume_sentence
    from studio.library.owner import EngineLock

    bar = ProgressBar()
    failures: list[KinoraError] = []

    with open_library(args) as lib:
        job = _active_job(lib, args.take_id, ("paused",))
        if job is None:
            raise KinoraError(f"Take {args.take_id} is not paused (it is {lib.take(args.take_id).status}); "
                              "only a paused take can be resumed.")
        print(f"Take {args.take_id}: {resume_sentence(job.resume_note)}", flush=True)
        runner = make_engine(lib, EngineSettings(), on_event=bar.show_event, in_process=True, fallback=False)
        runner.resume(args.take_id)  # pending: an engine that owns the GPU (the studio's) takes it up
        lock = EngineLock(lib.root, "cli")
        try:
            try:
                here = run_here_or_wait(lib, lock, args.take_id, bar)
            except KeyboardInterrupt:
                here = False
                bar.close("Canceling...")
                runner.cancel(args.take_id)
            if here:
                run_here(runner, args.take_id, bar, failures)
        finally:
            runner.unload()
            lock.release()
        bar.close()
        if failures:
            raise failures[0]
        take = lib.take(args.take_id)
        if take.status != "done":
            raise KinoraError(paused_note(lib, args.take_id) or take.error
                              or f"Take {args.take_id} did not finish ({take.status}).")
        data = {"take_id": take.id, "status": take.status, "seed": take.recipe.seed if take.recipe else None,
                "timings": take.timings}
    emit(args, data, f"Take {args.take_id} done in {take.timings.get('total_s', 0):.1f} s.")
    return 0
