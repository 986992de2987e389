"""`kinora serve` under load: p99 of GET /v1/videos/{id} with 50 pollers, and an API job's overhead over the CLI.

Phase 1 (load): a real `kinora serve` in its own process on a loopback port; 50 asyncio pollers each GET
one video every --interval-ms (the SDK's default is 1000 ms; 100 ms is ten times harsher) while a submitter
queues one job after another through the openai SDK, so the server's engine generates all the while.
Prints the p50/p99/max latency of the polls (target: p99 <= 20 ms).

Phase 2 (overhead, same run, server idle): the same job (builtin:matte, --seconds at --size) alternately
through `kinora generate` and through the API. The CLI figure is the take's own time in the library, from
queued to finished (its interpreter start-up is not counted); the API figure is what the client sees,
from the POST to the poll that reads "completed" (polling every 20 ms). Prints the medians and the
overhead (target: <= 5 %).

Usage: .venv/bin/python bench/api_load.py [--seconds-load 20] [--pollers 50] [--interval-ms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
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


def cli_job(library: Path, env: dict[str, str], job: dict[str, str]) -> float:
    import json

    out = subprocess.run([sys.executable, "-m", "studio", "--library", str(library), "--json", "generate", "red",
                          "--model", job["model"], "--seconds", job["seconds"], "--size", job["size"]],
                         cwd=REPO, env=env, capture_output=True, text=True, check=True)
    take_id = json.loads(out.stdout)["take_id"]
    return take_seconds(library, take_id)


def take_seconds(library: Path, take_id: int) -> float:
    from studio.library import Library

    with Library.open(library, recover_jobs=False) as lib:
        take = lib.take(take_id)
        return take.finished_at - take.created_at


def api_job(sdk: openai.OpenAI, job: dict[str, str]) -> float:
    start = time.perf_counter()
    video = sdk.videos.create_and_poll(prompt="red", poll_interval_ms=20, **job)
    assert video.status == "completed", video.error
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds-load", type=float, default=20.0, help="how long phase 1 runs")
    parser.add_argument("--pollers", type=int, default=50)
    parser.add_argument("--interval-ms", type=float, default=100.0, help="each poller's pause between polls")
    parser.add_argument("--rounds", type=int, default=5, help="jobs per path in phase 2")
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
            latencies = asyncio.run(poll_load(base, target.id, args.pollers, args.interval_ms / 1000,
                                              args.seconds_load))
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

            api_job(sdk, job)  # warm the server's path once (the CLI's first job is warm by construction)
            cli_times, api_times = [], []
            for _ in range(args.rounds):
                cli_times.append(cli_job(library, env, job))
                api_times.append(api_job(sdk, job))
            cli, api = statistics.median(cli_times), statistics.median(api_times)
            overhead = api / cli - 1
            print(f"phase 2: builtin:matte {args.seconds} s at {args.size}, {args.rounds} rounds each, interleaved")
            print(f"  CLI (take queued -> finished): median {cli * 1000:.0f} ms  {[round(t * 1000) for t in cli_times]}")
            print(f"  API (POST -> poll sees completed): median {api * 1000:.0f} ms  "
                  f"{[round(t * 1000) for t in api_times]}")
            print(f"  overhead {overhead * 100:+.1f} %   target <= 5 %: {'met' if overhead <= 0.05 else 'NOT met'}")
        finally:
            server.terminate()
            server.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
