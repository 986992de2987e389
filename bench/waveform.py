"""Waveform benchmark: 20 s clip ready to draw (cold), one hour vs plain decoding, draw query time.

Targets: 20 s cold <= 30 ms; one hour <= 1.2x the time of decoding it; a draw query <= 2 ms.
The machine may be shared: decoding and building alternate so both see the same load, and the
load average is printed with the figures. The hour is compared with two decodes without peaks: a
plain PyAV loop (container.decode) and the decoding graph the build itself reads from (FFmpeg's
amovie, in blocks), so the cost of the peaks alone is visible as well.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _media_fixtures import bench_folder, ffmpeg, tone

from studio.media.encode import write_clip
from studio.media.waveform import WaveformCache, _decoding_graph, build_pyramid

SHA = "0" * 64


def decode_only(path: Path) -> float:
    start = time.perf_counter()
    with av.open(str(path)) as c:
        for _ in c.decode(c.streams.audio[0]):
            pass
    return time.perf_counter() - start


def decode_through_graph(path: Path) -> None:
    """The build's own decoding (amovie graph, blocks of samples) without computing any peaks."""
    with av.open(str(path)) as c:
        index = c.streams.audio[0].index
    _graph, sink = _decoding_graph(path, index)  # the graph must stay alive while its sink is pulled
    while True:
        try:
            sink.pull()
        except av.EOFError:
            return


def timed(fn, *args) -> tuple[float, float]:
    """(wall, CPU of this process) seconds for one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    folder = bench_folder()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    clip = folder / "wave_20s.mp4"
    if not clip.exists():
        write_clip(np.zeros((20 * 24, 64, 64, 3), np.uint8), tone(20), 24, 48000, clip, preset="ultrafast")
    # Decoding alone and the cold build alternate, so a change in the machine's load hits both.
    cold, dec20 = [], []
    for _ in range(9):
        dec20.append(decode_only(clip) * 1000)
        with tempfile.TemporaryDirectory(prefix="wave-", dir=folder) as empty_cache:
            cache = WaveformCache(Path(empty_cache))
            start = time.perf_counter()
            cache.ensure(clip, SHA)
            cache.peaks(clip, SHA, 0.0, 20.0, 1200)
            cold.append((time.perf_counter() - start) * 1000)
    print(f"20 s clip ready to draw, cold: median {np.median(cold):.1f} ms (target 30 ms, ratio {np.median(cold) / 30:.2f}); "
          f"decoding alone takes {np.median(dec20):.1f} ms (cold / decoding, median of pairs: "
          f"{np.median(np.array(cold) / np.array(dec20)):.2f})")

    hour = folder / "hour.m4a"
    if not hour.exists():
        subprocess.run([ffmpeg(), "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=3600",
                        "-ac", "2", "-ar", "48000", "-c:a", "aac", "-b:a", "128k", str(hour)], check=True)
    plain, graph, built = [], [], []
    for _ in range(3):  # alternating, as above
        plain.append(timed(decode_only, hour))
        graph.append(timed(decode_through_graph, hour))
        built.append(timed(build_pyramid, hour))
    bw, bc = min(w for w, _ in built), min(c for _, c in built)
    print(f"one hour: pyramid wall {bw:.2f} s (cpu {bc:.2f}); target <= 1.2x decoding")
    for name, runs in (("PyAV decode loop", plain), ("same decoding graph, no peaks", graph)):
        dw, dc = min(w for w, _ in runs), min(c for _, c in runs)
        pairs = np.median([b[0] / d[0] for d, b in zip(runs, built)])
        print(f"  vs {name}: wall {dw:.2f} s (cpu {dc:.2f}); ratio wall {bw / dw:.2f}, cpu {bc / dc:.2f}, "
              f"median of pairs {pairs:.2f}")
    pyramid = build_pyramid(hour)
    rng = random.Random(5)
    queries = []
    for _ in range(2000):
        span = rng.choice([5.0, 60.0, 600.0, 3600.0])
        t0 = rng.uniform(0, 3600 - span)
        start = time.perf_counter()
        pyramid.peaks(t0, t0 + span, 1600)
        queries.append((time.perf_counter() - start) * 1000)
    q = np.array(queries)
    print(f"draw query (1600 px, spans 5 s..1 h): median {np.median(q):.3f} ms, p95 {np.percentile(q, 95):.3f} ms "
          f"(target 2 ms, ratio p95/target {np.percentile(q, 95) / 2:.2f})")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
