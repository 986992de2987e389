"""What `kinora serve` reads from the library rather than its own memory: progress made by another process's
engine, idempotency keys and each key's share of the queue across a restart (issue 17)."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from studio.engine.events import EngineEvent
from studio.engine.runner import Runner
from studio.library import Library
from studio.library.owner import EngineLock
from studio.recipe import Recipe
from studio.server.limits import Limits
from tests.server_helpers import MATTE, client, running_server

pytestmark = pytest.mark.filterwarnings("ignore:The Sora API is scheduled")


def test_progress_of_a_job_another_processes_engine_runs_reaches_the_api(tmp_path: Path) -> None:
    # The old service knew progress only from its own engine's events, so a job the studio's engine ran stayed
    # at 0 until done; the old tests polled only jobs this server's engine ran.
    folder = tmp_path / "lib"
    folder.mkdir()
    studio = EngineLock(folder, "studio")
    assert studio.acquire()  # the studio's engine owns the GPU: this server only queues
    try:
        with running_server(folder) as server, Library.open(folder, recover_jobs=False) as elsewhere:
            video = client(server).videos.create(prompt="red", **MATTE)
            take_id = video.model_extra["kinora"]["take_id"]
            job = elsewhere.claim_job(elsewhere.jobs_for_take(take_id)[0].id)  # the studio's engine starts it
            assert job is not None
            elsewhere.set_job_progress(job.id, "denoising", 5, 10, EngineEvent(take_id, job.id, "denoising", 5,
                                                                               10).fraction)
            polled = client(server).videos.retrieve(video.id)
            assert polled.status == "in_progress" and polled.progress == 47  # 0.05 + 0.85 * 5/10
    finally:
        studio.release()


def test_the_runner_writes_the_running_jobs_place_to_its_row(lib: Library) -> None:
    seen: list[tuple[str, int, int, float]] = []

    def on_event(event: EngineEvent) -> None:
        if event.phase == "decoding" and not seen:  # denoising is over: its last write is in the row
            job = lib.job(event.job_id)
            seen.append((job.phase, job.step, job.total, job.progress))

    runner = Runner(lib, on_event=on_event)
    take_id = runner.submit(Recipe(prompt="noise", model_id="tiny-random", seconds=0.5, fps=8, width=32, height=32,
                                   steps=4))
    runner.run_take(take_id)
    assert lib.take(take_id).status == "done"
    ((phase, step, total, progress),) = seen
    assert phase == "denoising" and 1 <= step <= total == 4 and 0.05 < progress <= 0.9


def test_a_retried_post_after_a_restart_returns_the_same_video_and_the_queue_limit_holds(tmp_path: Path) -> None:
    # The old server kept idempotency keys and each key's jobs in memory: after a restart a retry queued a
    # second video and the per-key limit started again from zero; the old tests never restarted the server.
    folder = tmp_path / "lib"
    folder.mkdir()
    studio = EngineLock(folder, "studio")
    assert studio.acquire()  # jobs stay queued
    limits = Limits(queued_per_key=2)
    try:
        with running_server(folder, limits=limits) as server:
            first = client(server).videos.create(prompt="red", **MATTE, extra_headers={"Idempotency-Key": "r-1"})
        with running_server(folder, limits=limits) as server:
            again = client(server).videos.create(prompt="red", **MATTE, extra_headers={"Idempotency-Key": "r-1"})
            assert again.id == first.id
            assert len(server.library.list_jobs()) == 1
            client(server).videos.create(prompt="green", **MATTE)
        with running_server(folder, limits=limits) as server:
            with pytest.raises(openai.RateLimitError) as caught:
                client(server).videos.create(prompt="blue", **MATTE)
            assert caught.value.body["code"] == "queue_full"
            assert len(server.library.list_jobs()) == 2
    finally:
        studio.release()
