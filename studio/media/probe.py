"""What a media file holds: streams, duration, size, rate (and whether it varies), rotation."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from studio.errors import MediaError
from studio.media.containers import describe, open_input
from studio.media.limits import check_media_bounds

# Packets looked at to decide whether the frame rate varies when the container has no index.
_VFR_SAMPLE_PACKETS = 240
# Relative spread of frame durations above which a stream counts as variable-frame-rate
# (phone captures jitter by ~7%; constant-rate files written by encoders are exact or off by one tick).
_VFR_SPREAD = 0.02


@dataclass(frozen=True)
class MediaInfo:
    """Facts about one media file. Sizes are display sizes (rotation applied); times are seconds."""

    path: Path
    container: str
    duration: float
    has_video: bool
    has_audio: bool
    width: int = 0
    height: int = 0
    fps: float = 0.0
    frame_rate: Fraction | None = None
    variable_frame_rate: bool = False
    rotation: int = 0  # degrees clockwise the decoded picture must turn to display upright
    pix_fmt: str | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    sample_rate: int = 0
    channels: int = 0
    max_keyframe_interval: float = 0.0  # longest gap between keyframes; 0 when unknown

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["path"] = str(self.path)
        d["frame_rate"] = None if self.frame_rate is None else f"{self.frame_rate.numerator}/{self.frame_rate.denominator}"
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MediaInfo:
        d = dict(d)
        d["path"] = Path(d["path"])
        if d.get("frame_rate"):
            d["frame_rate"] = Fraction(d["frame_rate"])
        return cls(**d)


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Read the facts of a media file. MediaError names the file and the problem for anything unusable."""
    path = Path(path)
    with open_input(path) as container:
        try:
            info = _probe_open(path, container)
        except av.FFmpegError as exc:
            raise MediaError(f"{path}: the file is damaged and cannot be read ({describe(exc)})") from exc
        except (ArithmeticError, ValueError, TypeError) as exc:  # nonsense timings (a zero time base, ...)
            raise MediaError(f"{path}: the file is damaged: its timing cannot be read ({exc})") from exc
    problem = check_media_bounds(info.duration, info.fps if info.has_video else None,
                                 info.sample_rate if info.has_audio else None, info.width, info.height)
    if problem:
        raise MediaError(f"{path}: {problem}")
    return info


def _probe_open(path: Path, container: av.container.InputContainer) -> MediaInfo:
    video = container.streams.video[0] if container.streams.video else None
    audio = container.streams.audio[0] if container.streams.audio else None
    if video is None and audio is None:
        raise MediaError(f"{path}: has no video or audio stream; choose a video or sound file")
    _check_not_truncated(path, container)
    info: dict[str, Any] = {
        "path": path,
        "container": container.format.name,
        "has_video": video is not None,
        "has_audio": audio is not None,
    }
    if audio is not None:
        if audio.codec_context is None or not audio.codec_context.name:
            raise MediaError(f"{path}: its audio codec is not supported; convert it to AAC or WAV")
        info.update(audio_codec=audio.codec_context.name, sample_rate=audio.codec_context.sample_rate,
                    channels=audio.codec_context.channels)
    if video is not None:
        info.update(_video_facts(path, container, video))
    info["duration"] = _duration(container, video, audio)
    if info["duration"] <= 0 and video is not None and _is_still(container):
        # A still image (JPEG from OpenCV or a camera often carries no duration): one frame long.
        info["duration"] = 1.0 / (info.get("fps") or 25.0)
    if info["duration"] <= 0:
        raise MediaError(f"{path}: has no playable length; the file may be damaged")
    return MediaInfo(**info)


def _check_not_truncated(path: Path, container: av.container.InputContainer) -> None:
    """Containers with an index (MP4/MOV) say where every packet lies; one past the end means a cut file."""
    size = path.stat().st_size
    for stream in container.streams:
        entries = stream.index_entries
        if len(entries) and entries[len(entries) - 1].pos + entries[len(entries) - 1].size > size:
            raise MediaError(f"{path}: the file is truncated (its index points past the end of the file); "
                             "copy or download it again")


def _video_facts(path: Path, container: av.container.InputContainer, video: av.video.stream.VideoStream) -> dict[str, Any]:
    ctx = video.codec_context
    if ctx is None or not ctx.name or ctx.name == "none":
        raise MediaError(f"{path}: its video codec is not supported; convert it to H.264")
    first = _first_video_frame(path, container, video)
    rotation = (-int(first.rotation)) % 360
    width, height = first.width, first.height
    if rotation in (90, 270):
        width, height = height, width
    rate = video.average_rate or video.guessed_rate or video.base_rate
    deltas, keyframe_gap = _frame_deltas(container, video)
    return {
        "width": width,
        "height": height,
        "frame_rate": Fraction(rate) if rate else None,
        "fps": float(rate) if rate else 0.0,
        "variable_frame_rate": _is_variable(deltas),
        "rotation": rotation,
        "pix_fmt": first.format.name,
        "video_codec": ctx.name,
        "max_keyframe_interval": keyframe_gap,
    }


def _first_video_frame(path: Path, container: av.container.InputContainer, video: av.video.stream.VideoStream) -> av.VideoFrame:
    try:
        for packet in container.demux(video):
            for frame in packet.decode():
                return frame
    except av.FFmpegError as exc:
        raise MediaError(f"{path}: its video cannot be decoded ({describe(exc)}); the file may be damaged") from exc
    finally:
        container.seek(0)
    raise MediaError(f"{path}: its video stream holds no picture; the file may be damaged")


def _frame_deltas(container: av.container.InputContainer, video: av.video.stream.VideoStream) -> tuple[np.ndarray, float]:
    """Seconds between consecutive presentation times, and the longest gap between keyframes."""
    tb = float(video.time_base)
    entries = video.index_entries
    if len(entries):
        stamps = np.fromiter((e.timestamp for e in entries), dtype=np.int64, count=len(entries))
        keys = np.fromiter((e.timestamp for e in entries if e.is_keyframe), dtype=np.int64)
    else:
        pts_list, key_list = [], []
        for packet in container.demux(video):
            if packet.pts is None:
                continue
            pts_list.append(packet.pts)
            if packet.is_keyframe:
                key_list.append(packet.pts)
            if len(pts_list) >= _VFR_SAMPLE_PACKETS:
                break
        container.seek(0)
        stamps, keys = np.array(pts_list, dtype=np.int64), np.array(key_list, dtype=np.int64)
    deltas = np.diff(np.sort(stamps)) * tb
    keys = np.append(np.sort(keys), stamps.max() if len(stamps) else 0)
    gap = float(np.max(np.diff(keys)) * tb) if len(keys) > 1 else 0.0
    return deltas, gap


def _is_variable(deltas: np.ndarray) -> bool:
    deltas = deltas[deltas > 0]
    if len(deltas) < 3:
        return False
    median = float(np.median(deltas))
    return bool((deltas.max() - deltas.min()) / median > _VFR_SPREAD)


def _is_still(container: av.container.InputContainer) -> bool:
    """Whether FFmpeg read the file with an image demuxer (image2, jpeg_pipe, png_pipe, webp_pipe, ...)."""
    name = container.format.name
    return name == "image2" or name.endswith("_pipe")


def _duration(container: av.container.InputContainer, video: Any, audio: Any) -> float:
    for stream in (video, audio):
        if stream is not None and stream.duration:
            return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 0.0
