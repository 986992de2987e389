"""Sound from any media file as float32 stereo at one rate (48 kHz unless asked), read by time window."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import av
import numpy as np

from studio.errors import MediaError
from studio.media.containers import describe, open_input, seek
from studio.media.decode import media_origin_pts

PROJECT_RATE = 48000
# Seconds decoded before a window's start after a seek: codecs need a little lead-in to settle.
_SEEK_LEAD_S = 0.2


class AudioReader:
    """Windowed reads of one file's first audio stream, the container kept open between reads."""

    def __init__(self, path: str | os.PathLike[str], rate: int = PROJECT_RATE) -> None:
        self.path = Path(path)
        self.rate = int(rate)
        self._lock = threading.Lock()
        self._container = open_input(self.path)
        if not self._container.streams.audio:
            self._container.close()
            raise MediaError(f"{self.path}: has no audio stream")
        self._stream = self._container.streams.audio[0]
        self._tb = float(self._stream.time_base)
        self._origin = media_origin_pts(self._container, self._stream)
        self._mono = self._stream.codec_context.channels == 1
        # Encoders pad the last packet (AAC to 1024 samples); the stream's duration says where sound ends.
        self.duration = float(self._stream.duration * self._tb) if self._stream.duration else None

    def read(self, start: float = 0.0, end: float | None = None) -> np.ndarray:
        """Samples from start to end seconds (end None: to the end) as (n, 2) float32.

        Times before the sound starts or after it ends read as silence, so the result always
        holds round((end - start) * rate) samples when end is given.
        """
        start = float(start)
        if end is None and self.duration is not None:
            end = max(start, self.duration)
        with self._lock:
            first_time, data = self._decode_window(start, end)
        offset = int(round((start - first_time) * self.rate))
        if offset >= 0:
            data = data[offset:]
        else:
            data = np.concatenate([np.zeros((-offset, 2), np.float32), data])
        if end is not None:
            want = max(0, int(round((end - start) * self.rate)))
            if len(data) < want:
                data = np.concatenate([data, np.zeros((want - len(data), 2), np.float32)])
            data = data[:want]
        return np.ascontiguousarray(data)

    def close(self) -> None:
        with self._lock:
            self._container.close()

    def __enter__(self) -> AudioReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _decode_window(self, start: float, end: float | None) -> tuple[float, np.ndarray]:
        """Decode from the packet before start to past end; (time of the first sample, samples)."""
        seek_to = max(0.0, start - _SEEK_LEAD_S)
        seek(self._container, int(round(seek_to / self._tb)) + self._origin, self._stream, self.path)
        # A fresh resampler per window: its output is contiguous from the first frame decoded.
        resampler = av.AudioResampler(format="flt", layout="mono" if self._mono else "stereo", rate=self.rate)
        chunks: list[np.ndarray] = []
        first_time: float | None = None
        try:
            for frame in self._container.decode(self._stream):
                if frame.pts is not None:
                    t = (frame.pts - self._origin) * self._tb
                    if first_time is None:
                        first_time = t
                    if end is not None and t > end:
                        break
                elif first_time is None:
                    first_time = 0.0
                chunks.extend(f.to_ndarray() for f in resampler.resample(frame))
            chunks.extend(f.to_ndarray() for f in resampler.resample(None))
        except av.FFmpegError as exc:
            raise MediaError(f"{self.path}: its audio cannot be decoded ({describe(exc)}); the file may be damaged") from exc
        if not chunks:
            return (first_time or 0.0), np.zeros((0, 2), np.float32)
        data = np.concatenate(chunks, axis=1).T  # packed 'flt' arrives as (1, n*ch)
        data = data.reshape(-1, 1 if self._mono else 2)
        if self._mono:
            data = np.repeat(data, 2, axis=1)
        return (first_time or 0.0), data.astype(np.float32, copy=False)


class AudioCursor:
    """Contiguous reads forward from a start time: take(n) returns the next n samples.

    One decode pass, no seeking between reads, so consecutive takes join sample-exactly (what
    export's mixer needs). Past the end of the sound it returns silence.
    """

    def __init__(self, path: str | os.PathLike[str], start: float = 0.0, rate: int = PROJECT_RATE) -> None:
        self.path = Path(path)
        self.rate = int(rate)
        self._container = open_input(self.path)
        if not self._container.streams.audio:
            self._container.close()
            raise MediaError(f"{self.path}: has no audio stream")
        stream = self._container.streams.audio[0]
        self._mono = stream.codec_context.channels == 1
        tb = float(stream.time_base)
        origin = media_origin_pts(self._container, stream)
        seek(self._container, int(round(max(0.0, start - _SEEK_LEAD_S) / tb)) + origin, stream, self.path,
             fresh=True)
        self._chunks = self._decoded(stream, tb, origin)
        self._buffer = np.zeros((0, 2), np.float32)
        first_time = next(self._chunks, 0.0)
        skip = int(round((start - first_time) * self.rate))
        if skip < 0:
            self._buffer = np.zeros((-skip, 2), np.float32)
        else:
            self._drop(skip)

    def take(self, n: int) -> np.ndarray:
        """The next n samples as (n, 2) float32."""
        while len(self._buffer) < n:
            chunk = next(self._chunks, None)
            if chunk is None:
                pad = np.zeros((n - len(self._buffer), 2), np.float32)
                self._buffer = np.concatenate([self._buffer, pad])
                break
            self._buffer = np.concatenate([self._buffer, chunk])
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    def close(self) -> None:
        self._chunks.close()
        self._container.close()

    def __enter__(self) -> AudioCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _drop(self, n: int) -> None:
        while n > 0:
            if not len(self._buffer):
                chunk = next(self._chunks, None)
                if chunk is None:
                    return
                self._buffer = chunk
            cut = min(n, len(self._buffer))
            self._buffer = self._buffer[cut:]
            n -= cut

    def _decoded(self, stream: av.audio.stream.AudioStream, tb: float, origin: int):
        """Yields the first frame's time once, then (n, 2) float32 chunks at self.rate."""
        resampler = av.AudioResampler(format="flt", layout="mono" if self._mono else "stereo", rate=self.rate)
        announced = False
        try:
            for frame in self._container.decode(stream):
                if not announced:
                    announced = True
                    yield (frame.pts - origin) * tb if frame.pts is not None else 0.0
                for out in resampler.resample(frame):
                    yield self._stereo(out.to_ndarray())
            for out in resampler.resample(None):
                yield self._stereo(out.to_ndarray())
        except av.FFmpegError as exc:
            raise MediaError(f"{self.path}: its audio cannot be decoded ({describe(exc)}); the file may be damaged") from exc

    def _stereo(self, packed: np.ndarray) -> np.ndarray:
        data = packed.reshape(-1, 1 if self._mono else 2)
        return np.repeat(data, 2, axis=1) if self._mono else data.astype(np.float32, copy=False)


def read_audio(path: str | os.PathLike[str], start: float = 0.0, end: float | None = None,
               rate: int = PROJECT_RATE) -> np.ndarray:
    """The sound of path from start to end seconds as (n, 2) float32 at rate (default 48 kHz)."""
    with AudioReader(path, rate) as reader:
        return reader.read(start, end)
