"""The engine in its own process (what the studio window uses): takes, errors, a crash, stop.

Each test starts a real child process, which imports torch before its first job (several seconds on
two cores), so the tests are few and each follows a whole story.
"""

from __future__ import annotations

import inspect
import os
import signal
import threading
import time

import pytest

from studio.engine.control import EngineControl, control_methods
from studio.engine.events import FINAL_PHASES, EngineEvent
from studio.engine.process import COMMANDS, EngineProcess, _answer, describe_exit
from studio.engine.runner import Runner
from studio.errors import EngineError
from studio.library import Library
from studio.recipe import Recipe

TINY = dict(model_id="tiny-random", width=32, height=32, fps=8.0, seconds=1.0, guidance=1.0)
WAIT_S = 180.0  # the first job waits for the child's imports; generous for a loaded 2-core machine


class Events:
    """Collects an engine's events (they arrive on its listener thread) and waits for them."""

    def __init__(self) -> None:
        self.items: list[EngineEvent] = []
        self._changed = threading.Condition()

    def __call__(self, event: EngineEvent) -> None:
        with self._changed:
            self.items.append(event)
            self._changed.notify_all()

    def wait_for(self, take_id: int, phases: set[str] | frozenset[str]) -> EngineEvent:
        deadline = time.monotonic() + WAIT_S
        with self._changed:
            while True:
                for event in self.items:
                    if event.take_id == take_id and event.phase in phases:
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"take {take_id} never reached {sorted(phases)}: "
                                         f"{[(e.take_id, e.phase) for e in self.items]}")
                self._changed.wait(left)

    def phases(self, take_id: int) -> list[str]:
        with self._changed:
            return [event.phase for event in self.items if event.take_id == take_id]


@pytest.fixture
def engine(lib):
    events = Events()
    process = EngineProcess(lib, on_event=events)
    process.start()
    yield process, events
    process.stop()


def test_a_take_made_in_the_engine_process_is_done_in_the_library_with_its_events(engine, lib):
    process, events = engine
    assert process.pid is not None and process.pid != os.getpid()
    take_id = process.submit(Recipe("a red ball bounces", steps=4, seed=3, **TINY))

    assert events.wait_for(take_id, FINAL_PHASES).phase == "done"
    take = lib.take(take_id)  # written by the child, read through this process's own connection
    assert take.status == "done" and take.recipe.seed == 3
    assert lib.media_path(lib.media(take.media_id)).is_file()
    phases = events.phases(take_id)
    assert phases[0] == "queued" and "denoising" in phases and phases[-1] == "done"
    previews = [e.preview_rgb for e in events.items if e.take_id == take_id and e.preview_rgb is not None]
    assert previews and previews[-1].dtype.name == "uint8" and previews[-1].shape[2] == 3
    assert process.warmed.is_set()

    # A model without weights is refused in the child; the error (with the command that fetches the
    # weights) reaches the caller here, and the take is recorded as failed.
    with pytest.raises(EngineError, match="kinora models pull ltx-2"):
        process.submit(Recipe("a storm", model_id="ltx-2"))
    failed = [t for t in lib.list_takes() if t.status == "failed"]
    assert len(failed) == 1 and "ltx-2" in failed[0].error

    process.stop()
    assert process.pid is None
    with pytest.raises(EngineError, match="not running"):
        process.submit(Recipe("after stop", steps=2, **TINY))


def test_a_crashed_engine_fails_its_take_and_a_new_one_carries_on(engine, lib):
    process, events = engine
    first_pid = process.pid
    long_take = process.submit(Recipe("a very long walk", steps=500, seed=1, **TINY))
    events.wait_for(long_take, {"denoising"})
    os.kill(first_pid, signal.SIGKILL)  # what the system's out-of-memory killer does

    failed = events.wait_for(long_take, {"failed"})
    assert "stopped unexpectedly (killed by SIGKILL" in failed.message
    take = lib.take(long_take)
    assert take.status == "failed" and "killed by SIGKILL" in take.error
    assert [job.status for job in lib.jobs_for_take(long_take)] == ["failed"]

    deadline = time.monotonic() + WAIT_S
    while process.pid in (None, first_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.pid not in (None, first_pid)  # a fresh engine took over
    next_take = process.submit(Recipe("a short walk", steps=2, seed=2, **TINY))
    assert events.wait_for(next_take, FINAL_PHASES).phase == "done"

    # Stopping while a take is being made parks it: its job is paused, the take waits in the queue.
    parked = process.submit(Recipe("another long walk", steps=500, seed=3, **TINY))
    events.wait_for(parked, {"denoising"})
    process.stop()
    assert [job.status for job in lib.jobs_for_take(parked)] == ["paused"]
    assert lib.take(parked).status == "queued"
    assert "paused" in events.phases(parked)  # the child's last words are delivered before the pipe closes


def test_the_engine_process_leaves_the_studio_queue_alone_when_it_opens_the_library(tmp_path):
    folder = tmp_path / "library"
    with Library.open(folder) as first:
        take_id = Runner(first).submit(Recipe("a train", steps=2, **TINY))
    # Even as the first opener (as on Windows, which has no owner lock), the engine's open pauses nothing.
    with Library.open(folder, recover_jobs=False) as engine_side:
        assert [job.status for job in engine_side.jobs_for_take(take_id)] == ["pending"]
    with Library.open(folder) as studio_side:  # the studio's own open after a crash does pause it
        assert [job.status for job in studio_side.jobs_for_take(take_id)] == ["paused"]


def test_exit_codes_are_described_in_words():
    assert describe_exit(0) == "exit code 0"
    assert describe_exit(3) == "exit code 3"
    assert describe_exit(-signal.SIGSEGV) == "killed by SIGSEGV"
    assert describe_exit(-signal.SIGKILL).startswith("killed by SIGKILL, often the system running out of memory")


def test_the_process_forwards_exactly_the_declared_engine_calls(lib):
    # Its methods are generated from EngineControl; the Runner in the child must take the same calls.
    assert COMMANDS == set(control_methods()) == {"submit", "cancel", "pause", "resume", "unload"}
    for name in control_methods():
        declared = inspect.signature(getattr(EngineControl, name))
        assert inspect.signature(getattr(EngineProcess, name)) == declared
        runner_params = inspect.signature(getattr(Runner, name)).parameters.values()
        assert [(p.name, p.kind, p.default) for p in runner_params] == \
               [(p.name, p.kind, p.default) for p in declared.parameters.values()], name
    engine = EngineProcess(lib)  # never started: no child
    with pytest.raises(TypeError):
        engine.cancel()  # a wrong call fails in the caller's process, as with the old hand-written methods
    with pytest.raises(EngineError, match="not running"):
        engine.cancel(1)
    result, error = _answer(Runner(lib), "stop", (), {})  # the child runs nothing outside the declaration
    assert result is None and "Unknown engine command 'stop'" in str(error)
