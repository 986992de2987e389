"""Measuring audio/video sync from a countdown leader: white flash frames against 1 kHz pop onsets."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.errors import MediaError
from studio.media.audio import read_audio
from studio.media.decode import FrameReader

_ANALYSIS_SIZE = (64, 36)
_FLASH_LUMA = 200.0
_POP_THRESHOLD = 0.3  # of the loudest sample: where a pop is surely under way
_ONSET_FRACTION = 0.1  # walking back from there, the first sample this loud is the onset
_ONSET_SEARCH_S = 0.002
_POP_GAP_S = 0.25  # pops closer than this belong to the same burst
_PAIR_WINDOW_S = 0.5
# FFmpeg's AAC encoder fades in its first frames (about 10 ms decode as near-silence), so a pop on
# the very first sample of a file reads late; such pairs count only when no later pair exists.
_CODEC_START_S = 0.05


@dataclass
class SyncMeasurement:
    """Audio minus video in milliseconds (positive: sound late), from matched flash/pop pairs."""

    offset_ms: float
    flashes: list[float] = field(default_factory=list)  # seconds
    pops: list[float] = field(default_factory=list)  # seconds
    pair_offsets_ms: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"offset_ms": self.offset_ms, "flashes": self.flashes, "pops": self.pops,
                "pair_offsets_ms": self.pair_offsets_ms}


def measure_offset(path: str | os.PathLike[str]) -> SyncMeasurement:
    """Find flash frames and pop onsets in path and report the median audio-minus-video offset."""
    path = Path(path)
    flashes = find_flashes(path)
    pops = find_pops(read_audio(path), 48000)
    pairs: list[tuple[float, float]] = []
    for flash in flashes:
        if pops:
            nearest = min(pops, key=lambda p: abs(p - flash))
            if abs(nearest - flash) <= _PAIR_WINDOW_S:
                pairs.append((flash, (nearest - flash) * 1000.0))
    later = [offset for flash, offset in pairs if flash >= _CODEC_START_S]
    offsets = later or [offset for _, offset in pairs]
    if not offsets:
        raise MediaError(f"{path}: no countdown leader found ({len(flashes)} flash frames, {len(pops)} pops); "
                         "measure a file that starts with a Kinora countdown leader")
    return SyncMeasurement(float(np.median(offsets)), flashes, pops, offsets)


def find_flashes(path: Path) -> list[float]:
    """Start times of frames that turn white after a darker frame."""
    flashes: list[float] = []
    previous_bright = False
    with FrameReader(path) as reader:
        for t, rgb in reader.iter_frames(0.0, size=_ANALYSIS_SIZE):
            bright = float(rgb.mean()) > _FLASH_LUMA
            if bright and not previous_bright:
                flashes.append(t)
            previous_bright = bright
    return flashes


def find_pops(audio: np.ndarray, rate: int) -> list[float]:
    """Onset times in seconds of tone bursts in (n, ch) audio."""
    level = np.abs(audio).max(axis=1) if audio.ndim == 2 else np.abs(audio)
    peak = float(level.max(initial=0.0))
    if peak < 1e-3:
        return []
    loud = np.flatnonzero(level > _POP_THRESHOLD * peak)
    if not len(loud):
        return []
    starts = loud[np.concatenate([[True], np.diff(loud) > _POP_GAP_S * rate])]
    onsets = []
    search = int(_ONSET_SEARCH_S * rate)
    for i in starts:
        lo = max(0, i - search)
        quiet_enough = np.flatnonzero(level[lo:i + 1] > _ONSET_FRACTION * peak)
        onsets.append(float(lo + quiet_enough[0]) / rate)
    return onsets
