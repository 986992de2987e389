"""Running one chosen take (what `kinora generate` does) without touching the rest of the queue."""

from __future__ import annotations

import pytest

from studio.engine.runner import Runner
from studio.errors import EngineError
from studio.recipe import Recipe

TINY = dict(model_id="tiny-random", width=32, height=32, fps=8.0, steps=2, seconds=0.5)


def test_claim_job_takes_that_job_only_and_only_while_it_is_pending(lib):
    first = lib.enqueue_job(lib.create_take(Recipe("a cat", **TINY)).id)
    second = lib.enqueue_job(lib.create_take(Recipe("a dog", **TINY)).id)
    claimed = lib.claim_job(second.id)
    assert claimed is not None and claimed.id == second.id and claimed.status == "running"
    assert lib.take(second.take_id).status == "running"
    assert lib.claim_job(second.id) is None  # already taken
    assert lib.job(first.id).status == "pending" and lib.take(first.take_id).status == "queued"
    assert lib.claim_next_job().id == first.id  # the queue still hands out the other one


def test_run_take_generates_its_take_and_leaves_older_pending_jobs_waiting(lib):
    runner = Runner(lib)
    older = runner.submit(Recipe("a cat", **TINY))
    mine = runner.submit(Recipe("a dog", seed=3, **TINY))
    runner.run_take(mine)
    assert lib.take(mine).status == "done"
    assert lib.take(older).status == "queued"
    assert [j.status for j in lib.jobs_for_take(older)] == ["pending"]
    runner.unload()


def test_run_take_without_a_waiting_job_says_so(lib):
    runner = Runner(lib)
    take_id = runner.submit(Recipe("a cat", **TINY))
    runner.cancel(take_id)
    with pytest.raises(EngineError, match=f"Take {take_id} has no job waiting"):
        runner.run_take(take_id)
