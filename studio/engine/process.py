"""The engine in a process of its own, so the studio window's interpreter never runs a model.

Importing torch and running a model hold Python's interpreter lock for stretches of a few hundred
milliseconds; in the window's process that froze the GUI thread (300-400 ms at start-up while torch
loaded, and it never fully went away while generating). The window therefore talks to an
`EngineProcess` instead of a `Runner`: the same control methods and the same `EngineEvent`s on a
callback, but the Runner lives in a spawned child that opens the same library (SQLite in WAL mode is
made for several processes, and the durable queue is its jobs table).

If the child dies (a driver abort, the system's out-of-memory killer), the take it was making is
recorded as failed with a message saying so, and a fresh child is started; the studio keeps running.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from studio.errors import EngineError, KinoraError, LibraryError

from .control import Engine, EngineControl, control_methods
from .events import FINAL_PHASES, EngineEvent, EventCallback

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from studio.library import Library
    from studio.library.owner import EngineLock

log = logging.getLogger(__name__)

CALL_TIMEOUT_S = 60.0  # a control call is library work in the child: seconds at worst, never minutes
LOCK_POLL_S = 0.5  # how often an engine waiting for a `kinora generate` to finish looks at the engine lock
STOP_TIMEOUT_S = 30.0  # stopping pauses the running job at its next denoising step, then unloads
MAX_RESTARTS = 3  # crashes in a row (without a finished take between them) before giving up
ENGINE_NICENESS = 10  # added to the engine process's scheduling niceness (POSIX)
COMMANDS = frozenset(control_methods())  # the Runner methods a call may name: EngineControl's


def _forwarder(name: str) -> Callable[..., Any]:
    """EngineControl's method `name` as a call to the child: same signature and docstring, checked here."""
    declared = getattr(EngineControl, name)
    signature = inspect.signature(declared)

    def forward(self: EngineProcess, *args: Any, **kwargs: Any) -> Any:
        signature.bind(self, *args, **kwargs)  # a wrong call fails here with TypeError, as a real method would
        return self._call(name, *args, **kwargs)

    return functools.update_wrapper(forward, declared)


if TYPE_CHECKING:
    _ControlProxy = EngineControl
else:
    # EngineControl's calls, each forwarded to the child: the surface is generated, never written twice.
    _ControlProxy = type("_ControlProxy", (), {name: _forwarder(name) for name in COMMANDS})


class EngineProcess(_ControlProxy):
    """A Runner in a child process, driven like one: start, stop, and EngineControl's calls (submit, cancel,
    pause, resume, unload), which are generated from that declaration and run by the child's Runner.

    `on_event` is called on a listener thread (as the Runner calls it on its worker thread). The control
    methods block until the child answers, so call them off the GUI thread, as the window does.
    """

    def __init__(self, library: Library, *, on_event: EventCallback | None = None,
                 memory_policy: str | None = None, take_engine_lock: bool = True) -> None:
        self.library = library
        self.on_event = on_event or (lambda event: None)
        self.memory_policy = memory_policy
        # False: the caller holds the library's engine lock for the child (`kinora serve`'s engine host).
        self.take_engine_lock = take_engine_lock
        # Set once the child has imported what generating needs (cleared while a new child starts).
        self.warmed = threading.Event()
        self._lock = threading.Lock()  # guards every field below
        self._send_lock = threading.Lock()  # one message at a time on the pipe
        self._join_lock = threading.Lock()  # two threads waiting on one child race to reap it: one at a time
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._listener: threading.Thread | None = None
        self._pending: dict[int, Future[Any]] = {}
        self._ids = itertools.count(1)
        self._in_flight: dict[int, int | None] = {}  # take id -> job id, for takes the child is making
        self._stopping = False
        self._crashes = 0
        self._fatal: str | None = None  # why the engine cannot run at all (no restart helps)

    # ---- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the child process (idempotent). It imports torch and the pipelines before the first job."""
        with self._lock:
            if self._process is not None and self._process.is_alive():
                return
            self._stopping = False
            self._fatal = None
            self._crashes = 0
            self._spawn()

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Stop the child: a running job is paused (it resumes after the next start), the model unloaded."""
        with self._lock:
            self._stopping = True
            process = self._process
        if process is None:
            return
        try:
            self._call("stop", timeout=timeout)
        except EngineError as exc:
            log.warning("engine process did not stop cleanly: %s", exc)
        with self._join_lock:
            process.join(timeout)
            if process.is_alive():
                log.warning("engine process still running %.0f s after stop; terminating it", timeout)
                process.terminate()
                process.join(5)
                if process.is_alive():
                    process.kill()
                    process.join()
        with self._lock:
            listener = self._listener
            self._conn = self._process = self._listener = None
        if listener is not None:
            listener.join(5)  # it delivers what the child said last (a paused job), then closes the pipe

    @property
    def pid(self) -> int | None:
        """The child's process id (None when it is not running)."""
        with self._lock:
            return self._process.pid if self._process is not None else None

    # ---- parent side -------------------------------------------------------------------------
    def _spawn(self) -> None:
        """Start a child and its listener thread (with self._lock held)."""
        # "spawn", not "fork": forking a process with Qt's and the task pool's threads can deadlock the child.
        import multiprocessing  # imported here: ~10 ms of the window's launch, which spawns after its first frame

        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(target=serve, args=(theirs, str(self.library.root), self.memory_policy,
                                                      self.take_engine_lock),
                                  name="kinora-engine", daemon=True)
        process.start()
        theirs.close()
        self._process, self._conn = process, ours
        self.warmed.clear()
        self._listener = threading.Thread(target=self._listen, args=(process, ours), name="kinora-engine-listener",
                                          daemon=True)
        self._listener.start()

    def _call(self, method: str, *args: Any, timeout: float = CALL_TIMEOUT_S, **kwargs: Any) -> Any:
        future: Future[Any] = Future()
        with self._lock:
            conn = self._conn
            if conn is None:
                raise EngineError(self._fatal or "The engine is not running; restart Kinora Studio.")
            request = next(self._ids)
            self._pending[request] = future
        try:
            with self._send_lock:
                conn.send((request, method, args, kwargs))
            return future.result(timeout=timeout)
        except (OSError, ValueError) as exc:  # the pipe broke: the child is gone (the listener restarts it)
            raise EngineError("The engine process stopped; try again in a moment.") from exc
        except FutureTimeout:
            raise EngineError(f"The engine process did not answer within {timeout:.0f} s; "
                              "if this keeps happening, restart Kinora Studio.") from None
        finally:
            with self._lock:
                self._pending.pop(request, None)

    def _listen(self, process: BaseProcess, conn: Connection) -> None:
        """Deliver the child's events and answers until its end of the pipe closes."""
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                conn.close()
                break
            kind = message[0]
            if kind == "event":
                self._track(message[1])
                self.on_event(message[1])
            elif kind == "reply":
                _, request, result, error = message
                with self._lock:
                    future = self._pending.get(request)
                if future is None or future.done():
                    continue  # the caller gave up waiting
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(result)
            elif kind == "warmed":
                self.warmed.set()
            elif kind == "fatal":
                with self._lock:
                    self._fatal = message[1]
        self._child_gone(process)

    def _track(self, event: EngineEvent) -> None:
        with self._lock:
            if event.phase in FINAL_PHASES:
                self._in_flight.pop(event.take_id, None)
                if event.phase == "done":
                    self._crashes = 0
            elif event.phase != "queued":
                self._in_flight[event.take_id] = event.job_id

    def _child_gone(self, process: BaseProcess) -> None:
        """The pipe closed: after stop() that is the plan; otherwise the child crashed."""
        with self._join_lock:
            process.join(5)
        with self._lock:
            pending = [future for future in self._pending.values() if not future.done()]
            in_flight, self._in_flight = self._in_flight, {}
            expected = self._stopping or process is not self._process
            if not expected:
                self._crashes += 1
                self._process = self._conn = None
                if self._fatal is None and self._crashes > MAX_RESTARTS:
                    self._fatal = (f"The engine process stopped unexpectedly {self._crashes} times in a row "
                                   f"(last: {describe_exit(process.exitcode)}). Restart Kinora Studio; "
                                   "if it happens again, look at the log in the terminal.")
            fatal = self._fatal
        for future in pending:
            future.set_exception(EngineError(fatal or "The engine process stopped before answering; try again."))
        if expected:
            return
        log.error("engine process stopped unexpectedly (%s)", describe_exit(process.exitcode))
        message = (f"The engine process stopped unexpectedly ({describe_exit(process.exitcode)}) while making this "
                   "take. Try again; with a large model, a smaller size, fewer seconds or the 'sequential' "
                   "memory policy needs less memory.")
        for take_id, job_id in in_flight.items():
            self._record_crash(take_id, job_id, message)
        with self._lock:
            if not self._stopping and self._fatal is None:
                self._spawn()

    def _record_crash(self, take_id: int, job_id: int | None, message: str) -> None:
        try:
            if job_id is not None:
                self.library.set_job_status(job_id, "failed")
            self.library.update_take(take_id, status="failed", error=message)
        except LibraryError:
            log.exception("could not record that take %s failed", take_id)
        self.on_event(EngineEvent(take_id, job_id, "failed", message=message))


def describe_exit(exitcode: int | None) -> str:
    """A process's exit code in words: 'exit code 3', 'killed by SIGKILL'."""
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        note = ", often the system running out of memory" if -exitcode == signal.SIGKILL else ""
        return f"killed by {name}{note}"
    return f"exit code {exitcode}"


# ---- child side ----------------------------------------------------------------------------------
def serve(conn: Connection, library_root: str, memory_policy: str | None, take_engine_lock: bool = True) -> None:
    """The child's main: a Runner on the library, driven by the messages on `conn` until "stop" or EOF."""
    # Ctrl+C in the terminal reaches the whole process group; the studio stops us in order instead.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "nice"):
        # When cores are short (CPU generation, the start-up imports) the window is served first; with
        # spare cores, and on a GPU, a lower priority costs the engine nothing.
        os.nice(ENGINE_NICENESS)
    send_lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with send_lock:
            try:
                conn.send(message)
            except (OSError, ValueError):
                pass  # the studio has gone; the receive loop below ends on EOF

    from studio.library import Library

    from .runner import Runner

    try:
        library = Library.open(library_root, recover_jobs=False)
    except KinoraError as exc:
        send(("fatal", f"The engine cannot open the library: {exc}"))
        return
    from studio.library.owner import EngineLock

    # The studio's engine owns the GPU: it takes the lock from `kinora serve` (which then only queues and
    # hands its running job over). A `kinora generate` holding it runs one take: the engine starts when that
    # is done (jobs queued meanwhile wait in the library) rather than load a model beside it. Beside another
    # studio's engine it still runs, as before the lock existed.
    engine_lock = EngineLock(library.root, "studio")
    runner: Engine = Runner(library, on_event=lambda event: send(("event", event)), memory_policy=memory_policy)
    closing = threading.Event()
    starter: threading.Thread | None = None
    if not take_engine_lock or engine_lock.acquire(take_from=("serve",)):
        runner.start()
    elif (holder := engine_lock.holder()) is not None and holder.role == "cli":
        starter = threading.Thread(target=_start_when_free, args=(engine_lock, runner, closing), daemon=True)
        starter.start()
    else:
        log.warning("another Kinora engine owns this library's GPU queue; this studio's engine runs beside it")
        runner.start()

    def announce_warmed() -> None:
        runner.warmed.wait()
        send(("warmed",))

    threading.Thread(target=announce_warmed, daemon=True).start()
    try:
        while True:
            try:
                request, method, args, kwargs = conn.recv()
            except (EOFError, OSError):
                break
            if method == "stop":  # the finally below stops the runner, as it must on EOF too
                send(("reply", request, None, None))
                break
            send(("reply", request, *_answer(runner, method, args, kwargs)))
    finally:
        # Before its first job the worker is only importing: no job to pause, nothing to wait for (a window
        # closed right after opening would otherwise wait the seconds the imports take).
        closing.set()
        if starter is not None:
            starter.join(LOCK_POLL_S * 4)
        warming = not runner.warmed.is_set()
        runner.stop(timeout=0 if warming else STOP_TIMEOUT_S)
        engine_lock.release()
        library.close()
        if warming:
            # The interpreter's exit would wait for the worker's imports to end (seconds): leave now;
            # the library is closed and no job was running.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)


def _start_when_free(lock: EngineLock, runner: Engine, closing: threading.Event) -> None:
    """Start the studio's engine once the `kinora generate` that holds the GPU lets it go."""
    while not closing.wait(LOCK_POLL_S):
        if lock.acquire(take_from=("serve",)):
            runner.start()
            return


def _answer(runner: EngineControl, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Exception | None]:
    """(result, None) or (None, error) for one control call; errors are made safe to send back."""
    if method not in COMMANDS:
        return None, EngineError(f"Unknown engine command '{method}'.")
    try:
        return getattr(runner, method)(*args, **kwargs), None
    except KinoraError as exc:
        return None, exc
    except Exception as exc:  # not every exception pickles; its words are what the user needs
        log.exception("engine command %s failed", method)
        return None, EngineError(f"The engine could not {method}: {exc!r}")


if TYPE_CHECKING:  # the type checker holds the process, like the Runner in serve(), to the one declaration
    def _an_engine(process: EngineProcess) -> Engine:
        return process
