"""Playing an edit: the picture of the topmost clip at each time and the mix of the audio tracks.

`TimelineSource` takes a snapshot of an OpenTimelineIO timeline when it is made (the decode and
audio threads read it while the creator keeps editing); load a new one after an edit. Audio is
placed to the sample: a clip's sound starts at `round(start * 48000)` and runs exactly its length,
so consecutive clips join without a gap. Where a clip's sound is cut mid-waveform (trimmed, and not
simply continuing the previous piece of the same file, as after a split) a few milliseconds of
fade keep the cut from clicking.
Track flags come from the timeline editor's `metadata["kinora"]`: "mute" silences an audio track
and hides a video track; "solo" on any audio track plays only the soloed ones.
Only flat tracks are played: clips and gaps; a nested stack or track inside a track plays as a gap.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import opentimelineio as otio

from studio.playback.audio_window import AudioWindows
from studio.playback.sinks import SAMPLE_RATE
from studio.playback.sources import fit_into, fitted_size, open_reader, sample_span
from studio.project.timeline import audio_tracks, duration_seconds, kinora_data, seconds, timeline_rate, video_tracks

if TYPE_CHECKING:
    from studio.media.decode import FrameReader

ResolveMedia = Callable[[otio.schema.Clip], "Path | None"]

FADE_SAMPLES = int(0.004 * SAMPLE_RATE)
DEFAULT_CANVAS = (1280, 720)


@dataclass(frozen=True)
class VideoPiece:
    """A clip's place on a video track: [start, end) on the timeline, shown from `source_start` in the file."""

    start: float
    end: float
    path: Path
    source_start: float


@dataclass(frozen=True)
class AudioPiece:
    """A clip's sound on the timeline, in samples: `length` samples from `first`, read from `source_first`."""

    first: int
    length: int
    path: Path
    source_first: int
    fade_in: bool
    fade_out: bool


def _clip_pieces(track: otio.schema.Track, resolve_media: ResolveMedia, missing: list[str]):
    """(clip, timeline range, seconds into the file, available range, path) for each playable clip.

    Clips whose file cannot be found play as gaps; their names are added to `missing`.
    """
    for index, item in enumerate(track):
        if not isinstance(item, otio.schema.Clip) or not item.enabled:
            continue
        path = resolve_media(item)
        if path is None or not Path(path).is_file():
            missing.append(item.name or f"{track.name} clip {index + 1}")
            continue
        placed = track.range_of_child_at_index(index)
        trimmed = item.trimmed_range()
        available = item.media_reference.available_range if item.media_reference is not None else None
        origin = seconds(available.start_time) if available is not None else 0.0
        yield item, placed, seconds(trimmed.start_time) - origin, available, Path(path)


def _track_plays(track: otio.schema.Track, solo: bool) -> bool:
    data = kinora_data(track)
    if not track.enabled or data.get("mute"):
        return False
    return data.get("solo", False) or not solo


class TimelineSource:
    """An OTIO timeline as a playback source (see the module notes)."""

    def __init__(self, timeline: otio.schema.Timeline, resolve_media: ResolveMedia, *,
                 size: tuple[int, int] | None = None, fps: float | None = None) -> None:
        """`resolve_media(clip) -> Path | None` finds each clip's file; `size` (w, h) is the picture canvas.

        Probes the first clip's file for the canvas size: build it off the GUI thread.
        """
        self.fps = float(fps or timeline_rate(timeline))
        self.duration = duration_seconds(timeline)
        self.missing: list[str] = []  # names of clips whose media is offline (they play as gaps)
        # Top of the stack first: OTIO composites later tracks over earlier ones.
        self._video = [self._video_track(t, resolve_media, self.missing) for t in reversed(video_tracks(timeline))]
        self._video_starts = [[p.start for p in track] for track in self._video]
        self._audio = self._audio_tracks(timeline, resolve_media, self.missing)
        self.has_audio = any(self._audio)
        self.size = size or self._first_picture_size() or DEFAULT_CANVAS
        self._readers: dict[Path, FrameReader] = {}  # used by the decode thread only
        self._windows: dict[Path, AudioWindows] = {}
        self._windows_lock = threading.Lock()

    @staticmethod
    def _video_track(track: otio.schema.Track, resolve_media: ResolveMedia, missing: list[str]) -> list[VideoPiece]:
        if not track.enabled or kinora_data(track).get("mute"):
            return []
        return [
            VideoPiece(seconds(placed.start_time), seconds(placed.end_time_exclusive()), path, source_start)
            for _clip, placed, source_start, _available, path in _clip_pieces(track, resolve_media, missing)
        ]

    @staticmethod
    def _audio_tracks(timeline: otio.schema.Timeline, resolve_media: ResolveMedia,
                      missing: list[str]) -> list[list[AudioPiece]]:
        tracks = audio_tracks(timeline)
        solo = any(kinora_data(t).get("solo") for t in tracks)
        result = []
        for track in tracks:
            if not _track_plays(track, solo):
                continue
            raw = []
            for _clip, placed, source_start, available, path in _clip_pieces(track, resolve_media, missing):
                first, length = sample_span(seconds(placed.start_time), seconds(placed.end_time_exclusive()))
                source_first = int(round(source_start * SAMPLE_RATE))
                media_end = (
                    int(round((seconds(available.end_time_exclusive()) - seconds(available.start_time)) * SAMPLE_RATE))
                    if available is not None else None
                )
                raw.append((first, length, path, source_first, media_end))
            result.append(_with_fades(raw))
        return result

    def _first_picture_size(self) -> tuple[int, int] | None:
        from studio.media.probe import probe

        for track in reversed(self._video):
            for piece in track:
                info = probe(piece.path)
                if info.width and info.height:
                    return info.width, info.height
        return None

    # -- picture ------------------------------------------------------------------------------

    def piece_at(self, t: float) -> VideoPiece | None:
        """The clip on top at `t` seconds, or None where every video track has a gap."""
        for track, starts in zip(self._video, self._video_starts):
            i = bisect.bisect_right(starts, t) - 1
            if i >= 0 and t < track[i].end:
                return track[i]
        return None

    def frame_at(self, t: float, size: tuple[int, int] | None = None) -> np.ndarray:
        size = size or self.size
        piece = self.piece_at(t)
        if piece is None:
            return np.zeros((size[1], size[0], 3), dtype=np.uint8)
        reader = self._readers.get(piece.path)
        if reader is None:
            reader = self._readers[piece.path] = open_reader(piece.path)
        # Decoded straight at the size it shows at (scaling in the decoder's converter), then
        # letterboxed: never a full-size picture scaled again.
        picture = (reader.info.width, reader.info.height)
        shown = fitted_size(picture, size) if all(picture) else None
        return fit_into(reader.frame_at(piece.source_start + (t - piece.start), shown), size)

    # -- sound --------------------------------------------------------------------------------

    def _window(self, path: Path) -> AudioWindows:
        with self._windows_lock:
            window = self._windows.get(path)
            if window is None:
                window = self._windows[path] = AudioWindows(path, SAMPLE_RATE)
            return window

    def audio(self, t0: float, t1: float) -> np.ndarray:
        first, n = sample_span(t0, t1)
        mix = np.zeros((n, 2), dtype=np.float32)
        for track in self._audio:
            for piece in track:
                a, b = max(first, piece.first), min(first + n, piece.first + piece.length)
                if b <= a:
                    continue
                samples = self._window(piece.path).samples(piece.source_first + (a - piece.first), b - a)
                _apply_fades(samples, a - piece.first, piece)
                mix[a - first : b - first] += samples
        np.clip(mix, -1.0, 1.0, out=mix)
        return mix

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()


def _with_fades(raw: list[tuple[int, int, Path, int, int | None]]) -> list[AudioPiece]:
    """Pieces of one track, marking the edges where the sound is cut mid-waveform."""
    pieces = []
    for i, (first, length, path, source_first, media_end) in enumerate(raw):
        prev = raw[i - 1] if i > 0 else None
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        continues_prev = (prev is not None and prev[2] == path and prev[0] + prev[1] == first
                          and prev[3] + prev[1] == source_first)
        continued_by_next = (nxt is not None and nxt[2] == path and first + length == nxt[0]
                             and source_first + length == nxt[3])
        trimmed_head = source_first > 0
        trimmed_tail = media_end is None or source_first + length < media_end
        pieces.append(AudioPiece(first, length, path, source_first,
                                 fade_in=trimmed_head and not continues_prev,
                                 fade_out=trimmed_tail and not continued_by_next))
    return pieces


def _apply_fades(samples: np.ndarray, offset: int, piece: AudioPiece) -> None:
    """Fade in/out in place; `samples` starts `offset` samples into the piece."""
    n = len(samples)
    fade = min(FADE_SAMPLES, piece.length // 2)
    if fade <= 0:
        return
    ramp = np.arange(fade, dtype=np.float32) / fade
    if piece.fade_in and offset < fade:
        k = min(fade - offset, n)
        samples[:k] *= ramp[offset : offset + k, None]
    tail_start = piece.length - fade  # piece position where the fade-out begins
    if piece.fade_out and offset + n > tail_start:
        lo = max(tail_start, offset)
        samples[lo - offset :] *= ramp[::-1][lo - tail_start : offset + n - tail_start, None]
