"""Render an edit's schedule (what plays when) to an H.264 + AAC MP4.

The schedule comes from `studio.project.schedule.build_schedule`, the flattening the Preview plays too: video
layers composited bottom to top (where no track has a clip the frame is black), the audio pieces
mixed on the 48 kHz grid with their de-click fades, mute/solo, the timeline's rate, and which
source frame each output frame k (at k / fps) shows. Pictures stay in yuv420p from decoder to encoder.

A dissolving picture (an OTIO Transition in the schedule) is mixed over the layers beneath it. A clip
with its own framing (position and scale) is placed by it instead of the preset's fit; the layers
beneath show around it, or its fill (blurred or black) where there are none.
Not built: nested stacks inside tracks (skipped), pan.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from studio.atomic import atomic_path
from studio.cancel import CancelToken
from studio.errors import MediaError
from studio.media.audio import AudioCursor
from studio.media.compose import Placement, YuvCanvas, place, place_framed, yuv_planes
from studio.media.decode import FrameReader
from studio.media.encode import AUDIO_RATE, ClipWriter, as_rate
from studio.media.overlay import blend_text_yuv
from studio.media.presets import ExportPreset, get_preset
from studio.media.schedule import AudioPiece, Schedule, VideoPiece, canvas_size, read_sound, shape_sound, source_time
from studio.media.watermark import WatermarkSettings, YuvWatermark

DEFAULT_WATERMARK = WatermarkSettings()
_NO_VIDEO_SIZE = (1920, 1080)
_PROGRESS_EVERY_S = 0.2


@dataclass(frozen=True)
class ExportProgress:
    """How far an export is: fraction 0..1, seconds left (None until it can be guessed), frames."""

    fraction: float
    eta_s: float | None
    frame: int
    total: int


@dataclass
class RenderPlan:
    """Everything a render needs, resolved from the timeline before the first frame."""

    width: int
    height: int
    rate: Fraction
    total_frames: int
    schedule: Schedule

    def sample_at(self, frame: int) -> int:
        """The 48 kHz sample on which output frame `frame` starts."""
        return int(round(Fraction(frame) / self.rate * AUDIO_RATE))


def export(schedule: Schedule, path: str | os.PathLike[str], preset: ExportPreset | str = "16:9", *,
           watermark: WatermarkSettings | None = DEFAULT_WATERMARK,
           progress: Callable[[ExportProgress], None] | None = None,
           cancel: CancelToken | None = None) -> Path:
    """Render the schedule to an MP4 at path (via a temporary name: a cancel or failure leaves nothing).

    watermark None leaves the mark off. studio.errors.Cancelled is raised when cancel is set.
    Run it on a worker thread.
    """
    preset = get_preset(preset) if isinstance(preset, str) else preset
    plan = plan_render(schedule, preset)
    path = Path(path)
    started = time.monotonic()
    last_report = 0.0
    with atomic_path(path) as tmp:
        writer = ClipWriter(tmp, plan.width, plan.height, plan.rate, crf=preset.crf, preset=preset.x264_preset)
        video = VideoRenderer(plan, preset.fit, watermark)
        audio = AudioMixer(plan.schedule.audio)
        try:
            for k in range(plan.total_frames):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                writer.add_frame(video.frame(k))
                s0, s1 = plan.sample_at(k), plan.sample_at(k + 1)
                writer.add_audio(audio.mix(s0, s1 - s0))
                now = time.monotonic()
                if progress is not None and (now - last_report >= _PROGRESS_EVERY_S or k + 1 == plan.total_frames):
                    last_report = now
                    done = (k + 1) / plan.total_frames
                    elapsed = now - started
                    eta = elapsed / done * (1 - done) if k >= 2 else None
                    progress(ExportProgress(done, eta, k + 1, plan.total_frames))
            if cancel is not None:
                cancel.raise_if_cancelled()
        except BaseException:
            writer.abort()
            video.close()
            audio.close()
            raise
        video.close()
        audio.close()
        writer.close()
    return path


def plan_render(schedule: Schedule, preset: ExportPreset) -> RenderPlan:
    """The output size and rate for the schedule."""
    rate = preset.fps or as_rate(schedule.rate)
    total = int(round(schedule.duration * rate))
    if total <= 0:
        raise MediaError("the timeline is empty; add a clip before exporting")
    width, height = preset.width, preset.height
    if width is None or height is None:
        width, height = canvas_size(schedule) or _NO_VIDEO_SIZE
    width, height = max(2, width - width % 2), max(2, height - height % 2)
    return RenderPlan(width, height, rate, total, schedule)


class VideoRenderer:
    """Output frames in yuv420p: layers bottom to top, then the watermark."""

    def __init__(self, plan: RenderPlan, fit: str, watermark: WatermarkSettings | None) -> None:
        self.plan = plan
        self.fit = fit
        self.canvas = YuvCanvas(plan.width, plan.height)
        self.watermark = YuvWatermark(watermark, plan.width, plan.height) if watermark else None
        self._layers = [_Layer() for _ in plan.schedule.layers]

    def frame(self, k: int) -> av.VideoFrame:
        """Output frame k (at k / rate seconds)."""
        t = float(Fraction(k) / self.plan.rate)
        shown = {id(p) for p in self.plan.schedule.pictures_at(t)}
        active = [(layer, piece) for layer, pieces in zip(self._layers, self.plan.schedule.layers)
                  for piece in pieces if id(piece) in shown]
        placed = [(seg, layer.reader(seg)) for layer, seg in active]
        # Only layers from the top-most one that covers the frame, opaque, down need drawing.
        start = 0
        for i in range(len(placed) - 1, -1, -1):
            seg, reader = placed[i]
            if seg.opacity(t) >= 1.0 and self._covers(reader, seg):
                start = i
                break
        else:
            self.canvas.fill_black()
        for n, (seg, reader) in enumerate(placed[start:]):
            alpha = seg.opacity(t)
            if alpha <= 0:
                continue
            p = self._placement(reader, seg)
            src_t = source_time(seg, t, reader.info.fps, float(self.plan.rate))
            if reader.duration <= 1.5 / (reader.info.fps or 24.0):  # 24: a still probes without a rate
                src_t = 0.0  # a still (one picture): held for as long as its clip lasts
            picture = reader.picture_at(src_t)
            fill = seg.framing.fill if seg.framing is not None else self.fit
            if n == 0 and fill == "blur" and (p is None or not p.covers(self.plan.width, self.plan.height)):
                # Nothing beneath: the picture fills the frame first, blurred, so the bars are its own colours.
                self.canvas.blurred_fill(picture, reader.info.width, reader.info.height, reader.rotation)
            if p is not None:
                self.canvas.paste(yuv_planes(picture, p.scaled_w, p.scaled_h, reader.rotation), p, alpha)
            if seg.text:
                blend_text_yuv(self.canvas.y, self.canvas.u, self.canvas.v, seg.text, seg.text_position, alpha)
        if self.watermark is not None:
            self.watermark.apply(self.canvas.y, self.canvas.u, self.canvas.v)
        return self.canvas.to_frame()

    def _placement(self, reader: FrameReader, piece: VideoPiece) -> Placement | None:
        """Where the piece's picture goes: its own framing (None: wholly outside the frame), else the fit."""
        w, h = reader.info.width, reader.info.height
        if piece.framing is not None:
            return place_framed(w, h, self.plan.width, self.plan.height, piece.framing)
        return place(w, h, self.plan.width, self.plan.height, self.fit)

    def _covers(self, reader: FrameReader, piece: VideoPiece) -> bool:
        """Whether the piece hides everything beneath it (a "blur" fit fills its bars itself)."""
        if piece.framing is None and self.fit == "blur":
            return True
        p = self._placement(reader, piece)
        return p is not None and p.covers(self.plan.width, self.plan.height)

    def close(self) -> None:
        for layer in self._layers:
            layer.close()


class _Layer:
    """One video track, with a reader open for the piece being drawn."""

    def __init__(self) -> None:
        self._open: tuple[VideoPiece, FrameReader] | None = None

    def reader(self, piece: VideoPiece) -> FrameReader:
        if self._open is None or self._open[0] is not piece:
            self.close()
            self._open = (piece, FrameReader(piece.path, cache_bytes=64 << 20))
        return self._open[1]

    def close(self) -> None:
        if self._open is not None:
            self._open[1].close()
            self._open = None


class AudioMixer:
    """Sums the schedule's audio pieces (speed and shaping applied) over consecutive windows of 48 kHz samples."""

    def __init__(self, pieces: list[AudioPiece]) -> None:
        self._placed = sorted(pieces, key=lambda p: p.first)
        self._readers: dict[int, _ForwardReader] = {}

    def mix(self, pos: int, n: int) -> np.ndarray:
        """Samples [pos, pos + n) of the mix; windows must come in order."""
        out = np.zeros((n, 2), np.float32)
        for i, piece in enumerate(self._placed):
            s0, s1 = piece.first, piece.first + piece.length
            j0, j1 = max(pos, s0), min(pos + n, s1)
            if j0 >= j1:
                continue
            reader = self._readers.get(i)
            if reader is None:
                start = piece.source_first + int(np.floor((j0 - s0) * piece.speed))
                reader = self._readers[i] = _ForwardReader(piece.path, start)
            samples = read_sound(reader.read, piece, j0 - s0, j1 - j0)
            shape_sound(samples, j0 - s0, piece)
            out[j0 - pos:j1 - pos] += samples
            if j1 == s1:
                self._readers.pop(i).close()
        np.clip(out, -1.0, 1.0, out=out)
        return out

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()


class _ForwardReader:
    """`read(first, count)` over one decode pass, for `first` never before the start nor going back
    (reads may overlap: varispeed reads one sample past each window)."""

    def __init__(self, path: Path, first: int) -> None:
        self._cursor = AudioCursor(path, first / AUDIO_RATE)
        self._base = first  # file sample of self._buffer[0]
        self._buffer = np.zeros((0, 2), np.float32)

    def read(self, first: int, count: int) -> np.ndarray:
        if first > self._base:  # drop what is behind
            drop = first - self._base
            if drop >= len(self._buffer):
                self._cursor.take(drop - len(self._buffer))
                self._buffer = np.zeros((0, 2), np.float32)
            else:
                self._buffer = self._buffer[drop:]
            self._base = first
        need = count - len(self._buffer)
        if need > 0:
            self._buffer = np.concatenate([self._buffer, self._cursor.take(need)])
        return self._buffer[:count].copy()

    def close(self) -> None:
        self._cursor.close()
