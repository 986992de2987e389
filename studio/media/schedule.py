"""What plays when, as data: the pictures (layers of `VideoPiece`s) and the sound (`AudioPiece`s on the
48 kHz grid) of an edit, and the two rules both players of it follow: which source frame a time shows
(`source_time`) and how a piece's sound is shaped (`shape_sound`).

`studio.project.schedule.build_schedule` makes a `Schedule` from an OpenTimelineIO timeline; the
Preview (playback/timeline_source.py) plays it and export (media/export.py) renders it, so both
show the same picture and play the same sound at every time.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from studio.media.framing import Framing

SAMPLE_RATE = 48_000
FADE_SAMPLES = int(0.004 * SAMPLE_RATE)  # de-click at a cut mid-waveform
DEFAULT_MEDIA_FPS = 24.0  # for a file whose rate the probe could not tell


@dataclass(frozen=True)
class VideoPiece:
    """A clip's place on a video track: [start, end) on the timeline, shown from `source_start` in the file."""

    start: float
    end: float
    path: Path
    source_start: float
    fade: tuple[float, float] | None = None  # (t0, t1): fades in from transparent at t0 to opaque at t1
    speed: float = 1.0  # seconds of the file per second of timeline (OTIO LinearTimeWarp); 0 holds a frame
    text: str = ""  # drawn over the picture (studio.media.overlay)
    text_position: str = "bottom"
    framing: Framing | None = None  # None: the project's framing (framing.PROJECT_FIT) or the export's --fit

    def opacity(self, t: float) -> float:
        if self.fade is None:
            return 1.0
        t0, t1 = self.fade
        return float(min(1.0, max(0.0, (t - t0) / (t1 - t0)))) if t1 > t0 else 1.0


@dataclass(frozen=True)
class AudioPiece:
    """A clip's sound on the timeline, in samples: `length` samples from `first`, read from `source_first`.

    `fade_in`/`fade_out`: the few-millisecond de-click where the sound is cut mid-waveform. The rest is
    the clip's own shaping: `gain_db`, fades of `fade_in_s`/`fade_out_s` seconds, and `volume_keys`
    ((seconds into the piece, dB), linear in dB between keys).
    """

    first: int
    length: int
    path: Path
    source_first: int
    fade_in: bool
    fade_out: bool
    gain_db: float = 0.0
    fade_in_s: float = 0.0
    fade_out_s: float = 0.0
    volume_keys: tuple[tuple[float, float], ...] = ()
    speed: float = 1.0  # varispeed: the sound is read `speed` times as fast (pitch follows); 0 is silence

    @property
    def shaped(self) -> bool:
        return bool(self.gain_db or self.fade_in_s or self.fade_out_s or self.volume_keys)


@dataclass
class Schedule:
    """An edit flattened for playing or rendering (see the module notes)."""

    rate: float
    duration: float
    layers: list[list[VideoPiece]] = field(default_factory=list)  # bottom first
    audio: list[AudioPiece] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # names of offline clips (they play as gaps)

    def __post_init__(self) -> None:
        self._starts = [[p.start for p in layer] for layer in self.layers]

    def pictures_at(self, t: float) -> list[VideoPiece]:
        """The pieces showing at `t` seconds, bottom layer first."""
        found = []
        for layer, starts in zip(self.layers, self._starts):
            i = bisect.bisect_right(starts, t + 1e-9) - 1
            if i >= 0 and layer[i].start - 1e-9 <= t < layer[i].end - 1e-9:
                found.append(layer[i])
        return found

    def top_at(self, t: float) -> VideoPiece | None:
        """The piece on top at `t`, or None where every video track has a gap."""
        shown = self.pictures_at(t)
        return shown[-1] if shown else None

    def sounds_in(self, first: int, n: int) -> list[AudioPiece]:
        """The pieces sounding within samples [first, first + n)."""
        return [p for p in self.audio if p.first < first + n and first < p.first + p.length]

    def paths(self) -> set[Path]:
        return {p.path for layer in self.layers for p in layer} | {p.path for p in self.audio}


def source_time(piece: VideoPiece, t: float, media_fps: float | None, rate: float) -> float:
    """The time in the file whose frame shows at timeline time `t`.

    Any `t` within timeline frame k (at `rate`) shows the same picture as k / rate, the time export
    renders frame k at; of the file's frames, the one nearest that time (a file at another rate, or a
    clip moved by a fraction of a frame, still shows each frame where it belongs).
    """
    frame_start = np.floor(t * rate + 1e-6) / rate
    return piece.source_start + (frame_start - piece.start) * piece.speed + 0.5 / (media_fps or DEFAULT_MEDIA_FPS)


def read_sound(read: Callable[[int, int], np.ndarray], piece: AudioPiece, offset: int, n: int) -> np.ndarray:
    """Samples [offset, offset + n) of the piece, as (n, 2) float32, before shaping.

    `read(first, count)` gives `count` samples of the file from sample `first` (first never goes back
    between calls for one piece). At a speed other than 1 the file is read faster or slower and
    resampled linearly (varispeed: the pitch follows, as on tape).
    """
    if piece.speed == 1.0:
        return read(piece.source_first + offset, n)
    if piece.speed <= 0 or n <= 0:
        return np.zeros((max(n, 0), 2), np.float32)
    positions = piece.source_first + (offset + np.arange(n, dtype=np.float64)) * piece.speed
    first = int(np.floor(positions[0]))
    data = read(first, int(np.ceil(positions[-1])) - first + 2)
    local = positions - first
    grid = np.arange(len(data))
    return np.stack([np.interp(local, grid, data[:, c]) for c in range(2)], axis=1).astype(np.float32)


def shape_sound(samples: np.ndarray, offset: int, piece: AudioPiece) -> None:
    """Apply the piece's gain, keyframes, fades and de-click in place; `samples` starts `offset` samples
    into the piece."""
    n = len(samples)
    if piece.shaped and n:
        samples *= _envelope(piece, offset, n)[:, None]
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


def _envelope(piece: AudioPiece, offset: int, n: int) -> np.ndarray:
    """The piece's gain (keys, fades) for samples [offset, offset + n) of it, as linear factors."""
    t = (offset + np.arange(n, dtype=np.float64)) / SAMPLE_RATE
    db = np.full(n, piece.gain_db)
    if piece.volume_keys:
        times, levels = zip(*piece.volume_keys)
        db += np.interp(t, times, levels)
    gain = np.power(10.0, db / 20.0)
    length_s = piece.length / SAMPLE_RATE
    if piece.fade_in_s > 0:
        gain *= np.clip(t / piece.fade_in_s, 0.0, 1.0)
    if piece.fade_out_s > 0:
        gain *= np.clip((length_s - t) / piece.fade_out_s, 0.0, 1.0)
    return gain.astype(np.float32)


def canvas_size(schedule: Schedule) -> tuple[int, int] | None:
    """The project's canvas (width, height): the size of its first picture, the first clip of the lowest
    video track that plays one, made even (as the encoder needs). None: the edit shows no picture.

    The one definition: the Program monitor shows this canvas and export's "source" preset renders it.
    """
    from studio.media.probe import probe

    first = next((piece for layer in schedule.layers for piece in layer), None)
    if first is None:
        return None
    info = probe(first.path)
    if not (info.width and info.height):
        return None
    return max(2, info.width - info.width % 2), max(2, info.height - info.height % 2)


def media_kinds(path: Path) -> tuple[bool, bool]:
    """(has picture, has sound) of a file, by probing it: what schedules are built with."""
    from studio.media.probe import probe

    info = probe(path)
    return bool(info.has_video), bool(info.has_audio)
