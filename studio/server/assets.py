"""The downloadable variants of a completed video: the signed, marked MP4, a WebP thumbnail, a JPEG spritesheet.

Each is made once per take file and kept in the library's cache (written to a temporary name, then renamed).
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from studio.atomic import atomic_path
from studio.errors import MediaError
from studio.library import Library
from studio.library.records import TakeRecord
from studio.media.thumbnails import ThumbnailCache

CACHE_DIR = "api"
SPRITE_COUNT = 10  # frames in the spritesheet, left to right
SPRITE_HEIGHT = 90
THUMB_HEIGHT = 360
MEDIA_TYPES = {"video": "video/mp4", "thumbnail": "image/webp", "spritesheet": "image/jpeg"}


class Assets:
    """Makes and caches the variants; one maker per file at a time."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.folder = Path(library.cache_dir) / CACHE_DIR
        self._thumbs = ThumbnailCache(library.cache_dir)
        self._lock = threading.Lock()
        self._making: dict[Path, threading.Lock] = {}

    def path(self, take: TakeRecord, media_path: Path, variant: str) -> Path:
        sha = self.library.media(take.media_id).sha256  # type: ignore[arg-type]
        suffix = {"video": "mp4", "thumbnail": "webp", "spritesheet": "jpg"}[variant]
        # The take id is in the name: the export's Content Credentials carry the take's recipe and lineage.
        dest = self.folder / f"{variant}-{take.id}-{sha[:16]}.{suffix}"
        if dest.exists():
            return dest
        with self._lock:
            making = self._making.setdefault(dest, threading.Lock())
        with making:
            if not dest.exists():
                {"video": self._video, "thumbnail": self._thumbnail, "spritesheet": self._spritesheet}[variant](
                    take, media_path, sha, dest)
        return dest

    def _video(self, take: TakeRecord, media_path: Path, sha: str, dest: Path) -> None:
        from studio.exporting import export_take

        with atomic_path(dest) as tmp:
            export_take(self.library, take.id, tmp)  # the same signed, watermarked export as `kinora export`

    def _thumbnail(self, take: TakeRecord, media_path: Path, sha: str, dest: Path) -> None:
        poster = cv2.imread(str(self._thumbs.poster(media_path, sha, THUMB_HEIGHT)))
        _write_image(dest, poster, [cv2.IMWRITE_WEBP_QUALITY, 85])

    def _spritesheet(self, take: TakeRecord, media_path: Path, sha: str, dest: Path) -> None:
        frames = self._thumbs.filmstrip(media_path, sha, SPRITE_COUNT, SPRITE_HEIGHT)
        sheet = cv2.cvtColor(np.hstack(frames), cv2.COLOR_RGB2BGR)
        _write_image(dest, sheet, [cv2.IMWRITE_JPEG_QUALITY, 85])


def _write_image(dest: Path, bgr: np.ndarray | None, params: list[int]) -> None:
    if bgr is None:
        raise MediaError(f"{dest.name}: the picture to encode could not be read")
    with atomic_path(dest) as tmp:
        if not cv2.imwrite(str(tmp), bgr, params):
            raise MediaError(f"{dest}: could not write the image; check free disk space")
