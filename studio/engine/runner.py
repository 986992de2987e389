"""The job runner: one worker thread owns the device and works through the library's durable queue.

Jobs are rows in the library, so a crash loses nothing: jobs left behind come back paused after a
restart (Library.open does that) and the user resumes them. The runner keeps the last model warm,
applies the memory policy, retries once with a more frugal policy after an out-of-memory error,
and records every outcome as a take: done (with its file, final recipe and timings), failed (with a
readable message), canceled, or back to queued when paused. A job paused while denoising keeps a resume
point (studio.engine.resume) where its backend allows; Resume then continues from that step.
"""

from __future__ import annotations

import logging
import random
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from studio.cancel import CancelToken
from studio.errors import Cancelled, EngineError, KinoraError
from studio.recipe import MAX_SECONDS, MIN_SECONDS, REMIX_MODES, Recipe
from studio.scratch import ENGINE_PREFIX, owner_tag

from . import resume as resume_points
from .backends import Backend, load_backend
from .backends.base import SourceClip
from .events import FINAL_PHASES, RESUME_RESTARTS, EngineEvent, EventCallback
from .longform import generate_clip, is_chained
from .memory import (
    OOM_TIP,
    POLICIES,
    JobShape,
    MemoryPlan,
    choose_plan,
    detect_device,
    is_out_of_memory,
    next_plan,
    release_memory,
)
from .registry import DEFAULT_REGISTRY, ModelSpec, Registry, require_installed
from .sources import load_source
from .warm import spare_a_core, warm_imports

if TYPE_CHECKING:
    from studio.library import Library, TakeRecord

log = logging.getLogger(__name__)

PREVIEW_EVERY = 4  # denoising steps between live previews (the first and the last step always get one)
WATCH_EVERY_S = 0.5  # how often a running job's row is read for a cancel made by another process
RECORD_EVERY_S = 0.5  # how often a running job's step is written to its row (a new phase is written at once)


class ProgressRecorder:
    """Writes a running job's place (phase, step, progress) to its row for the processes that did not start it:
    a new phase at once, steps at most every RECORD_EVERY_S; final phases are left to the job's status."""

    def __init__(self, record: Callable[[EngineEvent], None]) -> None:
        self._record = record
        self._recorded: tuple[str, float] = ("", 0.0)  # the phase last written, and when

    def __call__(self, event: EngineEvent) -> None:
        if event.phase in FINAL_PHASES:
            return
        now = time.monotonic()
        if event.phase != self._recorded[0] or now - self._recorded[1] >= RECORD_EVERY_S:
            self._recorded = (event.phase, now)
            try:
                self._record(event)
            except Exception:  # a busy database must not fail the generation; the next write catches up
                log.warning("could not record take %s's progress", event.take_id, exc_info=True)


class _Reporter:
    """Turns a backend's (phase, step, total, preview) calls into EngineEvents with elapsed time and ETA."""

    def __init__(self, emit: EventCallback, take_id: int, job_id: int | None, preview_every: int,
                 origin: str = "", watch: Callable[[], None] | None = None,
                 record: Callable[[EngineEvent], None] | None = None) -> None:
        self._emit = emit
        self.take_id = take_id
        self.job_id = job_id
        self.preview_every = max(1, preview_every)
        self.origin = origin
        self._watch = watch
        self._watched = time.monotonic()
        self._record = ProgressRecorder(record) if record is not None else None
        self.started = time.monotonic()
        self.phase_started: dict[str, float] = {}
        self._denoise_start: float | None = None
        self._first_step = 0  # steps done before this run's first report (a resumed job starts past 0)

    def emit(self, event: EngineEvent) -> None:
        """Tell the listener, and write the job's place to its row for other processes (throttled)."""
        self._emit(event)
        if self._record is not None:
            self._record(event)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def phase(self, phase: str, message: str = "", step: int = 0, total: int = 0) -> None:
        self.phase_started.setdefault(phase, time.monotonic())
        self.emit(EngineEvent(self.take_id, self.job_id, phase, step, total, self.elapsed(), None, None, message,
                              self.origin))

    def __call__(self, phase: str, step: int, total: int, preview: Callable[[], np.ndarray] | None) -> None:
        now = time.monotonic()
        if self._watch is not None and now - self._watched >= WATCH_EVERY_S:
            self._watched = now
            self._watch()
        self.phase_started.setdefault(phase, now)
        eta = None
        image = None
        if phase == "denoising":
            if self._denoise_start is None:
                # The first step report ends the first step: its start is when encoding ended.
                self._denoise_start = self.phase_started.get("encoding", self.phase_started.get("loading", now))
                self._first_step = max(0, step - 1)
            if step > self._first_step:
                per_step = (now - self._denoise_start) / (step - self._first_step)
                eta = per_step * (total - step)
            if preview is not None and (step == 1 or step % self.preview_every == 0 or step == total):
                image = preview()  # from the first step on, so the Queue never waits `preview_every` steps
        self.emit(EngineEvent(self.take_id, self.job_id, phase, step, total, self.elapsed(), eta, image, "",
                              self.origin))

    def timings(self) -> dict[str, float]:
        """Seconds spent per phase (each phase lasts until the next one began), and the total."""
        order = sorted(self.phase_started.items(), key=lambda item: item[1])
        end = time.monotonic()
        result: dict[str, float] = {}
        for (name, start), following in zip(order, order[1:] + [("end", end)]):
            result[f"{name}_s"] = round(following[1] - start, 4)
        result["total_s"] = round(end - self.started, 4)
        return result


class Runner:
    """Generates the library's queued takes on one worker thread (or the caller's, with run_until_idle)."""

    def __init__(self, library: Library, *, on_event: EventCallback | None = None, registry: Registry | None = None,
                 memory_policy: str | None = None, preview_every: int = PREVIEW_EVERY,
                 require: Callable[[ModelSpec], object] = require_installed) -> None:
        self.library = library
        self.on_event = on_event or (lambda event: None)
        self.registry = registry or DEFAULT_REGISTRY
        self.memory_policy = memory_policy
        self.preview_every = preview_every
        self.require = require  # where submit wants the weights: here, or (the cluster engine) on its workers
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._current: tuple[int, CancelToken] | None = None  # (take id, token) of the running job
        self._backend: Backend | None = None
        self._backend_key: tuple[str, MemoryPlan] | None = None
        # After running out of memory, the plan that worked, per model: later jobs start there instead of
        # reloading the whole model into the plan that failed and out again.
        self._plan_floor: dict[str, MemoryPlan] = {}
        # Set once the worker thread has imported what generating needs (it does so before its first job).
        self.warmed = threading.Event()

    # ---- control (any thread) -----------------------------------------------------------------
    def start(self) -> None:
        """Start the worker thread (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="kinora-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop the worker; a running job is paused (it resumes after the next start), the model unloaded."""
        self._stopping.set()
        with self._lock:
            if self._current is not None:
                self._current[1].cancel("paused")
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.unload()

    def submit(self, recipe: Recipe, *, parent_take_id: int | None = None, remix_kind: str | None = None,
               origin: str = "") -> int:
        """Queue a recipe; returns the new take's id. `origin` names who asked ("api": `kinora serve`).

        A model that is unknown, cannot do the mode, or has no weights on disk fails here at once:
        the take is recorded as failed and EngineError (with the pull command) is raised.
        """
        if parent_take_id is None:
            parent_take_id = recipe.source_take_id
        if remix_kind is None and recipe.mode in REMIX_MODES:
            remix_kind = recipe.mode
        take = self.library.create_take(recipe, parent_take_id=parent_take_id, remix_kind=remix_kind)
        try:
            spec = self.registry.get_model(recipe.model_id)
            _check_mode(spec, recipe)
            self.require(spec)
        except EngineError as exc:
            self.library.update_take(take.id, status="failed", error=str(exc))
            self.on_event(EngineEvent(take.id, None, "failed", message=str(exc)))
            raise
        job = self.library.enqueue_job(take.id, origin=origin)
        self.on_event(EngineEvent(take.id, job.id, "queued", origin=origin))
        self._wake.set()
        return take.id

    def cancel(self, take_id: int) -> None:
        """Cancel a take's job: within one denoising step if it runs, at once if it waits."""
        self._stop_take(take_id, "canceled")

    def pause(self, take_id: int) -> None:
        """Park a take's job (it keeps its place); pausing the running job also unloads the model."""
        self._stop_take(take_id, "paused")

    def resume(self, take_id: int) -> None:
        """Put a paused job back in the queue."""
        for job in self.library.jobs_for_take(take_id):
            if job.status == "paused":
                self.library.set_job_status(job.id, "pending")
                self.on_event(EngineEvent(take_id, job.id, "queued"))
        self._wake.set()

    def unload(self) -> None:
        """Drop the warm model and hand its memory back."""
        if self._backend is None:
            return
        self._backend.unload()
        self._backend = None
        self._backend_key = None
        release_memory(unloading=True)

    def run_until_idle(self) -> None:
        """Work through every pending job on the calling thread (scripts and tests); returns when none is left."""
        self._require_no_worker("run_until_idle")
        while (job := self.library.claim_next_job()) is not None:
            self._run_job(job.id, job.take_id)

    def run_take(self, take_id: int) -> None:
        """Run this take's pending job on the calling thread and nothing else (`kinora generate`).

        Other jobs in the library (the studio's queue) stay where they are. EngineError when the take
        has no job waiting (another Kinora took it first, or it was canceled or paused).
        """
        self._require_no_worker("run_take")
        for job in self.library.jobs_for_take(take_id):
            if job.status == "pending" and self.library.claim_job(job.id) is not None:
                self._run_job(job.id, take_id)
                return
        raise EngineError(f"Take {take_id} has no job waiting to run: another Kinora (the studio window?) "
                          "may have started it, or it was canceled or paused.")

    def _require_no_worker(self, method: str) -> None:
        if self._thread is not None and self._thread.is_alive():
            raise EngineError(f"The runner's worker thread is running; submit to it instead of calling {method}().")

    # ---- worker --------------------------------------------------------------------------------
    def _loop(self) -> None:
        self._warm()
        while not self._stopping.is_set():
            try:
                job = self.library.claim_next_job()
                if job is not None:
                    self._run_job(job.id, job.take_id)
                    continue
            except Exception:  # a library hiccup (disk full, locked database) must not kill the worker
                log.exception("engine worker: could not take or record a job; trying again")
            self._wake.wait(0.5)
            self._wake.clear()

    def _warm(self) -> None:
        """Before any job: import what generating needs now, not at the user's first click, and leave a core
        to the rest of the machine. Sets `warmed`, also when it fails: a broken install shows up, with its real
        message, as the first job's failure."""
        try:
            spare_a_core()
            warm_imports()
        except Exception:
            log.exception("engine worker: could not get the generation libraries ready ahead of time")
        finally:
            self.warmed.set()

    def _stop_take(self, take_id: int, reason: str) -> None:
        with self._lock:
            if self._current is not None and self._current[0] == take_id:
                self._current[1].cancel(reason)
                return
        for job in self.library.jobs_for_take(take_id):
            if job.status in ("pending", "paused", "running"):
                self.library.set_job_status(job.id, reason)
                if reason == "canceled":
                    self.library.update_take(take_id, status="canceled")
                    self._end_resume(job.id)
                note = job.resume_note if reason == "paused" else ""  # a waiting job keeps the point it had
                self.on_event(EngineEvent(take_id, job.id, reason, message=note))

    def _run_job(self, job_id: int, take_id: int) -> None:
        token = CancelToken("generation")
        with self._lock:
            self._current = (take_id, token)

        def watch() -> None:  # another process (`kinora serve`, `kinora pause`) may cancel or pause it in the jobs table
            status = self.library.job(job_id).status
            if status in ("canceled", "paused"):
                token.cancel(status)

        def record(event: EngineEvent) -> None:  # progress for the processes that did not start this job
            self.library.set_job_progress(job_id, event.phase, event.step, event.total, event.fraction)

        reporter = _Reporter(self.on_event, take_id, job_id, self.preview_every,
                             origin=self.library.job(job_id).origin, watch=watch, record=record)
        checkpoint = resume_points.Checkpoint()
        stored: Recipe | None = None
        recipe: Recipe | None = None
        spec: ModelSpec | None = None
        try:
            take = self.library.take(take_id)
            if take.recipe is None:
                raise EngineError(f"Take {take_id} has no recipe to generate from.")
            stored = recipe = take.recipe
            spec = self.registry.get_model(recipe.model_id)
            _check_mode(spec, recipe)
            reporter.phase("loading", f"Loading {spec.title}")
            checkpoint = self._resume_checkpoint(job_id, stored, spec, reporter)
            if checkpoint.resume_from is not None:  # the noise of its first run is in the kept latents
                recipe = recipe.replace(seed=checkpoint.resume_from.seed)
            elif recipe.seed is None:
                recipe = recipe.replace(seed=random.SystemRandom().randrange(2**32))
            source = load_source(self.library, recipe)
            result = self._generate(spec, recipe, source, reporter, token, checkpoint)
            token.raise_if_cancelled()
            reporter.phase("writing")
            self._store(take, recipe, result, reporter, token)
            self._end_resume(job_id)
            reporter.phase("done")
        except Cancelled:
            note = self._keep_resume_point(job_id, stored, recipe, spec, checkpoint) if token.reason == "paused" else ""
            self._record_stop(take_id, job_id, token.reason, reporter, note)
        except Exception as exc:  # every failure becomes a failed take with a readable message
            message = str(exc) if isinstance(exc, KinoraError) else f"Generation failed unexpectedly: {exc!r}"
            log.warning("take %s failed", take_id, exc_info=not isinstance(exc, KinoraError))
            self.library.set_job_status(job_id, "failed")
            self._end_resume(job_id)
            self.library.update_take(take_id, status="failed", error=message, timings=reporter.timings())
            reporter.phase("failed", message)
        finally:
            with self._lock:
                self._current = None
            release_memory()  # keeps the warm model; frees what the job left behind

    def _record_stop(self, take_id: int, job_id: int, reason: str, reporter: _Reporter, note: str) -> None:
        if reason == "paused":
            self.library.set_job_status(job_id, "paused")
            self.library.update_take(take_id, status="queued")
            self.unload()
            reporter.phase(reason, f"{note}.")  # what Resume will do for this job
            return
        self.library.set_job_status(job_id, "canceled")
        self._end_resume(job_id)
        self.library.update_take(take_id, status="canceled", timings=reporter.timings())
        reporter.phase(reason)

    # ---- resume points -------------------------------------------------------------------------
    def _resume_file(self, job_id: int) -> Path:
        return resume_points.resume_path(self.library.cache_dir, job_id)

    def _resume_checkpoint(self, job_id: int, stored: Recipe, spec: ModelSpec,
                           reporter: _Reporter) -> resume_points.Checkpoint:
        """The job's kept resume point, checked against its take; one that does not fit is dropped (job restarts)."""
        path = self._resume_file(job_id)
        if not path.exists():
            return resume_points.Checkpoint()
        try:
            point = resume_points.load(path, model_id=spec.id, recipe=stored)
        except resume_points.ResumeMismatch as exc:
            log.warning("take %s: its resume point is not used, the job restarts: %s", reporter.take_id, exc)
            self._end_resume(job_id)
            reporter.phase("loading", f"Resume point not used ({exc}); starting again from the first step")
            return resume_points.Checkpoint()
        reporter.phase("loading", f"Continuing from step {point.take_step + 1} of {point.take_total}")
        return resume_points.Checkpoint(resume_from=point)

    def _keep_resume_point(self, job_id: int, stored: Recipe | None, recipe: Recipe | None, spec: ModelSpec | None,
                           checkpoint: resume_points.Checkpoint) -> str:
        """At a pause: write the point the backend kept (or keep the one this run started from) and record on the job
        row what Resume will do; returns that sentence."""
        point = checkpoint.kept or checkpoint.resume_from
        reason = self._restart_reason(recipe)
        if point is not None and stored is not None and spec is not None:
            try:
                resume_points.save(self._resume_file(job_id), point, model_id=spec.id, recipe=stored)
            except Exception as exc:  # a full disk must not lose the pause itself: the job restarts instead
                log.warning("could not write job %s's resume point", job_id, exc_info=True)
                point, reason = None, f"its resume point could not be written ({exc})"
        if point is None:
            resume_points.discard(self._resume_file(job_id))
            note = f"{RESUME_RESTARTS}: {reason}"
            self.library.set_job_resume(job_id, None, note)
            return note
        note = resume_points.continues_note(point)
        self.library.set_job_resume(job_id, point.take_step, note)
        return note

    def _restart_reason(self, recipe: Recipe | None) -> str:
        """Why a pause of `recipe` kept no resume point (the warm backend says what it cannot keep)."""
        backend = self._backend
        if backend is None or recipe is None:
            return "it was paused before its model was ready"
        if is_chained(backend, recipe):
            return "a clip made of several chained segments is not kept at a pause (not built)"
        return backend.resume_support(recipe) or "it was paused before its first denoising step or at the end of a pass"

    def _end_resume(self, job_id: int) -> None:
        """The job is over: its resume point (if any) goes."""
        resume_points.discard(self._resume_file(job_id))
        self.library.set_job_resume(job_id, None, "")

    def _generate(self, spec: ModelSpec, recipe: Recipe, source: SourceClip | None, reporter: _Reporter,
                  token: CancelToken, checkpoint: resume_points.Checkpoint):  # noqa: ANN202 (GenerationResult)
        """Load (or reuse) the model and generate, stepping once to the next memory policy after running out of
        memory, whether that happened while loading the weights or during the steps."""
        job = JobShape(recipe.width, recipe.height, recipe.frame_count)
        # The card's total memory and the model decide the plan, never what the warm model leaves free.
        plan = choose_plan(spec, detect_device(), override=self.memory_policy, job=job)
        floor = self._plan_floor.get(spec.id)
        if floor is not None and POLICIES.index(floor.policy) > POLICIES.index(plan.policy):
            plan = floor
        retried = False
        while True:
            try:
                backend = self._backend_for(spec, plan)
                result = generate_clip(backend, recipe, source=source, progress=reporter, cancel=token,
                                       checkpoint=checkpoint)
                if retried:
                    self._plan_floor[spec.id] = plan
                return result
            except Exception as exc:
                if not is_out_of_memory(exc):
                    raise
                self.unload()
                stronger = None if retried else next_plan(plan)
                if stronger is None:
                    raise EngineError(f"Out of memory generating with '{spec.id}' (memory policy {plan.policy}). "
                                      f"{OOM_TIP}") from exc
                retried = True
                reporter.phase("loading", f"Out of memory; trying again with memory policy '{stronger.policy}'")
                plan = stronger

    def _backend_for(self, spec: ModelSpec, plan: MemoryPlan) -> Backend:
        """The warm backend when it matches, else load it (after dropping the old one)."""
        key = (spec.id, plan)
        if self._backend is not None and self._backend_key == key:
            return self._backend
        self.unload()
        self._backend = load_backend(spec, plan, self.registry)
        self._backend_key = key
        return self._backend

    def _store(self, take: TakeRecord, recipe: Recipe, result, reporter: _Reporter,  # noqa: ANN001
               token: CancelToken) -> None:
        """Encode to a temporary file and hand it to the library, which records the take in one transaction."""
        from studio.media.encode import write_clip

        if recipe.mode in ("video", "retake") or recipe.auto_seconds:
            # These keep the parent's length and rate, or the model chose the length: record what was made, not
            # the request's defaults (an auto recipe keeps its flag: the same prompt predicts the same length).
            made = round(len(result.frames) / result.fps, 3)
            if MIN_SECONDS <= made <= MAX_SECONDS:
                recipe = recipe.replace(seconds=made, fps=float(result.fps))
        height, width = (int(n) for n in result.frames.shape[1:3])
        if (width, height) != (recipe.width, recipe.height) and 16 <= min(width, height) and max(width, height) <= 4096:
            recipe = recipe.replace(width=width, height=height)  # the file's size (a remix keeps its parent's)
        scratch = Path(self.library.cache_dir) / "engine"
        scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f"{ENGINE_PREFIX}{owner_tag()}-", dir=scratch) as folder:  # swept if killed
            audio = result.audio if recipe.audio else None  # audio off: write_clip lays a silent track
            path = write_clip(result.frames, audio, result.fps, result.sample_rate,
                              Path(folder) / f"take-{take.id}.mp4")
            token.raise_if_cancelled()
            timings = {**reporter.timings(), **{k: round(v, 4) for k, v in result.timings.items()}}
            self.library.complete_take(take.id, path, recipe=recipe, timings=timings)


def _check_mode(spec: ModelSpec, recipe: Recipe) -> None:
    if recipe.mode not in spec.modes:
        can = ", ".join(spec.modes) or "nothing on its own"
        raise EngineError(f"Model '{spec.id}' cannot do mode '{recipe.mode}'; it can do: {can}.")
