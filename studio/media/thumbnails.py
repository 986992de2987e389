"""Poster frames and filmstrips for the library grid and the timeline, cached on disk by sha256."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import cv2
import numpy as np

from studio.atomic import atomic_path
from studio.errors import MediaError
from studio.media.decode import FrameReader
from studio.media.probe import probe

POSTER_HEIGHT = 270
# The poster shows the picture a third of the way in (capped): generated clips often open on black.
_POSTER_FRACTION = 1 / 3
_POSTER_MAX_S = 3.0


def scaled_size(width: int, height: int, to_height: int) -> tuple[int, int]:
    """(width, height) scaled to to_height, keeping the aspect ratio; width kept even."""
    w = max(2, int(round(width * to_height / height / 2)) * 2)
    return w, int(to_height)


class ThumbnailCache:
    """Thumbnails under cache_dir/thumbnails: posters as JPEG files, filmstrips as .npy arrays."""

    def __init__(self, cache_dir: str | os.PathLike[str]) -> None:
        self.dir = Path(cache_dir) / "thumbnails"
        self._lock = threading.Lock()

    def poster(self, media_path: str | os.PathLike[str], sha256: str, height: int = POSTER_HEIGHT) -> Path:
        """A JPEG of the poster frame, height pixels tall; made once, then read from the cache."""
        dest = self.dir / sha256[:2] / f"{sha256}.poster{int(height)}.jpg"
        if dest.exists():
            return dest
        info = probe(media_path)
        if not info.has_video:
            raise MediaError(f"{media_path}: a sound file has no picture for a poster")
        t = min(info.duration * _POSTER_FRACTION, _POSTER_MAX_S)
        with FrameReader(media_path, info=info, cache_bytes=64 << 20) as reader:
            rgb = reader.frame_at(t, scaled_size(info.width, info.height, height))
        with self._lock, atomic_path(dest) as tmp:
            if not cv2.imwrite(str(tmp), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88]):
                raise MediaError(f"{dest}: could not write the poster image; check free disk space")
        return dest

    def filmstrip(self, media_path: str | os.PathLike[str], sha256: str, count: int, height: int) -> list[np.ndarray]:
        """count RGB frames (height tall) from the middles of count equal spans of the clip."""
        if count <= 0:
            return []
        dest = self.dir / sha256[:2] / f"{sha256}.strip{int(count)}x{int(height)}.npy"
        try:
            return list(np.load(dest))
        except (OSError, ValueError):
            pass  # absent or damaged: make it
        info = probe(media_path)
        if not info.has_video:
            raise MediaError(f"{media_path}: a sound file has no pictures for a filmstrip")
        size = scaled_size(info.width, info.height, height)
        with FrameReader(media_path, info=info, cache_bytes=64 << 20) as reader:
            frames = [reader.frame_at((i + 0.5) * info.duration / count, size) for i in range(count)]
        with self._lock, atomic_path(dest) as tmp:
            with open(tmp, "wb") as fh:
                np.save(fh, np.stack(frames))
        return frames
