"""Render an OpenTimelineIO timeline to an H.264 + AAC MP4.

Video tracks are composited top over bottom (later tracks are on top, as in OTIO); where no track
has a clip the frame is black. Audio tracks are mixed. Each output frame k shows, per layer, the
source frame nearest to the clip's source time for t = k / fps; each audio clip is placed on the
48 kHz sample nearest to its timeline start, so a clip moved by a fraction of a sample lands
within half a sample of where it was put. Pictures stay in yuv420p from decoder to encoder.

Not built: transitions (treated as cuts), speed effects (LinearTimeWarp is ignored), nested
stacks inside tracks (skipped), audio pan/volume metadata.
"""

from __future__ import annotations

import bisect
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import opentimelineio as otio

from studio.atomic import atomic_path
from studio.cancel import CancelToken
from studio.errors import KinoraError, MediaError
from studio.media.audio import AudioCursor
from studio.media.compose import Placement, YuvCanvas, place, yuv_planes
from studio.media.decode import FrameReader
from studio.media.encode import AUDIO_RATE, ClipWriter, as_rate
from studio.media.presets import ExportPreset, get_preset
from studio.media.probe import MediaInfo, probe
from studio.media.watermark import WatermarkSettings, YuvWatermark

DEFAULT_WATERMARK = WatermarkSettings()
DEFAULT_RATE = 24
_KINORA = "kinora"
_NO_VIDEO_SIZE = (1920, 1080)
_PROGRESS_EVERY_S = 0.2

ResolveMedia = Callable[[otio.schema.Clip], "Path | str"]


@dataclass(frozen=True)
class ExportProgress:
    """How far an export is: fraction 0..1, seconds left (None until it can be guessed), frames."""

    fraction: float
    eta_s: float | None
    frame: int
    total: int


@dataclass
class Segment:
    """One clip on the output timeline: [start, end) seconds, read from source_start in its file."""

    path: Path
    start: float
    end: float
    source_start: float


@dataclass
class RenderPlan:
    """Everything a render needs, resolved from the timeline before the first frame."""

    width: int
    height: int
    rate: Fraction
    total_frames: int
    video_layers: list[list[Segment]] = field(default_factory=list)  # bottom first
    audio_segments: list[Segment] = field(default_factory=list)

    def sample_at(self, frame: int) -> int:
        """The 48 kHz sample on which output frame `frame` starts."""
        return int(round(Fraction(frame) / self.rate * AUDIO_RATE))


def export(timeline: otio.schema.Timeline, path: str | os.PathLike[str], preset: ExportPreset | str = "16:9", *,
           resolve_media: ResolveMedia, watermark: WatermarkSettings | None = DEFAULT_WATERMARK,
           progress: Callable[[ExportProgress], None] | None = None,
           cancel: CancelToken | None = None) -> Path:
    """Render timeline to an MP4 at path (via a temporary name: a cancel or failure leaves nothing).

    resolve_media(clip) gives the file a clip shows. watermark None leaves the mark off.
    studio.errors.Cancelled is raised when cancel is set. Run it on a worker thread.
    """
    preset = get_preset(preset) if isinstance(preset, str) else preset
    plan = plan_render(timeline, preset, resolve_media)
    path = Path(path)
    started = time.monotonic()
    last_report = 0.0
    with atomic_path(path) as tmp:
        writer = ClipWriter(tmp, plan.width, plan.height, plan.rate, crf=preset.crf, preset=preset.x264_preset)
        video = VideoRenderer(plan, preset.fit, watermark)
        audio = AudioMixer(plan.audio_segments)
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


def plan_render(timeline: otio.schema.Timeline, preset: ExportPreset, resolve_media: ResolveMedia) -> RenderPlan:
    """Resolve clips to files and times, and the output size and rate."""
    rate = preset.fps or as_rate(_timeline_rate(timeline))
    duration = timeline.duration().to_seconds()
    total = int(round(duration * rate))
    if total <= 0:
        raise MediaError(f"timeline '{timeline.name}' is empty; add a clip before exporting")
    infos: dict[Path, MediaInfo] = {}

    def info_of(seg: Segment) -> MediaInfo:
        if seg.path not in infos:
            infos[seg.path] = probe(seg.path)
        return infos[seg.path]

    # A sound file on a video track, or a silent clip on an audio track, plays as a gap.
    video_layers = [[s for s in _segments(track, resolve_media) if info_of(s).has_video]
                    for track in timeline.video_tracks() if _track_plays(track)]
    audio_tracks = [t for t in timeline.audio_tracks() if _track_plays(t)]
    soloed = [t for t in audio_tracks if _flags(t).get("solo")]
    audio_segments = [s for track in (soloed or audio_tracks) for s in _segments(track, resolve_media)
                      if info_of(s).has_audio]
    width, height = preset.width, preset.height
    if width is None or height is None:
        first = next((seg for layer in video_layers for seg in layer), None)
        width, height = _NO_VIDEO_SIZE
        if first is not None:
            width, height = info_of(first).width, info_of(first).height
    width, height = max(2, width - width % 2), max(2, height - height % 2)
    return RenderPlan(width, height, rate, total, video_layers, audio_segments)


class VideoRenderer:
    """Output frames in yuv420p: layers bottom to top, then the watermark."""

    def __init__(self, plan: RenderPlan, fit: str, watermark: WatermarkSettings | None) -> None:
        self.plan = plan
        self.fit = fit
        self.canvas = YuvCanvas(plan.width, plan.height)
        self.watermark = YuvWatermark(watermark, plan.width, plan.height) if watermark else None
        self._layers = [_Layer(segments) for segments in plan.video_layers]

    def frame(self, k: int) -> av.VideoFrame:
        """Output frame k (at k / rate seconds)."""
        t = float(Fraction(k) / self.plan.rate)
        active = [(layer, seg) for layer in self._layers if (seg := layer.at(t)) is not None]
        placed = [(seg, layer.reader(seg)) for layer, seg in active]
        # Only layers from the top-most one that covers the frame down need drawing.
        start = 0
        for i in range(len(placed) - 1, -1, -1):
            if self._placement(placed[i][1]).covers(self.plan.width, self.plan.height):
                start = i
                break
        else:
            self.canvas.fill_black()
        for seg, reader in placed[start:]:
            p = self._placement(reader)
            # Nearest source frame to the source time: a clip moved by a fraction of a frame
            # still shows each frame at the output frame closest to where it belongs.
            src_t = seg.source_start + (t - seg.start) + 0.5 / (reader.info.fps or DEFAULT_RATE)
            if reader.duration <= 1.5 / (reader.info.fps or DEFAULT_RATE):
                src_t = 0.0  # a still (one picture): held for as long as its clip lasts
            picture = reader.picture_at(src_t)
            self.canvas.paste(yuv_planes(picture, p.scaled_w, p.scaled_h, reader.rotation), p)
        if self.watermark is not None:
            self.watermark.apply(self.canvas.y, self.canvas.u, self.canvas.v)
        return self.canvas.to_frame()

    def _placement(self, reader: FrameReader) -> Placement:
        return place(reader.info.width, reader.info.height, self.plan.width, self.plan.height, self.fit)

    def close(self) -> None:
        for layer in self._layers:
            layer.close()


class _Layer:
    """One video track's segments, with a reader open for the segment being drawn."""

    def __init__(self, segments: list[Segment]) -> None:
        self.segments = segments
        self._starts = [s.start for s in segments]
        self._open: tuple[Segment, FrameReader] | None = None

    def at(self, t: float) -> Segment | None:
        i = bisect.bisect_right(self._starts, t + 1e-9) - 1
        if i >= 0 and self.segments[i].start - 1e-9 <= t < self.segments[i].end - 1e-9:
            return self.segments[i]
        return None

    def reader(self, seg: Segment) -> FrameReader:
        if self._open is None or self._open[0] is not seg:
            self.close()
            self._open = (seg, FrameReader(seg.path, cache_bytes=64 << 20))
        return self._open[1]

    def close(self) -> None:
        if self._open is not None:
            self._open[1].close()
            self._open = None


class AudioMixer:
    """Sums the audio clips over consecutive windows of 48 kHz samples."""

    def __init__(self, segments: list[Segment]) -> None:
        # Sample-exact placement: a clip starts on the sample nearest its timeline start.
        self._placed = sorted(((int(round(s.start * AUDIO_RATE)), int(round(s.end * AUDIO_RATE)), s) for s in segments),
                              key=lambda item: item[0])
        self._cursors: dict[int, AudioCursor] = {}

    def mix(self, pos: int, n: int) -> np.ndarray:
        """Samples [pos, pos + n) of the mix; windows must come in order."""
        out = np.zeros((n, 2), np.float32)
        for i, (s0, s1, seg) in enumerate(self._placed):
            j0, j1 = max(pos, s0), min(pos + n, s1)
            if j0 >= j1:
                continue
            cursor = self._cursors.get(i)
            if cursor is None:
                cursor = self._cursors[i] = AudioCursor(seg.path, seg.source_start + (j0 - s0) / AUDIO_RATE)
            out[j0 - pos:j1 - pos] += cursor.take(j1 - j0)
            if j1 == s1:
                self._cursors.pop(i).close()
        np.clip(out, -1.0, 1.0, out=out)
        return out

    def close(self) -> None:
        for cursor in self._cursors.values():
            cursor.close()
        self._cursors.clear()


def _segments(track: otio.schema.Track, resolve_media: ResolveMedia) -> list[Segment]:
    segments = []
    for item in track:
        if not isinstance(item, otio.schema.Clip) or not item.enabled:
            continue  # gaps show the track beneath; transitions and nested stacks are not built
        placed = item.range_in_parent()
        start = placed.start_time.to_seconds()
        source = item.trimmed_range()
        available = _available_start(item)
        try:
            media = Path(resolve_media(item))
        except KinoraError:
            raise
        except Exception as exc:  # resolve_media is the caller's; name the clip whatever it raised
            raise MediaError(f"clip '{item.name}': its media cannot be found ({exc})") from exc
        segments.append(Segment(media, start, start + placed.duration.to_seconds(),
                                source.start_time.to_seconds() - available))
    return segments


def _available_start(clip: otio.schema.Clip) -> float:
    """Media time 0 in the clip's own time (a reference's available range may start at a timecode)."""
    ref = clip.media_reference
    available = getattr(ref, "available_range", None) if ref is not None else None
    return available.start_time.to_seconds() if available is not None else 0.0


def _flags(track: otio.schema.Track) -> dict:
    data = track.metadata.get(_KINORA)
    return dict(data) if data else {}


def _track_plays(track: otio.schema.Track) -> bool:
    return bool(track.enabled) and not _flags(track).get("mute")


def _timeline_rate(timeline: otio.schema.Timeline) -> float:
    """The timeline's rate: Kinora's metadata, else the first clip's, else 24."""
    data = timeline.metadata.get(_KINORA)
    if data and data.get("rate"):
        return float(data["rate"])
    for clip in timeline.find_clips():
        return float(clip.trimmed_range().duration.rate)
    return float(DEFAULT_RATE)
