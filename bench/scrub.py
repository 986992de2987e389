"""Scrub benchmark: random frame_at over 20 s of 1080p30, our own file and a long-GOP one.

Prints, for each file, the naive seek-and-decode baseline (a fresh decoder per query, as a
player without our reader would do it) and FrameReader's figures:
  - full size (1920x1080 RGB), decoder + byte-bounded cache, cold
  - viewer size (960x540) with the background scrub proxy, once the proxy is complete
  - full size with a full-size proxy (proxy_height=1080), and the memory it holds
  - the Preview's path: a playback FileSource at viewer size (it decodes at that size, and takes a
    scrub proxy for long-GOP files only), right after opening and once its proxy is complete
Targets: our file p95 <= 25 ms, long-GOP file p95 <= 60 ms. The machine may be shared: the
load average is printed with the figures.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _media_fixtures import bench_folder, long_gop_clip, our_clip  # noqa: E402

from studio.media.decode import FrameReader  # noqa: E402
from studio.playback import FileSource  # noqa: E402

QUERIES = 60
VIEWER = (960, 540)


def timed_ms(fetch: Callable[[float], object], times: list[float]) -> np.ndarray:
    """Milliseconds each fetch(t) took, in order."""
    costs = []
    for t in times:
        start = time.perf_counter()
        fetch(t)
        costs.append((time.perf_counter() - start) * 1000)
    return np.array(costs)


def naive_frame(path: Path, t: float) -> None:
    """The baseline: a fresh decoder per query, seek to the keyframe before t, decode up to t."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        c.seek(int(t / s.time_base), stream=s, backward=True)
        for frame in c.decode(s):
            if frame.time >= t - 1e-4:
                frame.to_ndarray(format="rgb24")
                break


def line(label: str, ms: np.ndarray) -> str:
    return f"  {label:<44} median {np.median(ms):7.1f} ms   p95 {np.percentile(ms, 95):7.1f} ms"


def main() -> None:
    folder = bench_folder()
    ours = our_clip(folder)
    long_gop = long_gop_clip(folder, ours)
    rng = random.Random(11)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for label, path, target in (("write_clip 1080p (GOP 0.5 s)", ours, 25.0), ("ffmpeg defaults 1080p (long GOP)", long_gop, 60.0)):
        times = [rng.uniform(0.0, 19.9) for _ in range(QUERIES)]
        print(label)
        base = timed_ms(lambda t: naive_frame(path, t), times[:20])
        print(line("naive seek+decode, full size", base))
        with FrameReader(path) as reader:
            full = timed_ms(lambda t: reader.frame_at(t, None), times)
        print(line("FrameReader full size (cold cache)", full))
        with FrameReader(path, scrub_proxy=True) as reader:
            start = time.perf_counter()
            reader.proxy_ready(timeout=600)
            built = time.perf_counter() - start
            viewer = timed_ms(lambda t: reader.frame_at(t, VIEWER), times)
        print(line(f"FrameReader {VIEWER[0]}x{VIEWER[1]} with scrub proxy", viewer) + f"   (proxy built in {built:.1f} s)")
        with FrameReader(path, scrub_proxy=True, proxy_height=1080) as reader:
            start = time.perf_counter()
            reader.proxy_ready(timeout=600)
            built_full = time.perf_counter() - start
            full_proxy = timed_ms(lambda t: reader.frame_at(t, None), times)
            held = reader.proxy_bytes
        print(line("FrameReader full size with a full-size proxy", full_proxy)
              + f"   (built in {built_full:.1f} s, holds {held / 2**20:.0f} MiB)")
        source = FileSource(path)
        try:
            opened = timed_ms(lambda t: source.frame_at(t, VIEWER), times)
            start = time.perf_counter()
            proxied = source.proxy_ready(timeout=600)
            waited = time.perf_counter() - start
            ready = timed_ms(lambda t: source.frame_at(t, VIEWER), times)
        finally:
            source.close()
        print(line(f"player FileSource {VIEWER[0]}x{VIEWER[1]}, just opened", opened))
        print(line(f"player FileSource {VIEWER[0]}x{VIEWER[1]}, later", ready)
              + (f"   (proxy complete {waited:.1f} s after those queries)" if proxied else "   (no proxy: short GOP)"))
        p95 = float(np.percentile(viewer, 95))
        print(f"  ratio p95 proxy / target: {p95 / target:.2f} (target {target:.0f} ms)   "
              f"ratio naive median / proxy median: {np.median(base) / np.median(viewer):.0f}x   "
              f"full-size p95 / target: decoder {np.percentile(full, 95) / target:.2f}, "
              f"full-size proxy {np.percentile(full_proxy, 95) / target:.2f}; "
              f"player source p95 / target: {np.percentile(ready, 95) / target:.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
