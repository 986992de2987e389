"""`kinora serve` under load: p99 of GET /v1/videos/{id} with 50 pollers, and an API job's overhead over the CLI.

Phase 1 (load): a real `kinora serve` in its own process on a loopback port; 50 asyncio pollers each GET
one video every --interval-ms (default 1000 ms, the SDK's own poll interval) while a submitter queues one
job after another through the openai SDK, so the server's engine generates all the while.
Prints the p50/p99/max latency of the polls (target: p99 <= 20 ms).

Phase 2 (overhead, same run, server idle): the same job (builtin:matte, --seconds at --size) alternately
through the CLI's path and through the API. The CLI figure is `kinora generate`'s own calls (Runner.submit
then run_take) in this process, warm, so an interpreter's start-up is not counted against the CLI; the
API figure is what the client sees, from the POST to the poll that reads "completed" (polling every
20 ms; the server's engine runs in its child process). Prints the medians and the overhead (target: <= 5 %).

Usage: .venv/bin/python bench/api_load.py [--seconds-load 20] [--pollers 50] [--interval-ms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import httpx
import openai
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # this checkout's studio, not an installed one
warnings.filterwarnings("ignore", message="The Sora API is scheduled", category=DeprecationWarning)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(library: Path, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    server = subprocess.Popen([sys.executable, "-m", "studio", "--library", str(library), "serve", "--port",
                               str(port), "--fallback-model", "tiny-random", "--poll-after-ms", "20",
                               "--queue-per-key", "1000"], cwd=REPO, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/videos", timeout=1)
            return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


async def poll_load(base: str, video_id: str, pollers: int, interval: float, duration: float) -> list[float]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=pollers, max_keepalive_connections=pollers)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as http:
        end = time.monotonic() + duration

        async def poller() -> None:
            await asyncio.sleep(random.uniform(0, interval))  # clients are not in step with each other
            while time.monotonic() < end:
                start = time.perf_counter()
                answer = await http.get(f"/videos/{video_id}")
                latencies.append(time.perf_counter() - start)
                answer.raise_for_status()
                await asyncio.sleep(interval)

        await asyncio.gather(*(poller() for _ in range(pollers)))
    return latencies


def submitter(sdk: openai.OpenAI, stop: threading.Event, job: dict[str, str], made: list[str]) -> None:
    while not stop.is_set():
        made.append(sdk.videos.create_and_poll(prompt="red", poll_interval_ms=50, **job).status)


class CliPath:
    """What `kinora generate` does for a job (Runner.submit, then run_take on the caller's thread), kept warm in
    this process: the API's figure is compared with the job itself, not with an interpreter starting."""

    def __init__(self, library: Path, job: dict[str, str]) -> None:
        from studio.engine.runner import Runner
        from studio.library import Library
        from studio.recipe import Recipe

        self.lib = Library.open(library, recover_jobs=False)
        self.runner = Runner(self.lib)
        width, height = (int(v) for v in job["size"].split("x"))
        self.recipe = Recipe(prompt="red", model_id=job["model"], seconds=float(job["seconds"]), fps=24.0,
                             width=width, height=height)

    def __call__(self) -> float:
        start = time.perf_counter()
        take_id = self.runner.submit(self.recipe)
        self.runner.run_take(take_id)
        elapsed = time.perf_counter() - start
        assert self.lib.take(take_id).status == "done"
        return elapsed


def api_job(sdk: openai.OpenAI, job: dict[str, str], library: Path) -> tuple[float, float]:
    """(what the client waited, how long the engine generated) for one API job."""
    from studio.library import Library

    start = time.perf_counter()
    video = sdk.videos.create_and_poll(prompt="red", poll_interval_ms=20, **job)
    waited = time.perf_counter() - start
    assert video.status == "completed", video.error
    with Library.open(library, recover_jobs=False) as lib:
        take = lib.take(video.model_extra["kinora"]["take_id"])
    return waited, take.finished_at - take.started_at


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds-load", type=float, default=20.0, help="how long phase 1 runs")
    parser.add_argument("--pollers", type=int, default=50)
    parser.add_argument("--interval-ms", type=float, default=1000.0,
                        help="each poller's pause between polls (the SDK's default is 1000)")
    parser.add_argument("--rounds", type=int, default=7, help="jobs per path in phase 2")
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--seconds", default="4")
    args = parser.parse_args()
    job = {"model": "builtin:matte", "seconds": args.seconds, "size": args.size}
    with tempfile.TemporaryDirectory() as folder:
        library = Path(folder) / "library"
        env = {**os.environ, "KINORA_CONFIG": str(Path(folder) / "config"), "HF_HUB_OFFLINE": "1"}
        port = free_port()
        server = start_server(library, port, env)
        base = f"http://127.0.0.1:{port}/v1"
        try:
            sdk = openai.OpenAI(base_url=base, api_key="local", max_retries=0)
            target = sdk.videos.create_and_poll(prompt="red", **{**job, "seconds": "1", "size": "64x36"})
            stop = threading.Event()
            made: list[str] = []
            load_job = {"model": "builtin:matte", "seconds": "2", "size": "320x180"}
            thread = threading.Thread(target=submitter, args=(sdk, stop, load_job, made), daemon=True)
            thread.start()
            server_process = psutil.Process(server.pid)  # HTTP and queueing only: its engine is a child process
            cpu_before = sum(server_process.cpu_times()[:2])
            latencies = asyncio.run(poll_load(base, target.id, args.pollers, args.interval_ms / 1000,
                                              args.seconds_load))
            cpu_ms = (sum(server_process.cpu_times()[:2]) - cpu_before) * 1000
            stop.set()
            thread.join(60)
            ms = sorted(x * 1000 for x in latencies)
            p50 = ms[len(ms) // 2]
            p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
            print(f"phase 1: {args.pollers} pollers every {args.interval_ms:g} ms for {args.seconds_load:g} s, "
                  f"{len(made)} jobs generated meanwhile")
            print(f"  GET /v1/videos/{{id}}: {len(ms)} requests ({len(ms) / args.seconds_load:.0f}/s), "
                  f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms   "
                  f"target p99 <= 20 ms: {'met' if p99 <= 20 else 'NOT met'} ({p99 / 20:.2f}x)")
            print(f"  the server process's CPU: {cpu_ms / len(ms):.2f} ms per poll (its submissions included); "
                  f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

            cli_job = CliPath(library, job)
            cli_job()  # warm both paths once
            api_job(sdk, job, library)
            cli_times, api_times, api_added = [], [], []
            for _ in range(args.rounds):
                cli_times.append(cli_job())
                waited, generating = api_job(sdk, job, library)
                api_times.append(waited)
                api_added.append(waited - generating)
            cli, api, added = (statistics.median(x) for x in (cli_times, api_times, api_added))
            overhead = added / cli
            print(f"phase 2: builtin:matte {args.seconds} s at {args.size}, {args.rounds} rounds each, interleaved")
            print(f"  CLI path (submit + run_take, warm): median {cli * 1000:.0f} ms  "
                  f"{[round(t * 1000) for t in cli_times]}")
            print(f"  API (POST -> poll sees completed): median {api * 1000:.0f} ms  "
                  f"{[round(t * 1000) for t in api_times]}   (ratio of medians {api / cli:.2f}: both "
                  "include the machine's load on the engine)")
            print(f"  API's own time (client wait - the engine's generating time of the same job): median "
                  f"{added * 1000:.0f} ms  {[round(t * 1000) for t in api_added]}")
            print(f"  overhead {overhead * 100:+.1f} % of the CLI job   target <= 5 %: "
                  f"{'met' if overhead <= 0.05 else 'NOT met'}")
        finally:
            server.terminate()
            server.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
