"""Host RAM of turning a take's latents into an MP4 at full output size: the tiled uint8 path against the old one.

The old path decoded the whole clip with `output_type="np"`: float32 frames from the VAE, post-processed to
float32 numpy, converted to uint8, then resized as one more stacked copy (12 GB per float copy for 20 s of
1080p). The new path (`studio.engine.backends.ltx2_decode.decode_video`) decodes temporal tiles, turns each
into uint8 on the device and resizes it into the one output array.

Each path runs in a child process of its own with the tiny LTX-2.3 VAE (the real 32x/8x grid) on random latents
of the real shape, then writes the MP4 through `write_clip`; the figure is the child's peak RSS (ru_maxrss),
the same in both, so the difference is the frames' handling. Denoising is left out: at 1920x1088x481 the tiny
transformer's attention alone would take hours on a CPU, and it holds latents, not frames.

Run: .venv/bin/python bench/host_ram.py [--frames 481] [--old-frames 97]
The old path at 481 frames needs well over 24 GB, more than most machines here have; it is measured at
--old-frames and both paths are compared at that length, then the new path alone at --frames.
Prints figures and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WIDTH, HEIGHT, FPS = 1920, 1080, 24.0
GIB = 2**30


def child(path: str, frames: int) -> dict[str, float]:
    import numpy as np
    import torch

    from studio.engine.backends.base import frames_from_output
    from studio.engine.backends.ltx2_decode import decode_video
    from studio.engine.tiny import build_components
    from studio.media.encode import write_clip

    torch.set_num_threads(1)
    components = build_components(version="2.3")
    vae = components["vae"]
    ratio = int(vae.config.temporal_compression_ratio)
    latent_frames = (frames - 1) // ratio + 1
    latents = torch.randn(1, vae.config.latent_channels, latent_frames, 1088 // 32, WIDTH // 32,
                          generator=torch.Generator().manual_seed(0))
    audio = np.zeros((round(frames / FPS * 48000), 2), np.float32)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    with torch.inference_mode():
        if path == "new":
            video = decode_video(vae, latents, frames, WIDTH, HEIGHT)
        else:
            from diffusers.video_processor import VideoProcessor

            from studio.engine import timing

            decoded = vae.decode(latents, None, return_dict=False)[0]
            floats = VideoProcessor(vae_scale_factor=32).postprocess_video(decoded, output_type="np")
            del decoded
            video = timing.resize_frames(timing.fit_frames(frames_from_output(floats), frames), WIDTH, HEIGHT)
            del floats
    with tempfile.TemporaryDirectory() as folder:
        write_clip(video, audio, FPS, 48000, Path(folder) / "take.mp4", preset="ultrafast")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"peak_gib": peak / GIB, "before_gib": base_rss / GIB, "seconds": time.perf_counter() - started}


def measure(path: str, frames: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", path, "--frames", str(frames)],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"error": out.returncode, "stderr": out.stderr[-400:]}  # type: ignore[dict-item]
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=481)
    parser.add_argument("--old-frames", type=int, default=97)
    parser.add_argument("--child", choices=("new", "old"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.frames)))
        return 0
    print(f"tiny LTX-2.3 VAE, {WIDTH}x{HEIGHT}, peak RSS of the process that decodes and encodes")
    new_short, old_short = measure("new", args.old_frames), measure("old", args.old_frames)
    for name, row in (("old path", old_short), ("tiled uint8", new_short)):
        if "error" in row:
            print(f"  {name:12s} {args.old_frames:4d} frames: failed ({row})")
        else:
            print(f"  {name:12s} {args.old_frames:4d} frames: peak {row['peak_gib']:6.2f} GiB "
                  f"(model and libraries {row['before_gib']:.2f} GiB), {row['seconds']:.0f} s")
    if "error" not in new_short and "error" not in old_short:
        print(f"  old / new peak at {args.old_frames} frames: {old_short['peak_gib'] / new_short['peak_gib']:.2f}x")
    if args.frames != args.old_frames:
        full = measure("new", args.frames)
        if "error" in full:
            print(f"  tiled uint8  {args.frames:4d} frames: failed ({full})")
        else:
            print(f"  tiled uint8  {args.frames:4d} frames: peak {full['peak_gib']:6.2f} GiB, {full['seconds']:.0f} s"
                  f"   (target < 8 GiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
