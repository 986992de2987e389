"""A running `kinora serve`: the service, its engine host and uvicorn, composed in one place.

Used by the `kinora serve` command, the tests and the benchmark (and, later, a studio menu toggle).
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import uvicorn
from fastapi import APIRouter

from studio.engine import Engine, EngineSettings, make_engine
from studio.engine.events import EngineEvent
from studio.engine.process import EngineProcess
from studio.engine.runner import Runner
from studio.errors import KinoraError
from studio.library import Library

from .app import create_app
from .catalog import ModelMap
from .engine_host import EngineHost
from .keys import KeyStore
from .limits import Limits
from .service import ClearRequest, VideoService

log = logging.getLogger(__name__)


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    models: ModelMap = field(default_factory=ModelMap)
    limits: Limits = field(default_factory=Limits)
    poll_after_ms: int = 1000
    cors_origins: Sequence[str] = ()
    require_keys: bool = False  # forced on for any address that is not loopback
    memory_policy: str | None = None
    check_every: float = 1.0  # seconds between looks at the engine lock
    # True: this server's own engine runs in a child process (as the studio's does), so generating never
    # holds this process's interpreter lock while it answers polls. False: a Runner thread here (tests).
    engine_process: bool = True
    # False: never run an engine here, only queue (the studio's own server: its engine process runs the jobs).
    run_engine: bool = True
    ray_address: str = ""  # HOST:PORT: the jobs run on this Ray cluster (docs/cluster.md), not on this machine
    ray_storage: str = ""  # with ray_address: a folder the workers and this machine share for results


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class KinoraServer:
    """The API over `library`, with its own engine when no other engine owns the GPU."""

    def __init__(self, library: Library, options: ServeOptions, *, keys: KeyStore | None = None,
                 routers: Sequence[APIRouter] = (), public_routers: Sequence[APIRouter] = (),
                 clear: ClearRequest | None = None, after_take: Callable[[int], None] | None = None) -> None:
        self.library = library
        self.options = options
        self.keys_required = options.require_keys or not is_loopback(options.host)
        store = keys or KeyStore()
        if self.keys_required and not store.keys():
            raise KinoraError(f"Serving on {options.host} needs API keys, and there are none: make one with "
                              "`kinora serve keys create NAME`, or serve on 127.0.0.1.")
        # Requests queue through a Runner that never starts in process mode: submit and cancel are rows in the
        # shared jobs table, which whichever engine owns the GPU works through (cancels included).
        self.queue = Runner(library, on_event=self._on_queued, memory_policy=options.memory_policy)
        self.gpu: Engine = self.queue
        if options.ray_address:
            # One line and no server when the cluster cannot be used: --ray asked for it, so no quiet local fallback.
            self.gpu = make_engine(library, EngineSettings.ray(options.ray_address, storage=options.ray_storage),
                                   on_event=self._on_event, memory_policy=options.memory_policy, fallback=False)
        elif options.engine_process:
            self.gpu = EngineProcess(library, on_event=self._on_event, memory_policy=options.memory_policy,
                                     take_engine_lock=False)  # the host below holds the lock for it
        self.videos = VideoService(library, self.queue, models=options.models, limits=options.limits,
                                   poll_after_ms=options.poll_after_ms, clear=clear)
        self.after_take = after_take  # called with each take this server's engine finishes (cameo receipts)
        self.engine = EngineHost(library, self.gpu, check_every=options.check_every,
                                 exclusive=not options.ray_address)
        self.app = create_app(self.videos, keys=store if self.keys_required else None,
                              cors_origins=options.cors_origins, routers=routers, public_routers=public_routers)
        self._uvicorn: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def _on_event(self, event: EngineEvent) -> None:
        self.videos.on_event(event)
        self.engine.observe(event)
        if event.phase == "done" and self.after_take is not None:
            try:
                self.after_take(event.take_id)
            except KinoraError:
                log.exception("kinora serve: after take %s", event.take_id)

    def _on_queued(self, event: EngineEvent) -> None:
        if self.gpu is self.queue:
            self._on_event(event)
        elif event.phase == "queued" and self.engine.owns:
            # Wake our engine now rather than at its next look at the jobs table (half a second).
            # resume() of a job that is not paused only wakes the worker.
            self.gpu.resume(event.take_id)

    @property
    def base_url(self) -> str:
        port = self._uvicorn.servers[0].sockets[0].getsockname()[1] if self._uvicorn and self._uvicorn.servers \
            else self.options.port
        return f"http://{self.options.host}:{port}/v1"

    def _config(self) -> uvicorn.Config:
        return uvicorn.Config(self.app, host=self.options.host, port=self.options.port, log_level="warning",
                              access_log=False, lifespan="off")

    def run(self) -> None:
        """Serve until interrupted (the `kinora serve` command)."""
        self.engine.start()
        try:
            self._uvicorn = uvicorn.Server(self._config())
            self._uvicorn.run()
        finally:
            self.engine.stop()

    def start_in_thread(self, timeout: float = 30.0) -> str:
        """Serve on a background thread (port 0 picks a free one); returns the base URL once it listens."""
        if self.options.run_engine:
            self.engine.start()
        self._uvicorn = uvicorn.Server(self._config())
        self._thread = threading.Thread(target=self._uvicorn.run, name="kinora-serve", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._uvicorn.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.engine.stop()
                raise KinoraError(f"The API server could not start on {self.options.host}:{self.options.port}.")
            time.sleep(0.02)
        return self.base_url

    def stop(self) -> None:
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self.engine.stop()
