"""`kinora serve`'s own engine: it runs the library's queue only while no other engine owns the GPU.

The engine lock (studio/library/owner.py) names the one engine per machine. With the studio open, its
engine holds the lock and runs the jobs this server queues (it polls the jobs table); the server then
only queues. With no owner, the server takes the lock and starts its Runner. When the studio opens later
it takes the lock from the server, which stops its Runner (the running job is paused by that) and puts
the job back in the queue for the studio's engine; when the studio closes, the server takes over again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from studio.engine.events import FINAL_PHASES, EngineEvent
from studio.library import Library
from studio.library.owner import EngineLock, Owner

log = logging.getLogger(__name__)
CHECK_EVERY_S = 1.0


class Startable(Protocol):
    """A Runner or an EngineProcess: what the host starts while it owns the GPU and stops when it yields."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class EngineHost:
    """Starts and stops `runner` as the engine lock comes and goes."""

    def __init__(self, library: Library, runner: Startable, *, check_every: float = CHECK_EVERY_S,
                 on_change: Callable[[bool, Owner | None], None] | None = None, exclusive: bool = True) -> None:
        self.library = library
        self.runner = runner
        # False: the runner generates elsewhere (a Ray cluster's GPUs), so this machine's GPU lock is not ours
        # to take or yield; the runner runs from start to stop.
        self.exclusive = exclusive
        self.lock = EngineLock(library.root, "serve")
        self.check_every = check_every
        self.on_change = on_change or (lambda owns, holder: None)
        self.owns = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._running_take: int | None = None
        self._seen_lock = threading.Lock()

    def observe(self, event: EngineEvent) -> None:
        """Chain this into the runner's on_event: it tells which take is running."""
        with self._seen_lock:
            if event.phase in FINAL_PHASES:
                if self._running_take == event.take_id:
                    self._running_take = None
            elif event.phase != "queued":
                self._running_take = event.take_id

    def start(self) -> None:
        self.check()
        self._thread = threading.Thread(target=self._loop, name="kinora-serve-engine", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        if self.owns:
            self.runner.stop()
            self.owns = False
        self.lock.release()

    def check(self) -> None:
        """Take the GPU when it is free; give it back when another engine took it."""
        if not self.exclusive:
            if not self.owns:
                self.owns = True
                self.runner.start()
                self.on_change(True, None)
            return
        if not self.owns:
            if self.lock.acquire():
                self.owns = True
                self.runner.start()
                self.on_change(True, None)
        elif not self.lock.held:
            self.owns = False
            with self._seen_lock:
                running = self._running_take
            self.runner.stop()  # pauses the running job at its next step and unloads the model
            if running is not None:  # back in the queue, for the engine that owns the GPU now
                for job in self.library.jobs_for_take(running):
                    if job.status == "paused":
                        self.library.set_job_status(job.id, "pending")
            self.on_change(False, self.lock.holder())

    def _loop(self) -> None:
        while not self._stop.wait(self.check_every):
            try:
                self.check()
            except Exception:  # a hiccup reading the lock must not end the watch
                log.exception("kinora serve: could not check the engine lock")
