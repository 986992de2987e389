"""Cluster engine: its cost per job over the local engine, and jobs per minute with one and two actors.

A built-in model (`builtin:matte`: no weights, the encoder does most of the work) on a Ray started here
with two `kinora_gpu_slot`s and token authentication. Per job, submit -> "done" in this library:
  - local: a Runner's worker thread (the studio's engine without the process boundary);
  - cluster: a ClusterEngine with one warm actor (dispatch to the actor, the Runner inside it, the MP4
    back through the object store in chunks, hash check, the library transaction here).
Overhead = median cluster job - median local job (target <= 300 ms); dispatch and transfer come from the
take's timings. Then a batch of jobs through the local engine and through one and two actors: jobs per minute.
Run: .venv/bin/python bench/cluster.py     Prints figures; asserts nothing.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SINGLE_JOBS = 15  # sequential jobs for the per-job overhead
BATCH = 16  # jobs per throughput run
TARGET_MS = 300.0


def recipe(index: int, size: tuple[int, int] = (320, 180), seconds: float = 2.0):
    from studio.recipe import Recipe

    colors = ("red", "blue", "green", "yellow", "orange", "purple", "cyan", "pink")
    # Sixteen different clips (color and length); every run below makes the same ones, local or cluster.
    return Recipe(prompt=colors[index % len(colors)], model_id="builtin:matte", seconds=seconds + 0.04 * (index % 16),
                  fps=24.0, width=size[0], height=size[1])


class Waiter:
    """Counts finished takes; the engines call it on their threads."""

    def __init__(self) -> None:
        self.done: dict[int, float] = {}
        self.cond = threading.Condition()

    def __call__(self, event) -> None:
        if event.phase in ("done", "failed", "canceled"):
            with self.cond:
                self.done[event.take_id] = time.perf_counter()
                if event.phase != "done":
                    print(f"  take {event.take_id} {event.phase}: {event.message}")
                self.cond.notify_all()

    def wait(self, take_ids: list[int], timeout: float = 600.0) -> None:
        with self.cond:
            ok = self.cond.wait_for(lambda: all(t in self.done for t in take_ids), timeout)
        if not ok:
            raise SystemExit("timed out waiting for jobs")


def sequential(engine, waiter: Waiter, jobs: int, offset: int) -> list[float]:
    """Seconds from submit to done, one job at a time."""
    times = []
    for index in range(jobs):
        start = time.perf_counter()
        take_id = engine.submit(recipe(offset + index))
        waiter.wait([take_id])
        times.append(waiter.done[take_id] - start)
    return times


def batch(engine, waiter: Waiter, jobs: int, offset: int) -> float:
    """Jobs per minute for `jobs` submitted at once."""
    start = time.perf_counter()
    take_ids = [engine.submit(recipe(offset + index)) for index in range(jobs)]
    waiter.wait(take_ids)
    return jobs / (max(waiter.done[t] for t in take_ids) - start) * 60


def main() -> int:
    os.environ.setdefault("RAY_AUTH_MODE", "token")
    os.environ.setdefault("RAY_AUTH_TOKEN", uuid.uuid4().hex)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import ray

    from studio.engine.cluster import ClusterEngine, ClusterSettings, SlotPool
    from studio.engine.runner import Runner
    from studio.library import Library

    folder = Path(tempfile.mkdtemp(prefix="kinora-bench-cluster-"))
    lib = Library.open(folder / "library")
    waiter = Waiter()

    # Local engine, warmed (its imports, and one job) before timing.
    runner = Runner(lib, on_event=waiter)
    runner.start()
    runner.warmed.wait()
    sequential(runner, waiter, 2, 900)
    local = sequential(runner, waiter, SINGLE_JOBS, 0)
    local_rate = batch(runner, waiter, BATCH, 100)
    runner.stop()

    started = time.perf_counter()
    ray.init(num_cpus=2, num_gpus=0, resources={"kinora_gpu_slot": 2}, include_dashboard=False,
             namespace="kinora-bench", log_to_driver=False)
    address = ray.get_runtime_context().gcs_address
    rates = {}
    one_actor: list[float] = []
    timings: list[dict[str, float]] = []
    for actors in (1, 2):
        pool = SlotPool(ClusterSettings(address=address, slots=actors))
        pool.start()
        pool.wait_ready()
        if actors == 1:
            print(f"Ray up and one actor warm in {time.perf_counter() - started:.1f} s")
        engine = ClusterEngine(lib, pool, on_event=waiter, owns_pool=False)
        engine.start()
        sequential(engine, waiter, 2, 950 + actors)  # every actor has run once
        if actors == 1:
            first = max(lib.list_takes(limit=1000), key=lambda t: t.id).id
            one_actor = sequential(engine, waiter, SINGLE_JOBS, 0)
            timings = [t.timings for t in lib.list_takes(limit=1000) if t.id > first]
        rates[actors] = batch(engine, waiter, BATCH, 200 + actors * 50)
        engine.stop()
        pool.shutdown()
    ray.shutdown()
    lib.close()

    local_ms = statistics.median(local) * 1000
    cluster_ms = statistics.median(one_actor) * 1000
    overhead = cluster_ms - local_ms
    dispatch = statistics.median(t["dispatch_s"] for t in timings) * 1000
    transfer = statistics.median(t["transfer_s"] for t in timings) * 1000
    worker = statistics.median(t["total_s"] for t in timings) * 1000
    print(f"builtin:matte 320x180, ~2 s at 24 fps; {SINGLE_JOBS} sequential jobs (median), batches of {BATCH}")
    print(f"  local engine, submit -> done:        {local_ms:7.1f} ms")
    print(f"  cluster (1 actor), submit -> done:   {cluster_ms:7.1f} ms  (the Runner inside the actor: {worker:.1f} ms)")
    print(f"    dispatch (claim -> first event):   {dispatch:7.1f} ms")
    print(f"    transfer (chunks + SHA-256 check): {transfer:7.1f} ms")
    print(f"  overhead per job:                    {overhead:+7.1f} ms   target <= {TARGET_MS:.0f} ms "
          f"({overhead / TARGET_MS:.2f} of it)")
    print(f"  jobs per minute: local {local_rate:.1f}, cluster 1 actor {rates[1]:.1f}, 2 actors {rates[2]:.1f} "
          f"(2 actors / 1 actor = {rates[2] / rates[1]:.2f}x, on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
