"""A countdown leader written by write_clip keeps sound on picture: |offset| <= 1 ms + half a frame."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from studio.errors import MediaError
from studio.media.encode import write_clip
from studio.media.generators import countdown_leader
from studio.media.sync import find_pops, measure_offset

RATES = [24, 25, 30, Fraction(30000, 1001)]


def tolerance_ms(fps: float | Fraction) -> float:
    return 1.0 + 500.0 / float(fps)


@pytest.mark.parametrize("fps", RATES, ids=["24", "25", "30", "29.97"])
def test_write_clip_keeps_sync(tmp_path: Path, fps: float | Fraction) -> None:
    leader = countdown_leader(3, fps, (64, 36))
    path = write_clip(leader.frames, leader.audio, leader.fps, leader.sample_rate, tmp_path / "leader.mp4")
    measured = measure_offset(path)
    assert len(measured.flashes) == 3
    assert abs(measured.offset_ms) <= tolerance_ms(fps)
    # Stronger than the spec: priming is removed exactly, so the pops land within a few samples.
    assert abs(measured.offset_ms) < 0.2


def test_measurement_sees_a_deliberate_offset(tmp_path: Path) -> None:
    leader = countdown_leader(3, 25, (64, 36))
    late = np.concatenate([np.zeros((480, 2), np.float32), leader.audio])  # sound 10 ms late
    path = write_clip(leader.frames, late, leader.fps, 48000, tmp_path / "late.mp4")
    assert measure_offset(path).offset_ms == pytest.approx(10.0, abs=0.2)


def test_pop_onsets_are_found_to_the_sample() -> None:
    audio = np.zeros((48000, 2), np.float32)
    for start in (1000, 30001):
        audio[start:start + 480] = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(480) / 48000)[:, None]
    assert [round(t * 48000) for t in find_pops(audio, 48000)] == [1001, 30002]


def test_file_without_leader_is_a_media_error(tmp_path: Path) -> None:
    path = write_clip(np.zeros((10, 32, 32, 3), np.uint8), None, 25, 48000, tmp_path / "dark.mp4")
    with pytest.raises(MediaError, match="no countdown leader"):
        measure_offset(path)
