"""The slot actor: one per GPU slot, a long-lived process that keeps its model warm between jobs.

It is the local engine, not a copy of it: a `Runner` over a scratch library in the actor's temporary
folder does the loading, the memory plan, the out-of-memory retry, progress, previews, cancel and the MP4.
The actor only translates: the job's input files become scratch files, the Runner's events stream back
through a Ray streaming generator, and the finished MP4 goes back as chunks or as a file on shared storage.
Nothing it makes stays on the worker.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from studio.errors import EngineError
from studio.recipe import Recipe

from ..events import EngineEvent
from ..registry import DEFAULT_REGISTRY, is_installed
from ..warm import warm_imports
from .wire import ClusterJob, InputFile, ResultHeader, WorkerInfo, sha256_of

log = logging.getLogger(__name__)

POLL_S = 0.05  # how often the stream looks at Ray's cancel flag while no event comes


class SlotWorker:
    """Wrapped by `ray.remote` in pool.py (threaded: a `stop` call runs while `run` streams)."""

    def __init__(self, slot: int, memory_policy: str | None = None) -> None:
        from studio.library import Library

        from ..runner import Runner

        self.slot = slot
        self.scratch = Path(tempfile.mkdtemp(prefix=f"kinora-slot{slot}-"))
        self.library = Library.open(self.scratch / "library", recover_jobs=False)
        self.runner = Runner(self.library, on_event=self._deliver, memory_policy=memory_policy)
        self._job_lock = threading.Lock()  # one job at a time; a new one waits for a canceled one to wind down
        self._lock = threading.Lock()
        self._events: queue.Queue[EngineEvent | None] | None = None
        self._take_id: int | None = None
        warm_imports()  # loading, not work: the first job should not pay for importing the engine's libraries

    def info(self) -> WorkerInfo:
        """Who this actor is and which models it can run without a download (no weights are loaded here)."""
        import studio

        installed = tuple(spec.id for spec in DEFAULT_REGISTRY.all_models()
                          if spec.family != "audio" and is_installed(spec))
        return WorkerInfo(self.slot, socket.gethostname(), studio.__version__, installed)

    def stop(self, reason: str) -> None:
        """Cancel ("canceled") or pause ("paused") the running job within one denoising step."""
        with self._lock:
            take_id = self._take_id
        if take_id is not None:
            (self.runner.pause if reason == "paused" else self.runner.cancel)(take_id)

    def unload(self) -> None:
        self.runner.unload()

    def run(self, job: ClusterJob) -> Iterator[EngineEvent | ResultHeader | bytes]:
        """Make one take: its events, then (when done) a ResultHeader and the MP4's chunks.

        Called with num_returns="streaming". `ray.cancel` on the stream is seen here within POLL_S and
        reaches the Runner's cancel token, so the step loop stops within one step.
        """
        import ray

        with self._job_lock:
            events: queue.Queue[EngineEvent | None] = queue.Queue()
            folder = Path(tempfile.mkdtemp(prefix="job-", dir=self.scratch))
            take_id = None
            try:
                recipe = _localize(job.recipe, job.inputs, folder)
                with self._lock:
                    self._events = events
                take_id = self.runner.submit(recipe)  # EngineError here: no weights on this worker
                with self._lock:
                    self._take_id = take_id
                failure: list[BaseException] = []
                thread = threading.Thread(target=self._work, args=(take_id, events, failure),
                                          name=f"kinora-slot{self.slot}", daemon=True)
                thread.start()
                context = ray.get_runtime_context()
                canceled = False
                while True:
                    if not canceled and context.is_canceled():  # ray.cancel on this stream
                        canceled = True
                        self.runner.cancel(take_id)
                    try:
                        event = events.get(timeout=POLL_S)
                    except queue.Empty:
                        continue
                    if event is None:
                        break
                    if event.phase != "queued":
                        yield event
                thread.join()
                if failure:
                    raise failure[0]
                take = self.library.take(take_id)
                if take.status == "done" and take.media_id is not None:
                    yield from self._ship(take.recipe, take.timings, self.library.media_path(
                        self.library.media(take.media_id)), job)
            finally:
                with self._lock:
                    self._events = None
                    self._take_id = None
                self._forget(take_id)
                shutil.rmtree(folder, ignore_errors=True)

    # ---- inside the actor -----------------------------------------------------------------------
    def _deliver(self, event: EngineEvent) -> None:
        with self._lock:
            events = self._events
        if events is not None:
            events.put(event)

    def _work(self, take_id: int, events: queue.Queue[EngineEvent | None],
              failure: list[BaseException]) -> None:
        try:
            self.runner.run_take(take_id)
        except BaseException as exc:  # noqa: BLE001 (handed to the stream, which raises it to the studio)
            failure.append(exc)
        finally:
            events.put(None)

    def _ship(self, recipe: Recipe | None, timings: dict[str, float], path: Path,
              job: ClusterJob) -> Iterator[ResultHeader | bytes]:
        assert recipe is not None
        digest, size = sha256_of(path), path.stat().st_size
        worker = f"{socket.gethostname()} slot {self.slot}"
        if job.storage:
            shared = Path(job.storage)
            target = shared / f"kinora-{digest}.mp4"
            partial = shared / f".kinora-{digest}-{os.getpid()}.part"
            shutil.copyfile(path, partial)
            os.replace(partial, target)  # the studio never sees half a file
            yield ResultHeader(recipe, timings, digest, size, path=str(target), worker=worker)
            return
        count = max(1, -(-size // job.chunk_bytes))
        yield ResultHeader(recipe, timings, digest, size, chunk_count=count, worker=worker)
        with open(path, "rb") as handle:
            for _ in range(count):
                yield handle.read(job.chunk_bytes)

    def _forget(self, take_id: int | None) -> None:
        """Drop the scratch take and its file: the studio's library is the only home of a take."""
        if take_id is None:
            return
        try:
            take = self.library.take(take_id)
            media = self.library.media(take.media_id) if take.media_id is not None else None
            self.library.delete_take(take_id)
            if media is not None:
                self.library.media_path(media).unlink(missing_ok=True)
                self.library.reconcile()  # the row now says "missing": the same bytes made again are stored again
        except Exception:  # a leftover scratch file is no reason to fail a finished take
            log.warning("slot %s: could not clear scratch take %s", self.slot, take_id, exc_info=True)


def _localize(recipe: Recipe, inputs: tuple[InputFile, ...], folder: Path) -> Recipe:
    """The recipe with the job's input files written to `folder` and named by their new paths."""
    changes: dict[str, object] = {}
    keyframes: list[str] = []
    for index, item in enumerate(inputs):
        path = folder / f"{index}-{Path(item.name).name}"
        path.write_bytes(item.data)
        if item.field == "source":
            changes.update(source_take_id=None, source_path=str(path))
        elif item.field == "image":
            changes["image"] = str(path)
        elif item.field == "keyframe":
            keyframes.append(str(path))
        else:
            raise EngineError(f"Unknown input '{item.field}' in a cluster job.")
    if keyframes:
        changes["keyframes"] = tuple(keyframes)
    return recipe.replace(**changes) if changes else recipe

