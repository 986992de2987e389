"""The cluster engine on a local Ray: two slot actors drain the library's queue, stream progress back,
cancel within a step, survive a killed actor, and land takes in the studio's library like local ones.

One Ray (with token authentication) and one pair of actors serve the whole module: starting them costs
most of its time on two cores. Each test opens its own library and its own ClusterEngine over them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (`pip install -e '.[test]'` brings it); "
                                        "the cluster engine is not tested")

from studio.engine import EngineSettings, make_engine  # noqa: E402
from studio.engine.cluster import ClusterEngine, ClusterSettings, SlotPool  # noqa: E402
from studio.engine.cluster.connect import probe  # noqa: E402
from studio.engine.cluster.engine import _pick  # noqa: E402
from studio.engine.cluster.pool import Slot  # noqa: E402
from studio.engine.events import EngineEvent  # noqa: E402
from studio.engine.runner import Runner  # noqa: E402
from studio.errors import EngineError  # noqa: E402
from studio.library import Library  # noqa: E402
from studio.recipe import Recipe  # noqa: E402

pytestmark = pytest.mark.timeout(240)
WAIT_S = 90.0
FINAL = ("done", "failed", "canceled")


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory):
    """A local Ray with two `kinora_gpu_slot`s and token authentication, and the two slot actors."""
    patch = pytest.MonkeyPatch()
    # Ray 2.59+ turns token authentication on for a new local cluster; a token in the environment keeps it
    # off the user's ~/.ray. The actors inherit this environment, offline Hugging Face included.
    patch.setenv("RAY_AUTH_MODE", "token")
    patch.setenv("RAY_AUTH_TOKEN", uuid.uuid4().hex)
    patch.setenv("HF_HUB_OFFLINE", "1")
    patch.setenv("HF_HOME", str(tmp_path_factory.mktemp("ray-hf")))
    patch.delenv("KINORA_MODELS", raising=False)
    from ray._raylet import Config

    Config.initialize("")  # `import ray` read RAY_AUTH_MODE already: read it again (what Ray's own setup does)
    ray.init(num_cpus=2, num_gpus=0, resources={"kinora_gpu_slot": 2}, include_dashboard=False,
             namespace="kinora-tests", log_to_driver=False)
    slots = SlotPool(ClusterSettings(address=ray.get_runtime_context().gcs_address))
    slots.start()
    assert len(slots.wait_ready()) == 2
    yield slots
    slots.shutdown()
    ray.shutdown()
    patch.undo()


class Recorder:
    """The engine's listener: every event, and a wait for a condition on them."""

    def __init__(self) -> None:
        self.events: list[EngineEvent] = []
        self.lock = threading.Lock()

    def __call__(self, event: EngineEvent) -> None:
        with self.lock:
            self.events.append(event)

    def of(self, take_id: int) -> list[EngineEvent]:
        with self.lock:
            return [e for e in self.events if e.take_id == take_id]

    def wait(self, condition, timeout: float = WAIT_S) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "timed out waiting for the cluster engine"
            time.sleep(0.05)


def matte(color: str, **fields) -> Recipe:
    return Recipe(prompt=color, model_id="builtin:matte", **{"seconds": 1, "fps": 12, "width": 64, "height": 48,
                                                              **fields})


def tiny(prompt: str, steps: int = 4, **fields) -> Recipe:
    return Recipe(prompt=prompt, model_id="tiny-random", seconds=0.5, fps=24, width=32, height=32, steps=steps,
                  **fields)


def finished(lib: Library, *take_ids: int) -> bool:
    return all(lib.take(t).status in FINAL for t in take_ids)


@pytest.fixture
def engine(lib, pool):
    recorder = Recorder()
    cluster = ClusterEngine(lib, pool, on_event=recorder, owns_pool=False)
    cluster.start()
    cluster.recorder = recorder
    yield cluster
    cluster.stop()


def test_six_jobs_on_two_actors_report_progress_and_land_in_the_library(lib, pool, engine):
    before = [slot.jobs for slot in pool.slots]
    recipes = [matte(c) for c in ("red", "blue", "green", "#204080")] + [tiny("a fox", seed=7), tiny("rain")]
    take_ids = [engine.submit(r) for r in recipes]
    engine.recorder.wait(lambda: finished(lib, *take_ids))
    for take_id, recipe in zip(take_ids, recipes):
        take = lib.take(take_id)
        assert take.status == "done", take.error
        path = lib.media_path(lib.media(take.media_id))
        assert path.is_file() and path.stat().st_size > 0
        assert take.recipe.prompt == recipe.prompt and take.recipe.seed is not None
        assert {"total_s", "dispatch_s", "transfer_s"} <= set(take.timings)
        phases = [e.phase for e in engine.recorder.of(take_id)]
        assert phases[0] == "queued" and phases[-1] == "done" and "denoising" in phases and "writing" in phases
        last_step = [e for e in engine.recorder.of(take_id) if e.phase == "denoising"][-1]
        assert last_step.step == last_step.total
    assert lib.take(take_ids[4]).recipe.seed == 7
    tiny_steps = [e for e in engine.recorder.of(take_ids[4]) if e.phase == "denoising"]
    assert [e.step for e in tiny_steps] == [1, 2, 3, 4]
    assert any(e.preview_rgb is not None and e.preview_rgb.ndim == 3 for e in tiny_steps)  # live preview came back
    assert all(slot.jobs > old for slot, old in zip(pool.slots, before))  # both actors worked
    assert lib.list_jobs() == []  # the queue is drained


def test_the_same_bytes_twice_come_back_twice(lib, engine):
    # A worker's scratch library deduplicates by hash: the second identical clip must still be shipped.
    first, second = engine.submit(matte("yellow")), engine.submit(matte("yellow"))
    engine.recorder.wait(lambda: finished(lib, first, second))
    assert lib.take(first).status == lib.take(second).status == "done"
    assert lib.take(first).media_id == lib.take(second).media_id


def test_a_job_prefers_the_actor_that_holds_its_model():
    slots = [Slot(0, None, None, warm_model="builtin:matte"), Slot(1, None, None, warm_model="tiny-random"),
             Slot(2, None, None)]
    assert _pick(slots, "tiny-random", None).index == 1
    assert _pick(slots, "builtin:matte", None).index == 0
    assert _pick(slots, "builtin:bars", None).index == 2  # an empty actor before evicting a warm model
    assert _pick(slots[:2], "tiny-random", avoid=1).index == 0  # not where it just died, when another is free
    assert _pick(slots[1:2], "tiny-random", avoid=1).index == 1  # ...but rather there than nowhere


def test_a_result_whose_hash_does_not_match_is_refused_and_removed(tmp_path):
    from studio.engine.cluster.transfer import ResultReceiver
    from studio.engine.cluster.wire import ResultHeader

    data = b"an mp4, supposedly"
    header = ResultHeader(matte("red"), {}, sha256="0" * 64, size=len(data), chunk_count=1, worker="node slot 0")
    received = ResultReceiver(tmp_path / "scratch", header)
    received.write(data)
    with pytest.raises(EngineError, match="arrived damaged"):
        received.finish()
    received.discard()
    assert list((tmp_path / "scratch").iterdir()) == []

def test_cancel_mid_run_stops_within_a_step_and_frees_the_actor(lib, engine):
    take_id = engine.submit(tiny("a long walk", steps=400))
    engine.recorder.wait(lambda: any(e.phase == "denoising" and e.step >= 1 for e in engine.recorder.of(take_id)))
    # The job's row says where it is, as the local Runner writes it (`kinora show`, the API, other studios read
    # it); the cluster engine forwarded progress to its listener only, so the row stayed at step 0.
    engine.recorder.wait(lambda: lib.jobs_for_take(take_id)[0].step >= 1)
    assert lib.jobs_for_take(take_id)[0].phase == "denoising"
    engine.cancel(take_id)
    engine.recorder.wait(lambda: finished(lib, take_id))
    take = lib.take(take_id)
    assert take.status == "canceled" and take.media_id is None
    steps = [e.step for e in engine.recorder.of(take_id) if e.phase == "denoising"]
    assert max(steps) < 400
    assert engine.recorder.of(take_id)[-1].phase == "canceled"
    after = [engine.submit(matte("white")) for _ in range(2)]  # both actors take work again
    engine.recorder.wait(lambda: finished(lib, *after))
    assert all(lib.take(t).status == "done" for t in after)


def test_pause_parks_a_running_job_and_resume_finishes_it(lib, engine):
    take_id = engine.submit(tiny("a paused river", steps=60))
    engine.recorder.wait(lambda: any(e.phase == "denoising" for e in engine.recorder.of(take_id)))
    engine.pause(take_id)
    engine.recorder.wait(lambda: any(e.phase == "paused" for e in engine.recorder.of(take_id)))
    assert lib.take(take_id).status == "queued"
    assert [j.status for j in lib.jobs_for_take(take_id)] == ["paused"]
    engine.resume(take_id)
    engine.recorder.wait(lambda: finished(lib, take_id), timeout=120)
    assert lib.take(take_id).status == "done"


def test_an_actor_killed_mid_job_hands_the_job_to_the_other(lib, pool, engine):
    take_id = engine.submit(tiny("a storm", steps=80))
    engine.recorder.wait(lambda: any(e.phase == "denoising" for e in engine.recorder.of(take_id)))
    victim = engine._runs[take_id].slot
    ray.kill(victim.actor)
    engine.recorder.wait(lambda: finished(lib, take_id), timeout=180)
    take = lib.take(take_id)
    assert take.status == "done", take.error
    requeued = [e for e in engine.recorder.of(take_id) if e.phase == "queued" and "again" in e.message]
    assert len(requeued) == 1 and "Ray worker stopped" in requeued[0].message
    assert pool.slots[victim.index] is not victim and len(pool.slots) == 2  # a fresh actor takes its place


def test_a_model_no_worker_has_fails_at_submit_in_one_line(lib, engine):
    with pytest.raises(EngineError) as caught:
        engine.submit(Recipe(prompt="a city", model_id="ltx-2"))
    message = str(caught.value)
    assert "\n" not in message and "'ltx-2'" in message and "Ray workers" in message
    assert "kinora models pull ltx-2" in message
    failed = lib.list_takes(status="failed")
    assert len(failed) == 1 and failed[0].error == message


def test_remix_sends_the_parent_clip_and_results_can_use_shared_storage(lib, pool, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    recorder = Recorder()
    cluster = ClusterEngine(lib, pool, on_event=recorder, owns_pool=False, storage=str(shared))
    cluster.start()
    try:
        parent = cluster.submit(tiny("a parent"))
        recorder.wait(lambda: finished(lib, parent))
        child = cluster.submit(tiny("its remix", mode="video", source_take_id=parent, strength=0.5))
        recorder.wait(lambda: finished(lib, child))
    finally:
        cluster.stop()
    take = lib.take(child)
    assert take.status == "done", take.error
    assert take.parent_take_id == parent and take.recipe.source_take_id == parent
    assert take.recipe.source_path is None  # the worker's scratch path never reaches the library
    assert list(shared.iterdir()) == []  # the shared copy is removed once the library holds the take


def test_jobs_survive_a_studio_restart(tmp_path, pool):
    folder = tmp_path / "restart"
    lib = Library.open(folder)
    waiting = ClusterEngine(lib, pool, owns_pool=False)  # never started: the jobs wait, then the studio "dies"
    take_ids = [waiting.submit(matte("orange")), waiting.submit(matte("pink"))]
    lib.close()
    lib = Library.open(folder)  # recovers: paused, not started by surprise
    try:
        assert [j.status for j in lib.list_jobs()] == ["paused", "paused"]
        recorder = Recorder()
        cluster = ClusterEngine(lib, pool, on_event=recorder, owns_pool=False)
        cluster.start()
        for take_id in take_ids:
            cluster.resume(take_id)
        recorder.wait(lambda: finished(lib, *take_ids))
        cluster.stop()
        assert all(lib.take(t).status == "done" for t in take_ids)
    finally:
        lib.close()


def test_run_take_runs_one_take_for_the_command_line(lib, pool):
    recorder = Recorder()
    cluster = ClusterEngine(lib, pool, on_event=recorder, owns_pool=False)
    other = cluster.submit(matte("gray"))
    take_id = cluster.submit(matte("purple"))
    cluster.run_take(take_id)
    assert lib.take(take_id).status == "done"
    assert lib.take(other).status == "queued"  # someone else's job stays in the queue
    assert recorder.of(take_id)[-1].phase == "done"


def test_the_queue_dock_shows_cluster_jobs_like_local_ones(qtbot, lib, pool):
    from window_helpers import open_window

    window = open_window(qtbot, lib, start_engine=False)
    cluster = ClusterEngine(lib, pool, on_event=window.bridge.on_event, owns_pool=False)
    window.runner = cluster
    cluster.start()
    window.submit(tiny("a lighthouse on the cluster", steps=6))
    qtbot.waitUntil(lambda: bool(window.queue_panel.take_ids()), timeout=60_000)
    take_id = window.queue_panel.take_ids()[0]
    card = window.queue_panel.card(take_id)
    seen: set[str] = set()
    qtbot.waitUntil(lambda: seen.add(card.state.phase) or card.state.phase == "done", timeout=120_000)
    assert "denoising" in seen or card.state.total == 6
    assert card.state.prompt == "a lighthouse on the cluster"
    assert card.bar.value() == 1000
    assert card.preview.pixmap() is not None and not card.preview.pixmap().isNull()  # the live preview
    assert lib.take(take_id).status == "done"
    window.shutdown()



def test_make_engine_joins_the_cluster_and_stopping_leaves_it_running(lib, pool):
    address = ray.get_runtime_context().gcs_address
    engine = make_engine(lib, EngineSettings.ray(address), in_process=True, fallback=False)
    try:
        assert isinstance(engine, ClusterEngine) and engine.address == address
        assert len(engine.pool.slots) == 2  # its own actors (they wait: this module's pool holds every slot)
    finally:
        engine.stop()
    assert engine.pool.slots == [] and ray.is_initialized()  # it did not join, so it does not leave
    assert len(pool.wait_ready()) == 2

def test_a_job_whose_actors_die_twice_fails_with_the_reason(lib, pool, engine):
    # Last among the tests that need actors: both are replaced here, and warm up again in the background.
    take_id = engine.submit(tiny("an unlucky take", steps=80))
    for attempt in (1, 2):
        engine.recorder.wait(lambda: sum(e.phase == "queued" for e in engine.recorder.of(take_id)) == attempt
                             and engine.recorder.of(take_id)[-1].phase == "denoising", timeout=120)
        ray.kill(engine._runs[take_id].slot.actor)
    engine.recorder.wait(lambda: finished(lib, take_id))
    take = lib.take(take_id)
    assert take.status == "failed" and take.media_id is None
    assert "stopped 2 times" in take.error and "last:" in take.error
    assert engine.recorder.of(take_id)[-1].phase == "failed"
    assert [j.status for j in lib.jobs_for_take(take_id)] == ["failed"]


# ---- reaching a cluster: one line each, and the local engine stays ---------------------------------
def test_an_unreachable_cluster_says_so_and_the_local_engine_stays(lib):
    notices: list[str] = []
    engine = make_engine(lib, EngineSettings.ray("127.0.0.1:9"), in_process=True, notice=notices.append)
    assert isinstance(engine, Runner)
    assert len(notices) == 1 and "\n" not in notices[0]
    assert "cannot be reached" in notices[0] and "127.0.0.1:9" in notices[0]
    with pytest.raises(EngineError, match="not a Ray cluster address"):
        make_engine(lib, EngineSettings.ray("nonsense"), fallback=False)


def test_a_wrong_token_is_named_in_one_line(pool):
    address = ray.get_runtime_context().gcs_address
    probe(address)  # the right token: no complaint
    script = "import sys\nfrom studio.engine.cluster.connect import probe\ntry:\n    probe(sys.argv[1])\n" \
             "except Exception as exc:\n    print(exc)\n"
    env = {**os.environ, "RAY_AUTH_TOKEN": "not-the-token", "PYTHONPATH": str(Path(__file__).parents[1])}
    result = subprocess.run([sys.executable, "-c", script, address], env=env, capture_output=True, text=True,
                            timeout=120)
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and "refused this computer's token" in lines[0], result.stdout + result.stderr


def test_generate_with_an_unreachable_cluster_stops_with_one_line(tmp_path, capsys):
    from studio.cli import main

    status = main(["--library", str(tmp_path / "library"), "generate", "red", "--model", "builtin:matte",
                   "--ray", "127.0.0.1:9"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1 and "127.0.0.1:9 cannot be reached" in err[0]
