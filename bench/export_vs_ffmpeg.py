"""Export benchmark: 20 s of 1080p30 with audio through studio.media.export vs the ffmpeg CLI.

Both read the same source (written by write_clip) and encode H.264 (libx264, same preset, CRF
and keyframe interval) + AAC 48 kHz 192 kb/s to MP4 with faststart. Our export also composites
and burns in the watermark. Target: ours <= 1.10x ffmpeg. Note: PyAV's wheel bundles its own
FFmpeg/x264 build, the CLI is Debian's, and the machine may be shared (load average printed).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import opentimelineio as otio

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _media_fixtures import FPS, SECONDS, bench_folder, ffmpeg, our_clip  # noqa: E402

from studio.exporting import render_timeline  # noqa: E402
from studio.media.presets import get_preset  # noqa: E402

PRESET = get_preset("16:9")


def timeline_of(path: Path) -> otio.schema.Timeline:
    tl = otio.schema.Timeline("bench")
    tl.metadata["kinora"] = {"rate": float(FPS)}
    rng = otio.opentime.TimeRange(otio.opentime.RationalTime(0, FPS), otio.opentime.RationalTime(SECONDS * FPS, FPS))
    for kind in ("Video", "Audio"):
        track = otio.schema.Track(kind=kind)
        track.append(otio.schema.Clip("src", media_reference=otio.schema.ExternalReference(str(path)), source_range=rng))
        tl.tracks.append(track)
    return tl


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_ours(src: Path, out: Path, watermark: bool) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one export."""
    cpu, start = cpu_seconds(resource.RUSAGE_SELF), time.perf_counter()
    kwargs = {} if watermark else {"watermark": None}
    render_timeline(timeline_of(src), out, PRESET, resolve_media=lambda clip: src, **kwargs)
    return time.perf_counter() - start, cpu_seconds(resource.RUSAGE_SELF) - cpu


def run_ffmpeg(src: Path, out: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the ffmpeg child) for one encode."""
    cmd = [ffmpeg(), "-v", "error", "-y", "-i", str(src), "-c:v", "libx264", "-preset", PRESET.x264_preset,
           "-crf", str(PRESET.crf), "-g", str(FPS // 2), "-pix_fmt", "yuv420p", "-c:a", "aac", "-ar", "48000",
           "-b:a", "192k", "-movflags", "+faststart", str(out)]
    cpu, start = cpu_seconds(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - start, cpu_seconds(resource.RUSAGE_CHILDREN) - cpu


def main() -> None:
    folder = bench_folder()
    src = our_clip(folder)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
          f"x264 preset {PRESET.x264_preset}, CRF {PRESET.crf}, GOP {FPS // 2}")
    # Interleaved runs so a change in the machine's load hits both sides alike. Wall time is the
    # target; CPU time is printed too because a shared machine's load moves wall time a lot.
    runs: dict[str, list[tuple[float, float]]] = {"ffmpeg": [], "ours": [], "plain": []}
    for _ in range(2):
        runs["ffmpeg"].append(run_ffmpeg(src, folder / "ffmpeg_out.mp4"))
        runs["ours"].append(run_ours(src, folder / "ours_out.mp4", watermark=True))
        runs["plain"].append(run_ours(src, folder / "ours_plain.mp4", watermark=False))
    best = {k: (min(w for w, _ in v), min(c for _, c in v)) for k, v in runs.items()}
    base_wall, base_cpu = best["ffmpeg"]
    print(f"ffmpeg CLI:             wall {base_wall:6.2f} s  cpu {base_cpu:6.2f} s  "
          f"(wall runs: {', '.join(f'{w:.2f}' for w, _ in runs['ffmpeg'])})")
    for key, label in (("ours", "export, watermark on: "), ("plain", "export, watermark off:")):
        wall, cpu = best[key]
        print(f"{label}  wall {wall:6.2f} s  cpu {cpu:6.2f} s  ratio wall {wall / base_wall:.3f} (target <= 1.10), "
              f"cpu {cpu / base_cpu:.3f}   (wall runs: {', '.join(f'{w:.2f}' for w, _ in runs[key])})")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
