"""Posters and hover filmstrips for the grid, made on worker threads and kept in a small LRU.

Requests are served newest first: when the user flings through thousands of takes, the cells
on screen now are drawn before the ones scrolled past, and old requests beyond a bound are dropped.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from studio.ui.tasks import TaskPool, run_async

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

POSTER_HEIGHT = 96
FILMSTRIP_FRAMES = 8
MAX_PENDING = 48  # requests beyond this (the oldest) are forgotten: those cells scrolled away
CACHE_ITEMS = 600


def rgb_to_qimage(frame: np.ndarray) -> QImage:
    """A QImage that owns a copy of an (H, W, 3) uint8 RGB array (safe off the GUI thread)."""
    import numpy as np  # not at import: the library panel is on screen before any picture is decoded

    frame = np.ascontiguousarray(frame[..., :3], dtype=np.uint8)
    h, w = frame.shape[:2]
    return QImage(frame.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class ThumbnailLoader(QObject):
    """`poster(...)`/`filmstrip(...)` return what is cached, or None and start a load.

    `ready(take_id)` is emitted on the GUI thread when something new for that take is cached.
    """

    ready = Signal(int)

    def __init__(self, cache_dir: Path, parent: QObject | None = None, threads: int = 2) -> None:
        super().__init__(parent)
        self._cache_dir = Path(cache_dir)
        self._cache: OrderedDict[tuple[str, int], Any] = OrderedDict()
        self._failed: set[tuple[str, int]] = set()
        self._requested: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        self._stack: list[tuple[tuple[str, int], Callable[[], Any]]] = []
        self._pool = TaskPool(threads, name="kinora-thumbnails")
        self._thumbs: Any = None  # studio.media.thumbnails.ThumbnailCache, made on first use

    def poster(self, take_id: int, media_path: Path | None, sha256: str | None) -> QImage | None:
        if media_path is None or sha256 is None:
            return None
        return self._get(("poster", take_id), lambda: self._load_poster(media_path, sha256))

    def filmstrip(self, take_id: int, media_path: Path | None, sha256: str | None) -> list[QImage] | None:
        if media_path is None or sha256 is None:
            return None
        return self._get(("strip", take_id), lambda: self._load_filmstrip(media_path, sha256))

    def forget(self, take_id: int) -> None:
        """Drop cached images of a take (its media changed or it was deleted)."""
        for kind in ("poster", "strip"):
            key = (kind, take_id)
            self._cache.pop(key, None)
            self._failed.discard(key)

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until pending loads are done (tests and shutdown only)."""
        return self._pool.wait(timeout_ms)

    def _get(self, key: tuple[str, int], load: Callable[[], Any]) -> Any:
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        if key in self._failed or key in self._requested:
            return None
        self._requested.add(key)
        with self._lock:
            self._stack.append((key, load))
            dropped = self._stack[:-MAX_PENDING]
            del self._stack[:-MAX_PENDING]
        for old_key, _ in dropped:
            self._requested.discard(old_key)  # asked again if it scrolls back into view
        # The result comes back through run_async's relay, which outlives the loader: a load that
        # finishes while the loader's widget is being deleted is dropped, never emitted on a dead object.
        run_async(self._load_next, self._loaded, pool=self._pool, receiver=self)
        return None

    def _load_next(self) -> tuple[tuple[str, int], Any] | None:
        """On a pool thread: serve the newest request."""
        with self._lock:
            if not self._stack:
                return None
            key, load = self._stack.pop()
        try:
            return key, load()
        except Exception as exc:  # a broken file gets no thumbnail, not a crash
            log.info("no thumbnail for %s: %s", key, exc)
            return key, None

    def _loaded(self, result: tuple[tuple[str, int], Any] | None) -> None:
        if result is not None:
            self._store(*result)

    def _store(self, key: tuple[str, int], value: Any) -> None:
        self._requested.discard(key)
        if value is None:
            self._failed.add(key)
            return
        self._cache[key] = value
        while len(self._cache) > CACHE_ITEMS:
            self._cache.popitem(last=False)
        self.ready.emit(key[1])

    def _cache_obj(self) -> Any:
        with self._lock:
            if self._thumbs is None:
                from studio.media.thumbnails import ThumbnailCache

                self._thumbs = ThumbnailCache(self._cache_dir)
            return self._thumbs

    def _load_poster(self, media_path: Path, sha256: str) -> QImage | None:
        path = self._cache_obj().poster(media_path, sha256, height=POSTER_HEIGHT)
        image = QImage(str(path))
        return None if image.isNull() else image

    def _load_filmstrip(self, media_path: Path, sha256: str) -> list[QImage] | None:
        frames = self._cache_obj().filmstrip(media_path, sha256, FILMSTRIP_FRAMES, POSTER_HEIGHT)
        return [rgb_to_qimage(f) for f in frames] or None

