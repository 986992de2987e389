"""Who owns what across processes: a job's owner and the one engine that owns the GPU.

An owner is named by its process (pid and the process's start time, so a pid the system reused for
another program is not taken for the dead owner) plus a session token, so that two owners in one
process (a test, or a library closed and opened again) are told apart.

`EngineLock` is a small JSON file in the library folder naming the engine that runs the library's
queue. A lock whose process is gone is stale and is simply replaced; nothing has to clean it up.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

ENGINE_LOCK = "engine.lock"
_START_SLACK_S = 1.0  # process start times are read in clock ticks; equal within this
_live_sessions: set[str] = set()  # sessions open in this process (libraries, engine locks)
_live_lock = threading.Lock()


def process_started(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), or None if there is no such process."""
    import psutil  # here, not at the top: the studio window opens its library before psutil is needed (~10 ms)

    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


@functools.cache
def this_process_started() -> float:
    """When this process started (read once)."""
    return process_started(os.getpid()) or 0.0


@dataclass(frozen=True)
class Owner:
    """A process (pid + start time) and a session within it."""

    pid: int
    started: float
    session: str
    role: str = ""  # "studio" | "serve" | "" (whoever did not say)

    @classmethod
    def new(cls, role: str = "") -> Owner:
        """A fresh live session of this process (call `end()` when it is over)."""
        import uuid  # here: the studio window opens its library without making a session (~2 ms)

        owner = cls(os.getpid(), this_process_started(), uuid.uuid4().hex, role)
        with _live_lock:
            _live_sessions.add(owner.session)
        return owner

    def end(self) -> None:
        with _live_lock:
            _live_sessions.discard(self.session)

    @property
    def alive(self) -> bool:
        return owner_alive(self.pid, self.started, self.session)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def owner_alive(pid: int | None, started: float | None, session: str | None) -> bool:
    """Whether the owner so named still runs. Unknown owners (rows from before owners were recorded) are gone."""
    if pid is None or started is None:
        return False
    if pid == os.getpid() and abs(started - this_process_started()) < _START_SLACK_S:
        with _live_lock:
            return session in _live_sessions
    actual = process_started(pid)
    return actual is not None and abs(actual - started) < _START_SLACK_S


class EngineLock:
    """The library's engine-ownership lock file: `acquire` it to run the queue, `release` it when done.

    Only one live engine holds it. `take_from` lets an engine take the lock from a live holder of
    those roles (the studio's engine takes it from `kinora serve`, which yields: see `held`).
    """

    def __init__(self, library_root: Path, role: str) -> None:
        self.path = Path(library_root) / ENGINE_LOCK
        self.role = role
        self._owner: Owner | None = None

    def holder(self) -> Owner | None:
        """The live engine named in the lock file, or None (no file, unreadable, or its process is gone)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            owner = Owner(int(data["pid"]), float(data["started"]), str(data["session"]), str(data.get("role", "")))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return owner if owner.alive else None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock now (another engine may have taken it over)."""
        holder = self.holder()
        return self._owner is not None and holder is not None and holder.session == self._owner.session

    def acquire(self, take_from: tuple[str, ...] = ()) -> bool:
        """Hold the lock if no live engine does (or one of the roles in `take_from` does). True if held."""
        with self._guard():
            holder = self.holder()
            if self._owner is not None and holder is not None and holder.session == self._owner.session:
                return True
            if holder is not None and holder.role not in take_from:
                return False
            owner = Owner.new(self.role)
            tmp = self.path.with_name(f".{ENGINE_LOCK}.{owner.session}.tmp")
            tmp.write_text(json.dumps(owner.to_dict()), encoding="utf-8")
            os.replace(tmp, self.path)
            if self._owner is not None:
                self._owner.end()
            self._owner = owner
            return True

    def release(self) -> None:
        """Give the lock up (only if this object still holds it)."""
        with self._guard():
            if self._owner is None:
                return
            holder = self.holder()
            if holder is not None and holder.session == self._owner.session:
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
            self._owner.end()
            self._owner = None

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Serialise check-and-replace between processes (two engines starting at once)."""
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; the replace is still atomic
            yield
            return
        with open(self.path.with_name(f".{ENGINE_LOCK}.guard"), "ab") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
