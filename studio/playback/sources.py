"""What the player plays: anything with a duration, a frame rate, pictures and 48 kHz stereo audio.

`FileSource` plays one media file, `ArraySource` plays frames and samples already in memory (a
generated title card before it is written). `TimelineSource` (in timeline_source.py) plays an edit.
Frames are (H, W, 3) uint8 RGB; sizes are (width, height).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from studio.playback.audio_window import AudioWindows
from studio.playback.sinks import SAMPLE_RATE

if TYPE_CHECKING:
    from studio.media.decode import FrameReader
    from studio.media.probe import MediaInfo


class Source(Protocol):
    duration: float
    fps: float
    size: tuple[int, int]
    has_audio: bool

    def frame_at(self, t: float, size: tuple[int, int] | None = None) -> np.ndarray:
        """The picture shown at `t` seconds, optionally scaled to `size` (width, height)."""

    def audio(self, t0: float, t1: float) -> np.ndarray:
        """Audio from `t0` to `t1` seconds as (n, 2) float32 at 48 kHz; silence outside the source."""

    def close(self) -> None:
        """Release decoders."""


def frame_count(source: Source) -> int:
    """How many frames the source shows: the last one starts before `duration`."""
    return max(1, int(round(source.duration * source.fps)))


def sample_span(t0: float, t1: float, rate: int = SAMPLE_RATE) -> tuple[int, int]:
    """(first sample, count) for a time span, rounded so consecutive spans join exactly."""
    first = int(round(t0 * rate))
    return first, max(0, int(round(t1 * rate)) - first)


def resize(frame: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """`frame` scaled to `size` (width, height); unchanged when it already is."""
    if size is None or (frame.shape[1], frame.shape[0]) == tuple(size):
        return frame
    import cv2

    return cv2.resize(frame, tuple(size), interpolation=cv2.INTER_AREA)


def fitted_size(picture: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The size (width, height) of a `picture` scaled to fit inside `box` keeping its shape."""
    (fw, fh), (w, h) = picture, box
    scale = min(w / fw, h / fh)
    return max(1, int(round(fw * scale))), max(1, int(round(fh * scale)))


def fit_into(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`frame` scaled to fit inside `size` keeping its shape, centred on black (letterbox)."""
    w, h = size
    fh, fw = frame.shape[:2]
    if (fw, fh) == (w, h):
        return frame
    sw, sh = fitted_size((fw, fh), size)
    canvas = np.zeros((h, w, 3), dtype=np.uint8)
    x, y = (w - sw) // 2, (h - sh) // 2
    canvas[y : y + sh, x : x + sw] = resize(frame, (sw, sh))
    return canvas


# A jump decodes every picture from the keyframe before it: up to (keyframe gap x fps) of them.
# Past about 10 megapixels of that (Kinora's 768x512 takes, a keyframe every 0.5 s: ~5, p95 ~30 ms
# a jump on a 2-core machine; 1080p30 with the same GOP: ~31, ~250 ms; ffmpeg's defaults at
# 1080p: ~500, over a second) a file gets a scrub proxy. The proxy holds every frame in memory
# (~1.5 MB a second at 540p), so files longer than PROXY_MAX_S get none.
PROXY_JUMP_PIXELS = 10_000_000
AUDIO_ONLY_SIZE = (640, 360)  # the picture of a sound file: its waveform
PROXY_MAX_S = 180.0


def open_reader(path: Path, info: MediaInfo | None = None, *, proxy: bool = True) -> FrameReader:
    """A FrameReader for playback; with a scrub proxy (built in the background) where a jump
    would decode too much, so that jumps while scrubbing take milliseconds at viewer sizes.
    `proxy=False` for a second reader of a file that already has one (the pass costs a whole decode)."""
    from studio.media.decode import FrameReader
    from studio.media.probe import probe

    info = info or probe(path)
    jump_pixels = info.max_keyframe_interval * (info.fps or 30.0) * (info.width or 0) * (info.height or 0)
    wants_proxy = proxy and jump_pixels > PROXY_JUMP_PIXELS and info.duration <= PROXY_MAX_S
    return FrameReader(path, info=info, scrub_proxy=wants_proxy)


class ArraySource:
    """Frames (T, H, W, 3) uint8 and optional audio (n, 2) float32 at 48 kHz, held in memory."""

    def __init__(self, frames: np.ndarray, fps: float, audio: np.ndarray | None = None) -> None:
        self._frames = np.asarray(frames)
        self.fps = float(fps)
        self.duration = len(self._frames) / self.fps
        self.size = (int(self._frames.shape[2]), int(self._frames.shape[1]))
        self.has_audio = audio is not None
        self._audio = None if audio is None else np.asarray(audio, dtype=np.float32).reshape(-1, 2)

    def frame_at(self, t: float, size: tuple[int, int] | None = None) -> np.ndarray:
        index = min(max(int(np.floor(t * self.fps + 1e-9)), 0), len(self._frames) - 1)
        return resize(self._frames[index], size)

    def audio(self, t0: float, t1: float) -> np.ndarray:
        first, n = sample_span(t0, t1)
        out = np.zeros((n, 2), dtype=np.float32)
        if self._audio is None:
            return out
        a, b = max(first, 0), min(first + n, len(self._audio))
        if b > a:
            out[a - first : b - first] = self._audio[a:b]
        return out

    def close(self) -> None:
        return None


class FileSource:
    """One media file: pictures through studio.media.decode.FrameReader, sound through read_audio."""

    def __init__(self, path: str | Path) -> None:
        from studio.media.probe import probe

        self.path = Path(path)
        info = self._info = probe(self.path)
        self.duration = float(info.duration)
        self.fps = float(info.fps or 24.0)
        self.size = (int(info.width or 0), int(info.height or 0))
        self.has_audio = bool(info.has_audio)
        self._has_video = bool(info.has_video)
        self._reader: FrameReader | None = None
        self._audio = AudioWindows(self.path, SAMPLE_RATE, duration=self.duration) if self.has_audio else None
        self._peaks: np.ndarray | None = None  # a sound file's waveform, one (min, max) per picture column

    def frame_at(self, t: float, size: tuple[int, int] | None = None) -> np.ndarray:
        if not self._has_video:  # a sound file: its waveform, with the position marked
            return self._waveform(size or AUDIO_ONLY_SIZE, t)
        return self._open_reader().frame_at(t, size)

    def _waveform(self, size: tuple[int, int], t: float) -> np.ndarray:
        w, h = size
        if self._peaks is None or len(self._peaks) != w:
            assert self._audio is not None
            n = max(1, int(round(self.duration * SAMPLE_RATE)))
            mono = self._audio.samples(0, n).mean(axis=1)
            columns = np.array_split(mono, w)
            self._peaks = np.array([(c.min(), c.max()) if len(c) else (0.0, 0.0) for c in columns], np.float32)
        picture = np.full((h, w, 3), 18, dtype=np.uint8)
        mid, half = h / 2, h / 2 - 2
        rows = np.arange(h)[:, None]
        inside = (rows >= np.floor(mid - self._peaks[:, 1] * half)) & (rows <= np.ceil(mid - self._peaks[:, 0] * half))
        picture[inside] = (94, 199, 140)
        x = min(w - 1, int(t / self.duration * w)) if self.duration else 0
        picture[:, x] = (255, 90, 78)
        return picture

    def proxy_ready(self, timeout: float | None = None) -> bool:
        """Whether jumps are answered from a complete scrub proxy (waits up to `timeout` s); False
        for files that need none."""
        return self._has_video and self._open_reader().proxy_ready(timeout)

    def _open_reader(self) -> FrameReader:
        if self._reader is None:  # on first use, on the decode thread
            self._reader = open_reader(self.path, self._info)
        return self._reader

    def audio(self, t0: float, t1: float) -> np.ndarray:
        first, n = sample_span(t0, t1)
        if self._audio is None:
            return np.zeros((n, 2), dtype=np.float32)
        return self._audio.samples(first, n)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
