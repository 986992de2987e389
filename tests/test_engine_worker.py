"""The worker thread stays out of the GUI's way: no full garbage collections between jobs on the CPU,
imports warmed (and frozen out of the collector) before the first job, a dropped model freed by an
ordinary pass, one core left to the GUI thread."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest
import torch  # imported up front: its import's own automatic collections are not release_memory's

from studio.engine.memory import release_memory
from studio.engine.runner import Runner
from studio.engine.warm import spare_a_core
from studio.library import Library

TINY = dict(model_id="tiny-random", width=32, height=32, fps=24.0, steps=2)


@pytest.fixture
def lib(tmp_path):
    library = Library.open(tmp_path / "library")
    yield library
    library.close()


@pytest.fixture
def collections():
    """The generations of the garbage collections that run while the test does."""
    seen: list[int] = []

    def record(phase: str, info: dict) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(record)
    yield seen
    gc.callbacks.remove(record)


def test_between_jobs_on_the_cpu_only_young_generations_are_collected(collections):
    release_memory()
    assert collections and max(collections) < 2


class _Model:
    owner: object = None


class _BackendWithACycle:
    """Stands in for a loaded pipeline whose modules point back at it (hooks do that)."""

    def __init__(self) -> None:
        self.model = _Model()
        self.model.owner = self

    def unload(self) -> None:
        pass


def test_unloading_frees_a_long_lived_model_held_only_by_a_reference_cycle(lib):
    runner = Runner(lib)
    backend = _BackendWithACycle()
    model = weakref.ref(backend.model)
    runner._backend, runner._backend_key = backend, ("cycle", None)
    gc.collect()  # survivors move to the oldest generation, as a model in use for a while does
    del backend
    runner.unload()
    assert model() is None


def test_the_worker_warms_its_imports_and_freezes_them_before_any_job(lib):
    import sys

    runner = Runner(lib)
    runner.start()
    try:
        assert runner.warmed.wait(180)
    finally:
        runner.stop()
    assert lib.list_takes() == []  # nothing was generated to get there
    assert "diffusers.pipelines.ltx2" in sys.modules
    assert gc.get_freeze_count() > 0
    assert all(obj is not sys.modules["torch"].__dict__ for obj in gc.get_objects())  # out of every pass


def test_the_thread_that_runs_models_leaves_a_core_to_the_others():
    import os

    seen: list[int] = []

    def worker() -> None:
        seen.append(spare_a_core())
        seen.append(torch.get_num_threads())

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [max(1, (os.cpu_count() or 1) - 1)] * 2
