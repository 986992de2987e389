"""Writing H.264 + AAC MP4 files: a streaming ClipWriter and write_clip for whole clips.

Video is H.264 yuv420p (BT.709, limited range, tagged), keyframes at most every half second so
scrubbing our own files is fast; audio is AAC-LC 48 kHz stereo. FFmpeg's AAC encoder emits 1024
priming samples; it stamps the first packet at pts -1024 and the MP4 muxer writes an edit list
that tells players to skip them, so the first audio sample we give lines up with the first frame
(tests/test_media_sync.py measures this on decode rather than assuming it).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from studio.atomic import atomic_path
from studio.errors import MediaError
from studio.media.containers import describe

AUDIO_RATE = 48000
AUDIO_BITRATE = 192_000
MAX_KEYFRAME_INTERVAL_S = 0.5
_AAC_FRAME = 1024
_BT709 = 1


def as_rate(fps: float | Fraction | int) -> Fraction:
    """A frame rate as an exact fraction; 29.97, 23.976 and 59.94 become their NTSC fractions."""
    if isinstance(fps, Fraction):
        return fps
    if isinstance(fps, int):
        return Fraction(fps)
    for base in (24, 30, 60, 120):
        ntsc = Fraction(base * 1000, 1001)
        if abs(fps - float(ntsc)) < 0.005:
            return ntsc
    rate = Fraction(fps).limit_denominator(1001)
    if rate <= 0:
        raise MediaError(f"frame rate {fps} is not positive; use e.g. 24, 25, 30 or 29.97")
    return rate


def even_size(width: int, height: int) -> tuple[int, int]:
    """H.264 4:2:0 needs even dimensions; odd ones are rounded down (at least 2)."""
    return max(2, width - width % 2), max(2, height - height % 2)


class ClipWriter:
    """Encode pictures and sound into an MP4 at `path` (write to a temporary name; see write_clip).

    `add_frame` takes RGB arrays or av.VideoFrames (any size is scaled to the writer's size);
    `add_audio` takes (n, 2) float32 at 48 kHz in order. `close()` flushes the encoders.
    """

    def __init__(self, path: str | os.PathLike[str], width: int, height: int, fps: float | Fraction, *,
                 crf: int = 18, preset: str = "fast", audio: bool = True, threads: int = 0) -> None:
        self.path = Path(path)
        self.rate = as_rate(fps)
        self.width, self.height = even_size(width, height)
        try:
            self._container = av.open(str(self.path), mode="w", format="mp4", options={"movflags": "+faststart"})
            self._video = self._container.add_stream("libx264", rate=self.rate)
        except av.FFmpegError as exc:
            raise MediaError(f"{self.path}: cannot start writing the video ({describe(exc)})") from exc
        v = self._video
        v.width, v.height, v.pix_fmt = self.width, self.height, "yuv420p"
        v.time_base = 1 / self.rate
        v.thread_count = threads
        v.codec_context.gop_size = max(1, math.floor(self.rate * Fraction(MAX_KEYFRAME_INTERVAL_S)))
        v.codec_context.colorspace = v.codec_context.color_primaries = v.codec_context.color_trc = _BT709
        v.codec_context.color_range = 1  # limited ("tv") range, what players expect from H.264
        v.options = {"crf": str(crf), "preset": preset}
        self._audio = None
        if audio:
            a = self._container.add_stream("aac", rate=AUDIO_RATE)
            a.layout = "stereo"
            a.bit_rate = AUDIO_BITRATE
            self._audio = a
        self.frames_written = 0
        self.samples_written = 0
        self._pending_audio = np.zeros((0, 2), np.float32)

    def add_frame(self, frame: np.ndarray | av.VideoFrame) -> None:
        """Append one picture; its time is frames_written / fps."""
        if isinstance(frame, np.ndarray):
            frame = av.VideoFrame.from_ndarray(_as_rgb(frame), format="rgb24")
        out = frame.reformat(width=self.width, height=self.height, format="yuv420p",
                             dst_colorspace="ITU709", dst_color_range="MPEG")
        out.pts = self.frames_written
        self.frames_written += 1
        self._mux(self._video.encode(out))

    def add_audio(self, samples: np.ndarray) -> None:
        """Append stereo float32 samples at 48 kHz; the first sample plays with the first frame."""
        if self._audio is None:
            raise MediaError(f"{self.path}: this writer was opened without an audio track")
        data = np.concatenate([self._pending_audio, _as_stereo(samples)])
        whole = len(data) - len(data) % _AAC_FRAME
        for i in range(0, whole, _AAC_FRAME):
            self._encode_audio(data[i:i + _AAC_FRAME])
        self._pending_audio = data[whole:]

    def close(self) -> None:
        """Flush both encoders and finish the file (the moov box moves to the front)."""
        try:
            self._mux(self._video.encode(None))
            if self._audio is not None:
                if len(self._pending_audio):
                    self._encode_audio(self._pending_audio)
                    self._pending_audio = np.zeros((0, 2), np.float32)
                self._mux(self._audio.encode(None))
        finally:
            self._container.close()

    def abort(self) -> None:
        """Stop without flushing (the caller deletes the partial file)."""
        try:
            self._container.close()
        except av.FFmpegError:
            pass

    def _encode_audio(self, block: np.ndarray) -> None:
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block.T), format="fltp", layout="stereo")
        frame.sample_rate = AUDIO_RATE
        frame.pts = self.samples_written
        frame.time_base = Fraction(1, AUDIO_RATE)
        self.samples_written += len(block)
        self._mux(self._audio.encode(frame))

    def _mux(self, packets: list[av.Packet]) -> None:
        try:
            self._container.mux(packets)
        except av.FFmpegError as exc:
            raise MediaError(f"{self.path}: writing failed ({describe(exc)}); check free disk space") from exc


def fit_audio(audio: np.ndarray | None, sample_rate: int, n_samples: int) -> np.ndarray:
    """Audio as (n_samples, 2) float32 at 48 kHz: resampled, mono doubled, padded with silence or cut."""
    if audio is None:
        return np.zeros((n_samples, 2), np.float32)
    stereo = _as_stereo(audio)
    if sample_rate != AUDIO_RATE:
        stereo = resample(stereo, sample_rate, AUDIO_RATE)
    if len(stereo) < n_samples:
        stereo = np.concatenate([stereo, np.zeros((n_samples - len(stereo), 2), np.float32)])
    return np.ascontiguousarray(stereo[:n_samples])


def resample(stereo: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample (n, 2) float32 with FFmpeg's resampler; the first output sample keeps the first input's time."""
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=rate_out)
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(stereo.T), format="fltp", layout="stereo")
    frame.sample_rate = rate_in
    frame.pts = 0
    frame.time_base = Fraction(1, rate_in)
    chunks = [f.to_ndarray() for f in resampler.resample(frame)] + [f.to_ndarray() for f in resampler.resample(None)]
    if not chunks:
        return np.zeros((0, 2), np.float32)
    return np.concatenate(chunks, axis=1).T.astype(np.float32)


def write_clip(frames: np.ndarray | Iterable[np.ndarray], audio: np.ndarray | None, fps: float | Fraction,
               sample_rate: int, path: str | os.PathLike[str], *, crf: int = 18, preset: str = "fast") -> Path:
    """Write frames (T, H, W, 3) uint8 RGB (or an iterable of them) and audio (n, ch) float32 at
    sample_rate (None: a silent track) to an H.264 + AAC 48 kHz MP4 at path, via a temporary name.

    The audio is resampled to 48 kHz and padded or cut to exactly the video's duration (frames / fps).
    """
    rate = as_rate(fps)
    frame_iter = iter(frames)
    first = next(frame_iter, None)
    if first is None:
        raise MediaError(f"{path}: no frames to write; a clip needs at least one picture")
    height, width = first.shape[:2]
    path = Path(path)
    with atomic_path(path) as tmp:
        writer = ClipWriter(tmp, width, height, rate, crf=crf, preset=preset)
        try:
            writer.add_frame(first)
            for frame in frame_iter:
                writer.add_frame(frame)
            n_samples = int(round(writer.frames_written / rate * AUDIO_RATE))
            writer.add_audio(fit_audio(audio, sample_rate, n_samples))
        except BaseException:
            writer.abort()
            raise
        writer.close()
    return path


def _as_rgb(frame: np.ndarray) -> np.ndarray:
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise MediaError(f"frames must be (H, W, 3) uint8 RGB, got {frame.dtype} {frame.shape}")
    return np.ascontiguousarray(frame)


def _as_stereo(audio: np.ndarray) -> np.ndarray:
    """(n,) or (n, ch) float audio as (n, 2) float32: mono doubled, channels past two dropped."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[:, None]
    if audio.ndim != 2:
        raise MediaError(f"audio must be (samples, channels) float32, got shape {audio.shape}")
    if audio.shape[1] == 1:
        audio = np.repeat(audio, 2, axis=1)
    return audio[:, :2]
