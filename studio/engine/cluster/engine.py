"""The cluster engine: the library's durable queue drained by Ray slot actors, behind the Runner's calls.

Everything that is the studio's stays here: the jobs are the library's rows (so they survive a restart
as local ones do), takes are recorded here, and a finished MP4 enters the library in one transaction
(`complete_take`) after its SHA-256 matched. The cluster only computes. A dispatcher thread hands the
first waiting job to a free actor, preferring one that holds the job's model warm; one thread per
running job reads the actor's stream of events and result. An actor or node that dies takes its job
with it: the job runs again once on another actor, then fails with the reason.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.errors import EngineError, KinoraError, LibraryError
from studio.recipe import Recipe

from ..events import RESUME_RESTARTS, EngineEvent
from ..registry import DEFAULT_REGISTRY, ModelSpec, Registry
from ..runner import ProgressRecorder, Runner
from .pool import Slot, SlotPool
from .transfer import ResultReceiver, pack_inputs
from .wire import ClusterJob, ResultHeader

if TYPE_CHECKING:
    from studio.library import Library

log = logging.getLogger(__name__)

EventCallback = Callable[[EngineEvent], None]
MAX_ATTEMPTS = 2  # a job whose actor died runs once more elsewhere, then fails
STOP_TIMEOUT_S = 30.0
SLOT_WAIT_S = 300.0  # run_take: how long to wait for a free slot before giving up


@dataclass
class _Run:
    """A job on an actor (fields after `slot` change while it runs; guarded by the engine's lock)."""

    take_id: int
    job_id: int
    slot: Slot
    attempt: int
    claimed_at: float
    stream: Any = None  # ray.ObjectRefGenerator
    stop_reason: str | None = None  # "canceled" or "paused" once the user asked
    thread: threading.Thread | None = None


class ClusterEngine:
    """Drives the library's queue on a Ray cluster: start, submit, cancel, pause, resume, unload, stop, run_take.

    `on_event` is called on the engine's threads with the same `EngineEvent`s the local Runner sends
    (take and job ids are this library's). Control calls may block briefly on Ray: call them off the GUI thread.
    """

    def __init__(self, library: Library, pool: SlotPool, *, on_event: EventCallback | None = None,
                 registry: Registry | None = None, owns_pool: bool = True, storage: str | None = None) -> None:
        self.library = library
        self.pool = pool
        self.storage = storage if storage is not None else pool.settings.storage
        self.on_event = on_event or (lambda event: None)
        self.registry = registry or DEFAULT_REGISTRY
        self.owns_pool = owns_pool
        # The local engine's queue bookkeeping (takes, jobs, events), never started: the actors do the work,
        # and the weights must be on them, not here.
        self._queue = Runner(library, on_event=lambda event: self.on_event(event), registry=self.registry,
                             require=self._require_on_workers)
        self.warmed = threading.Event()  # set once an actor has started and can take a job
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._runs: dict[int, _Run] = {}  # take id -> its job on an actor
        self._attempts: dict[int, int] = {}  # take id -> runs started (failover counts them)
        self._avoid: dict[int, int] = {}  # take id -> slot whose actor died running it

    @property
    def address(self) -> str:
        return self.pool.settings.address

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the dispatcher (idempotent). The pool must have been started (make_engine does it)."""
        if self._thread is not None and self._thread.is_alive():
            return
        if not self.pool.slots:
            self.pool.start()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="kinora-cluster", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = STOP_TIMEOUT_S) -> None:
        """Stop dispatching; running jobs are paused (they resume after the next start), as locally."""
        self._stopping.set()
        self._wake.set()
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            self._stop_run(run, "paused")
        deadline = time.monotonic() + (timeout or 0)
        for run in runs:
            if run.thread is not None:
                run.thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            left = list(self._runs.values())
        for run in left:  # the actor did not answer in time: park the job here; the actor is shut down below
            self._record(run, "paused", "")
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self.owns_pool:
            self.pool.shutdown()

    # ---- the Runner's control surface -----------------------------------------------------------
    def submit(self, recipe: Recipe, *, parent_take_id: int | None = None, remix_kind: str | None = None,
               origin: str = "") -> int:
        """Queue a recipe; returns the new take's id. EngineError (and a failed take) when no worker can run it."""
        take_id = self._queue.submit(recipe, parent_take_id=parent_take_id, remix_kind=remix_kind, origin=origin)
        self._wake.set()
        return take_id

    def cancel(self, take_id: int) -> None:
        """Cancel a take's job: within one denoising step on its actor if it runs, at once if it waits."""
        self._stop_take(take_id, "canceled")

    def pause(self, take_id: int) -> None:
        """Park a take's job; its actor unloads the model, as the local engine does."""
        self._stop_take(take_id, "paused")

    def resume(self, take_id: int) -> None:
        self._queue.resume(take_id)
        self._wake.set()

    def unload(self) -> None:
        """Ask the idle actors to drop their models (busy ones keep theirs until their job ends)."""
        with self._lock:
            idle = [slot for slot in self.pool.slots if not slot.busy]
            for slot in idle:
                slot.warm_model = None
        for slot in idle:
            slot.actor.unload.remote()

    def run_take(self, take_id: int) -> None:
        """Run this take's pending job on the cluster and wait for it (`kinora generate --ray`).

        Other jobs of the library stay where they are. EngineError when the take has no job waiting,
        or no actor of the cluster becomes free within SLOT_WAIT_S.
        """
        if self._thread is not None and self._thread.is_alive():
            raise EngineError("The cluster engine's dispatcher is running; submit to it instead of run_take().")
        if not self.pool.slots:
            self.pool.start()
        deadline = time.monotonic() + SLOT_WAIT_S
        while True:
            job = next((j for j in self.library.jobs_for_take(take_id) if j.status == "pending"), None)
            if job is None:
                raise EngineError(f"Take {take_id} has no job waiting to run: another Kinora may have started it, "
                                  "or it was canceled or paused.")
            run = self._dispatch(lambda: self.library.claim_job(job.id), take_id)
            if run is not None:
                if run.thread is not None:
                    run.thread.join()
                if not any(j.status == "pending" for j in self.library.jobs_for_take(take_id)):
                    return  # done, failed, canceled or paused; pending again means its actor died: next attempt
                continue
            if time.monotonic() > deadline:
                raise EngineError(f"No actor of the Ray cluster at {self.address} became free within "
                                  f"{SLOT_WAIT_S:.0f} s; is another studio using every slot?")
            self.pool.wait_ready(1.0)
            time.sleep(0.1)

    # ---- dispatching ----------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                if self._dispatch(self.library.claim_next_job) is not None:
                    continue
            except Exception:  # a library or cluster hiccup must not end the dispatcher
                log.exception("cluster engine: could not hand out a job; trying again")
            self._wake.wait(0.2)
            self._wake.clear()

    def _dispatch(self, claim: Callable[[], Any], take_id: int | None = None) -> _Run | None:
        """Claim a job (with `claim`) when an actor is free and start it there; None when nothing started."""
        free = [slot for slot in self.pool.refresh() if not slot.busy]
        if free:
            self.warmed.set()
        with self._lock:
            free = [slot for slot in free if not slot.busy]
            if not free or self._stopping.is_set() and take_id is None:
                return None
            job = claim()
            if job is None:
                return None
            take = self.library.take(job.take_id)
            slot = _pick(free, take.recipe.model_id if take.recipe else "", self._avoid.get(job.take_id))
            slot.busy = True
            slot.jobs += 1
            attempt = self._attempts.get(job.take_id, 0) + 1
            self._attempts[job.take_id] = attempt
            run = _Run(job.take_id, job.id, slot, attempt, time.monotonic())
            self._runs[job.take_id] = run
        run.thread = threading.Thread(target=self._drive, args=(run,), name=f"kinora-cluster-{run.take_id}",
                                      daemon=True)
        run.thread.start()
        return run

    def _drive(self, run: _Run) -> None:
        """Send the job to its actor and follow its stream to the end (on its own thread)."""
        import ray
        from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError, TaskCancelledError

        try:
            take = self.library.take(run.take_id)
            assert take.recipe is not None, f"take {run.take_id} has no recipe"
            job = ClusterJob(take.recipe, pack_inputs(self.library, take.recipe), self.storage)
            with self._lock:
                if run.stop_reason is not None:  # stopped before it left: nothing to tell the actor
                    raise _Stopped(run.stop_reason)
            stream = run.slot.actor.run.options(num_returns="streaming").remote(job)
            with self._lock:
                run.stream, reason = stream, run.stop_reason
            if reason is not None:  # asked while the job was on its way: tell the actor now
                self._stop_run(run, reason)
            self._follow(run, take.recipe, ray)
        except _Stopped as stopped:
            self._record(run, stopped.reason, "")
        except TaskCancelledError:
            self._record(run, run.stop_reason or "canceled", "")
        except (ActorDiedError, ActorUnavailableError, RayActorError) as exc:
            self._lost(run, exc)
        except Exception as exc:  # every failure becomes a failed take with a readable message
            cause = getattr(exc, "cause", None)  # a RayTaskError carries the actor's own exception
            error = cause if isinstance(cause, KinoraError) else exc
            if isinstance(error, KinoraError):
                message = f"{error} (on Ray worker {run.slot.info.node if run.slot.info else '?'})"
            else:
                log.warning("take %s failed on the cluster", run.take_id, exc_info=True)
                what = f"{type(cause).__name__}: {cause}" if cause is not None else _first_line(error)
                message = f"Generation failed unexpectedly on the Ray cluster: {what}"
            self._record(run, "failed", message)

    def _follow(self, run: _Run, original: Recipe, ray: Any) -> None:
        """Read the actor's stream: forward progress, then import the result or record the outcome."""
        header: ResultHeader | None = None
        received: ResultReceiver | None = None
        first_event_at: float | None = None
        library, job_id = self.library, run.job_id
        # The job's place in its row, as the local Runner writes it: `kinora show`, the API and other studios read it.
        record = ProgressRecorder(lambda event: library.set_job_progress(job_id, event.phase, event.step,
                                                                         event.total, event.fraction))
        try:
            for ref in run.stream:
                item = ray.get(ref)
                if isinstance(item, EngineEvent):
                    first_event_at = first_event_at or time.monotonic()
                    if item.phase == "done":
                        continue  # done here means done in this library, after the import
                    if item.phase in ("failed", "canceled", "paused"):
                        self._record(run, item.phase, item.message)
                        return
                    event = dataclasses.replace(item, take_id=run.take_id, job_id=run.job_id)
                    self.on_event(event)
                    record(event)
                elif isinstance(item, ResultHeader):
                    header = item
                    received = ResultReceiver(Path(self.library.cache_dir) / "engine", item)
                elif received is not None:
                    received.write(item)
        except BaseException:
            if received is not None:  # half a file (the actor died mid-transfer): nothing of it stays
                received.discard()
            raise
        if header is None or received is None:
            raise EngineError("The Ray worker ended the job without a result or a reason.")
        self._import(run, original, header, received, first_event_at)

    def _import(self, run: _Run, original: Recipe, header: ResultHeader, received: ResultReceiver,
                first_event_at: float | None) -> None:
        """Check the bytes, then record the take in one transaction, as a local take is recorded."""
        arrived = time.monotonic()
        try:
            path = received.finish()
            if run.stop_reason is not None:
                raise _Stopped(run.stop_reason)
            recipe = header.recipe.replace(source_take_id=original.source_take_id, source_path=original.source_path,
                                           image=original.image, keyframes=original.keyframes)
            # What the cluster added to the worker's own phases: reaching the actor, and the bytes' trip back.
            timings = {**header.timings,
                       "dispatch_s": round((first_event_at or arrived) - run.claimed_at, 4),
                       "transfer_s": round(received.seconds, 4)}
            self.library.complete_take(run.take_id, path, recipe=recipe, timings=timings)
        except _Stopped as stopped:
            self._record(run, stopped.reason, "")
            return
        finally:
            received.discard()
        with self._lock:
            run.slot.warm_model = original.model_id
        self._finish(run)
        self.on_event(EngineEvent(run.take_id, run.job_id, "done", elapsed_s=time.monotonic() - run.claimed_at))

    # ---- outcomes -------------------------------------------------------------------------------
    def _record(self, run: _Run, phase: str, message: str) -> None:
        """A job that ended without a take (failed, canceled, paused) in this library's words."""
        if phase == "paused":
            # NOT BUILT: the actor keeps a resume point in its own scratch library, which the next actor never sees.
            message = f"{RESUME_RESTARTS}: a job on a Ray cluster keeps no resume point (not built)."
        try:
            if phase == "paused":
                self.library.set_job_status(run.job_id, "paused")
                self.library.set_job_resume(run.job_id, None, message.rstrip("."))
                self.library.update_take(run.take_id, status="queued")
            else:
                self.library.set_job_status(run.job_id, phase)
                self.library.update_take(run.take_id, status=phase, error=message or None)
        except LibraryError:
            log.exception("could not record that take %s is %s", run.take_id, phase)
        with self._lock:
            if phase == "paused":
                run.slot.warm_model = None  # the actor unloads on pause, as the local engine does
        self._finish(run)
        self.on_event(EngineEvent(run.take_id, run.job_id, phase, message=message))

    def _lost(self, run: _Run, exc: BaseException) -> None:
        """The actor (or its node) died mid-job: a fresh actor takes its slot; the job runs again once."""
        reason = _first_line(exc)
        log.warning("Ray slot %s lost while making take %s: %s", run.slot.index, run.take_id, reason)
        if not self._stopping.is_set():
            self.pool.replace(run.slot)
        if run.stop_reason is not None:
            self._record(run, run.stop_reason, "")
            return
        if run.attempt >= MAX_ATTEMPTS:
            self._record(run, "failed", f"The Ray workers stopped {run.attempt} times while making this take "
                                        f"(last: {reason}). Try again; check the workers' logs (`ray logs`).")
            return
        with self._lock:
            self._avoid[run.take_id] = run.slot.index
        self.library.set_job_status(run.job_id, "pending")
        self.library.update_take(run.take_id, status="queued")
        self._finish(run, requeued=True)
        self.on_event(EngineEvent(run.take_id, run.job_id, "queued",
                                  message=f"The Ray worker stopped ({reason}); running the take again on another."))

    def _finish(self, run: _Run, requeued: bool = False) -> None:
        """The run is over: free its slot; the failover count lives on only for a job queued again after a loss."""
        with self._lock:
            if self._runs.get(run.take_id) is run:
                del self._runs[run.take_id]
            run.slot.busy = False
            if not requeued:
                self._attempts.pop(run.take_id, None)
                self._avoid.pop(run.take_id, None)
        self._wake.set()

    def _stop_take(self, take_id: int, reason: str) -> None:
        with self._lock:  # held so that the dispatcher cannot claim the job meanwhile
            run = self._runs.get(take_id)
            if run is None:  # a waiting job: the local engine's bookkeeping, word for word
                (self._queue.cancel if reason == "canceled" else self._queue.pause)(take_id)
        if run is not None:
            self._stop_run(run, reason)

    def _stop_run(self, run: _Run, reason: str) -> None:
        """Cancel through Ray (`ray.cancel`, which the actor checks every step); pause by asking the actor."""
        import ray

        with self._lock:
            run.stop_reason = reason
            stream = run.stream
        if stream is None:
            return  # _drive sees stop_reason before it sends the job
        if reason == "canceled":
            ray.cancel(stream)
        else:
            run.slot.actor.stop.remote(reason)

    def _require_on_workers(self, spec: ModelSpec) -> None:
        """EngineError unless an actor has the model's weights (built-in and tiny models need none)."""
        if not spec.needs_weights:
            return
        installed = self.pool.installed_models()
        if not installed and not self.pool.refresh():
            self.pool.wait_ready()
            installed = self.pool.installed_models()
        if spec.id not in installed:
            started = len(self.pool.refresh())
            raise EngineError(f"None of the {started} Ray workers at {self.address} has the weights of '{spec.id}'; "
                              f"run `kinora models pull {spec.id}` on each worker (or point KINORA_MODELS at a "
                              "shared folder), or generate on this computer.")


class _Stopped(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _pick(free: list[Slot], model_id: str, avoid: int | None) -> Slot:
    """A free slot: one holding the model warm, else an empty one, else any; not the one that just died."""
    choices = [slot for slot in free if slot.index != avoid] or free
    for wanted in (lambda s: s.warm_model == model_id, lambda s: s.warm_model is None):
        for slot in choices:
            if wanted(slot):
                return slot
    return choices[0]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
