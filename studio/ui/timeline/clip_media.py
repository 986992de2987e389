"""Which file, fingerprint and origin stand behind a timeline clip, and the caches that draw them.

Clips carry their take id in metadata["kinora"]; the library knows the take's media file and its
sha256, which keys the media layer's waveform and thumbnail caches. Filmstrips and waveform
pyramids are built on worker threads; until a clip's media is ready its items draw a placeholder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from studio.project.timeline import file_path_of, kinora_data
from studio.ui.library.thumbnails import rgb_to_qimage
from studio.ui.tasks import run_async

if TYPE_CHECKING:
    import numpy as np
    import opentimelineio as otio

    from studio.library import Library
    from studio.media.thumbnails import ThumbnailCache
    from studio.media.waveform import WaveformCache


log = logging.getLogger(__name__)

FILMSTRIP_HEIGHT = 48


@dataclass
class ClipMedia:
    """The media file behind a clip: where it is, its content hash, and how it was made (`generated` is
    filled in from the library off the GUI thread)."""

    path: Path
    sha256: str
    duration: float
    generated: bool
    title: str


def take_id_of(clip: otio.schema.Clip) -> int | None:
    """The library take a clip shows, or None for clips that did not come from the library."""
    value = kinora_data(clip).get("take_id")
    return int(value) if value is not None else None


class MediaCatalog(QObject):
    """Resolves clips to media, and loads filmstrips and waveform pyramids off the GUI thread.

    `ready(sha256)` fires on the GUI thread when a file's filmstrip or waveform becomes drawable.
    """

    ready = Signal(str)
    relinked = Signal()  # a clip's missing file was found in the library: rebuild the items

    def __init__(self, library: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = library
        # The caches load PyAV: made at their first use (GUI thread), not before the window's first frame.
        self._waveform_cache: WaveformCache | None = None
        self._thumbnail_cache: ThumbnailCache | None = None
        self._media: dict[tuple[str, str | None, int | None], ClipMedia | None] = {}
        self._waveform_ready: set[str] = set()
        self._filmstrips: dict[str, list[QImage]] = {}
        self._loading: set[tuple[str, str]] = set()
        self.waveform_db = False  # draw waveforms on a decibel scale (the timeline's dB view)

    def media_for(self, clip: otio.schema.Clip) -> ClipMedia | None:
        """The media behind clip, or None when its file cannot be found (it draws as offline).

        Library lookups (a file found by content, whether the take was generated) run on a worker
        thread: `relinked` asks for a redraw when a missing file is found, `ready` when a badge changes.
        """
        path = file_path_of(clip)
        meta = kinora_data(clip)
        key = (str(path), meta.get("media_sha256"), meta.get("take_id"))
        if key not in self._media:
            self._media[key] = self._resolve(clip, path, meta, key)
        return self._media[key]

    def _resolve(self, clip: otio.schema.Clip, path: Path | None, meta: dict[str, Any],
                 key: tuple[str, str | None, int | None]) -> ClipMedia | None:
        sha = meta.get("media_sha256")
        if sha and (path is None or not path.is_file()):
            # The project came from another machine: find the same content in this library (off the GUI thread).
            library, copy = self._library, clip.deepcopy()

            def found(where: Path | None) -> None:
                if where is not None:
                    self._media[key] = self._resolve(copy, where, meta, key)
                    self.relinked.emit()

            def lookup() -> Path | None:
                record = library.media_by_sha256(sha)
                return library.media_path(record) if record is not None and not record.missing else None

            run_async(lookup, found, lambda exc: log.debug("no media %s: %s", sha, exc), receiver=self)
            return None
        if path is None or not path.is_file():
            return None
        if not sha:
            # Files outside the library have no stored hash; key the caches by identity instead of
            # hashing a possibly hour-long file on the GUI thread.
            import hashlib  # here: the launch shows no clip yet (~3 ms)

            stat = path.stat()
            sha = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()
        available = clip.media_reference.available_range
        duration = float(available.duration.to_seconds()) if available is not None else 0.0
        media = ClipMedia(path, sha, duration, False, clip.name or path.stem)
        take_id = meta.get("take_id")
        if take_id is not None:  # the "AI" badge, once the library says how the take was made
            library = self._library

            def origin(generated: bool) -> None:
                if generated:
                    media.generated = True
                    self.ready.emit(media.sha256)

            run_async(lambda: library.take(int(take_id)).origin == "generated", origin,
                      lambda exc: log.debug("take %s not in the library: %s", take_id, exc), receiver=self)
        return media

    @property
    def _waveforms(self) -> WaveformCache:
        if self._waveform_cache is None:
            from studio.media.waveform import WaveformCache

            self._waveform_cache = WaveformCache(self._library.cache_dir)
        return self._waveform_cache

    @property
    def _thumbnails(self) -> ThumbnailCache:
        if self._thumbnail_cache is None:
            from studio.media.thumbnails import ThumbnailCache

            self._thumbnail_cache = ThumbnailCache(self._library.cache_dir)
        return self._thumbnail_cache

    # -- waveforms -------------------------------------------------------------------------------

    def waveform_ready(self, media: ClipMedia) -> bool:
        """True when peaks can be read without decoding; otherwise starts building them once."""
        if media.sha256 in self._waveform_ready:
            return True
        waveforms = self._waveforms  # made here, on the GUI thread, not by the worker
        self._start(("wave", media.sha256), lambda: waveforms.ensure(media.path, media.sha256),
                    lambda _: self._waveform_ready.add(media.sha256), media.sha256)
        return False

    def peaks(self, media: ClipMedia, t0: float, t1: float, width: int) -> np.ndarray:
        """(width, 2) min/max peaks of the file between media times t0 and t1, from the cache."""
        return self._waveforms.peaks(media.path, media.sha256, t0, t1, width)

    # -- filmstrips ------------------------------------------------------------------------------

    def filmstrip(self, media: ClipMedia) -> list[QImage] | None:
        """Evenly spaced frames over the whole file, or None while they are being made."""
        strip = self._filmstrips.get(media.sha256)
        if strip is not None:
            return strip
        count = int(min(48, max(6, media.duration * 2))) if media.duration else 12
        thumbnails = self._thumbnails  # made here, on the GUI thread, not by the worker

        def load() -> list[np.ndarray]:
            return thumbnails.filmstrip(media.path, media.sha256, count, FILMSTRIP_HEIGHT)

        def store(frames: list[np.ndarray]) -> None:
            self._filmstrips[media.sha256] = [rgb_to_qimage(f) for f in frames]

        self._start(("film", media.sha256), load, store, media.sha256)
        return None

    def _start(self, key: tuple[str, str], work: Any, store: Any, sha: str) -> None:
        if key in self._loading:
            return
        self._loading.add(key)

        def done(result: Any) -> None:
            store(result)
            self.ready.emit(sha)

        def failed(exc: Exception) -> None:
            # Leave the key in _loading so a broken file is not retried on every repaint.
            log.warning("could not prepare %s for the timeline: %s", key, exc)

        run_async(work, done, failed)
