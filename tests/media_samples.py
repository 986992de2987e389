"""Small media files the media tests write for cases our own encoder does not make."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def rotated_clip(path: Path, frames: int = 6) -> Path:
    """64x32 coded at 24 fps, left half white, with a display matrix turning it 90 degrees clockwise."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 32, "yuv420p"
        stream.set_display_rotation(-90)  # FFmpeg's angle is counter-clockwise
        picture = np.zeros((32, 64, 3), np.uint8)
        picture[:, :32] = 255
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(picture).reformat(format="yuv420p")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path
