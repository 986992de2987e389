"""The Feed's card player: the focused clip plays and loops; the next cards are made ready ahead.

One `studio.playback.Player` (the Preview's core: decode-ahead, audio clock) plays the card in view on a
`VideoSurface`, ticked as the Preview ticks (studio/ui/player/frame_ticker.py), and through the window's one
sound card (a handle on the monitors'
`AudioDevice`) rather than a stream of its own. For the next PRELOAD_AHEAD cards a pool thread opens the
file and decodes its first frame at the card's size, so a snap paints a picture at once and hands the open
source to the player.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from studio.feed.store import FeedPost
from studio.playback import FileSource, Player, Sink
from studio.playback.sources import fitted_size
from studio.ui.player.audio_device import AudioDevice
from studio.ui.player.frame_ticker import FrameTicker
from studio.ui.player.preview import frame_to_qimage
from studio.ui.player.video_surface import VideoSurface
from studio.ui.tasks import run_async

PRELOAD_AHEAD = 2


@dataclass
class Preloaded:
    """A card made ready off the GUI thread: its file opened and its first frame decoded."""

    post_id: str
    source: FileSource
    first_frame: np.ndarray


def open_card(path: Path, post_id: str, box: tuple[int, int]) -> Preloaded:
    """On a pool thread: open the file and decode its first frame to fit `box` (device pixels)."""
    source = FileSource(path)
    size = fitted_size(source.size, box) if min(source.size) > 0 else None
    return Preloaded(post_id, source, np.ascontiguousarray(source.frame_at(0.0, size)))


class CardPlayer(QObject):
    """Plays card `index` of `posts` on `surface`, preloading the next ones (see the module notes)."""

    cardShown = Signal(str, float)  # post id, ms from the snap to its first frame on screen
    failed = Signal(str)

    def __init__(self, surface: VideoSurface, video_path: Callable[[FeedPost], Path | None],
                 sink: Sink | None = None, parent: QObject | None = None, audio: AudioDevice | None = None) -> None:
        """The player plays on `sink` if given, else on a handle of `audio` (the window's sound card, shared
        with the monitors), else on a sound card of its own."""
        super().__init__(parent)
        self.surface = surface
        self._video_path = video_path
        self._sink = sink
        self._audio = audio
        self._handle: Sink | None = None  # the sink taken from `audio`, closed with the player
        self.player: Player | None = None  # made by start(): no audio device for a page never shown
        self.posts: Sequence[FeedPost] = ()
        self.index = 0
        self.ready: dict[int, Preloaded] = {}
        self.pending: set[int] = set()
        self.last_snap_ms: float | None = None
        self.snap_started: float | None = None
        self.shown_frame: np.ndarray | None = None  # the pixels the surface's QImage points at
        self._muted = False
        self._closed = False
        self._ticker = FrameTicker(lambda: self.player, self._show_due_frame, self)

    def start(self) -> None:
        """Open the player (first time) and tick; the view calls it when shown."""
        if self._closed:
            return
        if self.player is None:
            sink = self._sink
            if sink is None and self._audio is not None:
                sink = self._handle = self._audio.sink()  # opened already by the monitors, as a rule
            self.player = Player(sink)
            self.player.loop = True
        self._ticker.start()

    def stop(self) -> None:
        """Pause while the view is hidden."""
        self._ticker.stop()
        if self.player is not None:
            self.player.pause()

    @property
    def muted(self) -> bool:
        return self._muted

    @muted.setter
    def muted(self, on: bool) -> None:
        self._muted = on
        if self.player is not None:
            self.player.muted = on

    def set_posts(self, posts: Sequence[FeedPost]) -> None:
        self.posts = posts
        self.drop_preloads()

    def drop_preloads(self, keep: range | None = None) -> None:
        for i in [i for i in self.ready if keep is None or i not in keep]:
            self.ready.pop(i).source.close()
        if keep is None:
            self.pending.clear()  # their results are dropped when they arrive (post id check)

    def show(self, index: int) -> None:
        """Snap to card `index`: paint its first frame (now, if preloaded), play it, preload the next ones."""
        if not self.posts:
            if self.player is not None:
                self.player.pause()
            self.surface.set_image(None)
            return
        self.index = index
        self.snap_started = time.perf_counter()
        self.drop_preloads(range(index, index + PRELOAD_AHEAD + 1))
        ready = self.ready.get(index)
        if ready is not None:
            self._play(ready)
        else:
            self._preload(index)
        for ahead in range(1, PRELOAD_AHEAD + 1):
            self._preload(index + ahead)

    def card_box(self) -> tuple[int, int]:
        """The card's size in device pixels: frames are decoded at this size, never scaled on the GUI thread."""
        ratio = self.surface.devicePixelRatioF()
        return max(2, int(self.surface.width() * ratio)), max(2, int(self.surface.height() * ratio))

    def _preload(self, index: int) -> None:
        if not (0 <= index < len(self.posts)) or index in self.ready or index in self.pending:
            return
        post, video_path, box = self.posts[index], self._video_path, self.card_box()
        self.pending.add(index)

        def work() -> Preloaded | None:
            path = video_path(post)
            return open_card(path, post.post_id, box) if path is not None else None

        def done(ready: Preloaded | None) -> None:
            self.pending.discard(index)
            stale = index >= len(self.posts) or self.posts[index].post_id != ready.post_id if ready else True
            if ready is None or self._closed or stale or index in self.ready:
                if ready is not None:
                    ready.source.close()
                return
            self.ready[index] = ready
            if index == self.index and self.snap_started is not None:
                self._play(ready)

        def failed(exc: Exception) -> None:
            self.pending.discard(index)
            self.failed.emit(f"Could not open the post: {exc}")

        run_async(work, done, failed, receiver=self)

    def _play(self, ready: Preloaded) -> None:
        """Paint the preloaded first frame now and hand its source to the player (which then owns it)."""
        self.ready.pop(self.index, None)
        self.shown_frame = ready.first_frame
        self.surface.set_image(frame_to_qimage(ready.first_frame))
        self.surface.repaint()  # on screen now, not at the next turn of the event loop
        if self.snap_started is not None:
            self.last_snap_ms = (time.perf_counter() - self.snap_started) * 1000.0
            self.snap_started = None
            self.cardShown.emit(ready.post_id, self.last_snap_ms)
        if self.player is not None:
            height, width = ready.first_frame.shape[:2]
            self.player.set_frame_size((width, height))
            self.player.load(ready.source)
            self.player.muted = self._muted
            self.player.play()
        else:
            ready.source.close()

    def _show_due_frame(self) -> None:
        frame = self.player.current_frame() if self.player is not None else None
        if frame is not None and frame.image is not self.shown_frame:
            self.shown_frame = frame.image
            self.surface.set_image(frame_to_qimage(frame.image))

    def shutdown(self) -> None:
        """Stop ticking and playback threads, close preloaded files (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._ticker.stop()
        self.drop_preloads()
        if self.player is not None:
            self.player.close()
        if self._handle is not None:
            self._handle.close()  # ends its run on the shared sound card (the device stays the window's)
