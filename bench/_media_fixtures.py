"""Synthetic test footage for the media benchmarks (kept out of the repo; made in a temp folder)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from studio.media.encode import write_clip

WIDTH, HEIGHT, FPS, SECONDS = 1920, 1080, 30, 20


def bench_folder() -> Path:
    """Where the footage lives: $KINORA_BENCH_DIR, else one temp folder the media benchmarks share
    (kept between runs, so the 1080p footage is made once; delete it to reclaim ~300 MB)."""
    folder = Path(os.environ.get("KINORA_BENCH_DIR") or Path(tempfile.gettempdir()) / "kinora-media-bench")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def moving_frames(n: int, width: int = WIDTH, height: int = HEIGHT) -> Iterator[np.ndarray]:
    """Frames with motion and detail: a drifting colour gradient, moving discs and fine texture."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    texture = (np.random.default_rng(7).integers(0, 24, (height, width), dtype=np.uint8))
    for i in range(n):
        frame = np.empty((height, width, 3), np.uint8)
        frame[..., 0] = ((xx + i * 6) % width / width * 200).astype(np.uint8)
        frame[..., 1] = ((yy + i * 3) % height / height * 200).astype(np.uint8)
        frame[..., 2] = 90
        frame += np.roll(texture, i * 2, axis=1)[..., None]
        for k in range(4):
            cx = int((0.2 + 0.2 * k) * width + 200 * np.sin(i / 15 + k))
            cy = int(height / 2 + 250 * np.cos(i / 20 + k))
            r = 80 + 20 * k
            frame[max(0, cy - r):cy + r, max(0, cx - r):cx + r] = (240, 240 - 50 * k, 40 * k)
        yield frame


def tone(seconds: float, rate: int = 48000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    left = 0.3 * np.sin(2 * np.pi * 440 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.5 * t))
    return np.stack([left, 0.3 * np.sin(2 * np.pi * 660 * t)], axis=1).astype(np.float32)


def our_clip(folder: Path, seconds: int = SECONDS) -> Path:
    """A 1080p30 clip with audio written by write_clip (short GOP)."""
    path = folder / "ours_1080p.mp4"
    if not path.exists():
        write_clip(moving_frames(FPS * seconds), tone(seconds), FPS, 48000, path)
    return path


def long_gop_clip(folder: Path, source: Path) -> Path:
    """The same footage re-encoded by the ffmpeg CLI with libx264 defaults (keyint 250)."""
    path = folder / "ffmpeg_default_1080p.mp4"
    if not path.exists():
        subprocess.run([ffmpeg(), "-v", "error", "-y", "-i", str(source), "-c:v", "libx264", "-c:a", "aac", str(path)],
                       check=True)
    return path


def ffmpeg() -> str:
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise SystemExit("the ffmpeg command line is needed (Debian: apt-get install ffmpeg)")
    return exe
