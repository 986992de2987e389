"""Frame-accurate video reading: the picture shown at a time, by presentation timestamp.

One decoder stays open between calls. Reading forward continues decoding instead of seeking, so
playback and export are sequential-speed; a jump backward or far ahead seeks to the keyframe before
the target. Decoded pictures are kept (still in the decoder's YUV, so cheap to hold) in a cache
bounded in bytes; conversion to RGB at the requested size, with rotation applied, happens on return.
"""

from __future__ import annotations

import bisect
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from studio.errors import MediaError
from studio.media.containers import describe, open_input, seek
from studio.media.probe import MediaInfo, probe
from studio.media.scrub_proxy import ScrubProxy

DEFAULT_CACHE_BYTES = 256 * 1024 * 1024
PROXY_HEIGHT = 540
# Decoded pictures a time may land past its frame's timestamp through float rounding (k / fps).
_PTS_TOLERANCE_S = 1e-4


@dataclass
class _Decoded:
    """One decoded picture and the presentation interval [start, end) it is shown for, in seconds."""

    start: float
    end: float
    frame: av.VideoFrame
    nbytes: int


class _FrameCache:
    """Decoded pictures by presentation interval, least recently used evicted past max_bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._starts: list[float] = []
        self._items: OrderedDict[float, _Decoded] = OrderedDict()

    def find(self, t: float) -> _Decoded | None:
        i = bisect.bisect_right(self._starts, t + _PTS_TOLERANCE_S) - 1
        if i < 0:
            return None
        item = self._items[self._starts[i]]
        if t + _PTS_TOLERANCE_S < item.end:
            self._items.move_to_end(item.start)
            return item
        return None

    def add(self, item: _Decoded) -> None:
        if item.start in self._items:
            return
        bisect.insort(self._starts, item.start)
        self._items[item.start] = item
        self.nbytes += item.nbytes
        while self.nbytes > self.max_bytes and len(self._items) > 1:
            start, old = self._items.popitem(last=False)
            del self._starts[bisect.bisect_left(self._starts, start)]
            self.nbytes -= old.nbytes

    def clear(self) -> None:
        self._starts.clear()
        self._items.clear()
        self.nbytes = 0


class FrameReader:
    """Random and sequential access to the RGB pictures of one video file.

    `frame_at(t)` is the frame on screen at t seconds from the first frame (largest presentation
    time <= t), so variable-frame-rate files are right. Calls are serialised by a lock, so a reader
    may be shared, but one reader per consumer thread (player, export, thumbnails) avoids waiting
    and keeps each decoder's position useful. `scrub_proxy=True` starts a background pass that
    makes random jumps at viewer sizes (<= proxy_height) take milliseconds; see scrub_proxy.py.
    """

    def __init__(self, path: str | os.PathLike[str], *, cache_bytes: int = DEFAULT_CACHE_BYTES,
                 info: MediaInfo | None = None, scrub_proxy: bool = False, proxy_height: int = PROXY_HEIGHT) -> None:
        self.path = Path(path)
        self.info = info or probe(self.path)
        if not self.info.has_video:
            raise MediaError(f"{self.path}: has no video stream to show; it is a sound file")
        self._lock = threading.Lock()
        self._cache = _FrameCache(cache_bytes)
        self._container = open_input(self.path)
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self._tb = float(self._stream.time_base)
        self._origin = media_origin_pts(self._container, self._stream)
        self._first_s = self._seconds_of(self._stream.start_time) if self._stream.start_time is not None else 0.0
        self._default_frame_s = 1.0 / self.info.fps if self.info.fps else 1.0 / 30
        self._decoded: Iterator[av.VideoFrame] | None = None
        self._ahead: _Decoded | None = None  # last picture decoded, whose end is not yet known
        self._at_end = False
        self._reach_s = max(1.0, self.info.max_keyframe_interval)
        self._proxy: ScrubProxy | None = None
        if scrub_proxy:
            h = min(proxy_height, self.info.height)
            w = self.info.width if h == self.info.height else max(2, int(round(self.info.width * h / self.info.height / 2)) * 2)
            self._proxy = ScrubProxy(self.path, width=w, height=h, rotation=self.info.rotation, origin_pts=self._origin)

    @property
    def duration(self) -> float:
        return self.info.duration

    def proxy_ready(self, timeout: float | None = None) -> bool:
        """Whether the scrub proxy has every frame (waits up to timeout seconds); False without one."""
        return self._proxy is not None and self._proxy.done.wait(timeout)

    @property
    def proxy_bytes(self) -> int:
        """Memory the scrub proxy holds (0 without one)."""
        return self._proxy.nbytes if self._proxy is not None else 0

    def frame_at(self, t: float, size: tuple[int, int] | None = None) -> np.ndarray:
        """The RGB picture (H, W, 3) uint8 shown at t seconds, scaled to size=(width, height) if given.

        With scrub_proxy=True, a jump (not a step forward) to a size no taller than the proxy is
        answered from the proxy once its background pass has reached t.
        """
        t = max(self._first_s, float(t))
        wanted_height = size[1] if size is not None else self.info.height
        with self._lock:
            if self._proxy is not None and wanted_height <= self._proxy.height:
                if self._cache.find(t) is None and not self._can_reach_by_decoding(t):
                    rgb = self._proxy.frame_at(t, size)
                    if rgb is not None:
                        return rgb
            item = self._locate(t)
        return self.to_rgb(item.frame, size)

    def picture_at(self, t: float) -> av.VideoFrame:
        """The decoded picture shown at t, as FFmpeg gave it (coded size, no rotation applied).

        For callers that scale and convert themselves (export works in YUV); see `rotation`.
        """
        with self._lock:
            return self._locate(max(self._first_s, float(t))).frame

    @property
    def rotation(self) -> int:
        """Degrees clockwise the decoded picture turns to display upright."""
        return self.info.rotation

    def iter_frames(self, start: float = 0.0, size: tuple[int, int] | None = None) -> Iterator[tuple[float, np.ndarray]]:
        """Every picture from the one shown at start onward, as (seconds, RGB); uses its own decoder."""
        container = open_input(self.path)
        try:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if start > 0:
                seek(container, self._to_pts(start), stream, self.path)
            pending: tuple[float, av.VideoFrame] | None = None
            for frame in _decode_frames(self.path, container, stream):
                t = self._seconds(frame)
                if pending is not None and t > start + _PTS_TOLERANCE_S:
                    yield pending[0], self.to_rgb(pending[1], size)
                pending = (t, frame)
            if pending is not None:
                yield pending[0], self.to_rgb(pending[1], size)
        finally:
            container.close()

    def close(self) -> None:
        """Release the decoder and the cached pictures."""
        if self._proxy is not None:
            self._proxy.close()
        with self._lock:
            self._cache.clear()
            self._decoded = None
            self._ahead = None
            self._container.close()

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def to_rgb(self, frame: av.VideoFrame, size: tuple[int, int] | None) -> np.ndarray:
        """Convert a decoded picture to RGB at the display size (or size), rotation applied."""
        width, height = size or (self.info.width, self.info.height)
        rotation = self.info.rotation
        coded_w, coded_h = (height, width) if rotation in (90, 270) else (width, height)
        rgb = frame.to_ndarray(width=coded_w, height=coded_h, format="rgb24")
        if rotation:
            # np.rot90 turns counter-clockwise for positive k; rotation is clockwise.
            rgb = np.ascontiguousarray(np.rot90(rgb, k=-rotation // 90))
        return rgb

    # -- decoding -----------------------------------------------------------------------------

    def _locate(self, t: float) -> _Decoded:
        hit = self._cache.find(t)
        if hit is not None:
            return hit
        if not self._can_reach_by_decoding(t):
            self._seek(t)
        item = self._decode_until(t)
        if item is None:
            # Seeking landed after t (damaged index), the stream ended, or the demuxer cannot seek at
            # all (a still image: image2 gives no picture after any seek): decode again from a fresh open.
            self._reopen()
            item = self._decode_until(t)
        if item is None:
            raise MediaError(f"{self.path}: no picture could be decoded near {t:.3f} s; the file may be damaged")
        return item

    def _can_reach_by_decoding(self, t: float) -> bool:
        """True when t lies just ahead of the decoder, so decoding on is cheaper than a seek."""
        if self._decoded is None or self._ahead is None or t + _PTS_TOLERANCE_S < self._ahead.start:
            return False
        return self._at_end or t + _PTS_TOLERANCE_S < self._ahead.start + self._reach_s

    def _seek(self, t: float) -> None:
        if t <= self._first_s + _PTS_TOLERANCE_S:
            # Back to the start: a fresh container is there already, and the image demuxer (stills)
            # loses its only picture when asked to seek.
            self._container.close()
            self._container = open_input(self.path)
            self._stream = self._container.streams.video[0]
            self._stream.thread_type = "AUTO"
        else:
            seek(self._container, self._to_pts(t), self._stream, self.path)
        self._decoded = _decode_frames(self.path, self._container, self._stream)
        self._ahead = None
        self._at_end = False

    def _reopen(self) -> None:
        self._container.close()
        self._container = open_input(self.path)
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self._decoded = _decode_frames(self.path, self._container, self._stream)
        self._ahead = None
        self._at_end = False

    def _decode_until(self, t: float) -> _Decoded | None:
        """Decode forward, caching each picture, until the one shown at t is known."""
        assert self._decoded is not None
        while True:
            if self._ahead is not None and self._ahead.start > t + _PTS_TOLERANCE_S:
                return self._cache.find(t)
            frame = next(self._decoded, None)
            if frame is None:
                self._at_end = True
                if self._ahead is None:
                    return None
                last = self._ahead
                last.end = float("inf")
                self._cache.add(last)
                return last if last.start <= t + _PTS_TOLERANCE_S else None
            start = self._seconds(frame)
            if self._ahead is not None:
                self._ahead.end = start
                self._cache.add(self._ahead)
            nbytes = sum(p.buffer_size for p in frame.planes)
            self._ahead = _Decoded(start, start + self._default_frame_s, frame, nbytes)

    def _seconds(self, frame: av.VideoFrame) -> float:
        return self._seconds_of(frame.pts if frame.pts is not None else self._origin)

    def _seconds_of(self, pts: int) -> float:
        return (pts - self._origin) * self._tb

    def _to_pts(self, t: float) -> int:
        return int(round(t / self._tb)) + self._origin


def media_origin_pts(container: av.container.InputContainer, stream: av.stream.Stream) -> int:
    """The stream timestamp of media time 0: the container's start, shared by all streams so they stay in sync."""
    if container.start_time is not None:
        return int(round(container.start_time / av.time_base / stream.time_base))
    return int(stream.start_time or 0)


def _decode_frames(path: Path, container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> Iterator[av.VideoFrame]:
    """Decoded pictures of stream in presentation order; damage mid-file ends the stream with MediaError."""
    try:
        yield from container.decode(stream)
    except av.FFmpegError as exc:
        raise MediaError(f"{path}: decoding stopped ({describe(exc)}); the file may be damaged") from exc
