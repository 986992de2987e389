"""Fitting generated material to the requested length and splicing it (pure numpy, no model)."""

from __future__ import annotations

import numpy as np

from studio.engine import timing
from studio.engine.longform import segment_count


def test_valid_frame_count_is_the_next_8k_plus_1():
    assert timing.valid_frame_count(48, 8) == 49
    assert timing.valid_frame_count(49, 8) == 49
    assert timing.valid_frame_count(50, 8) == 57
    assert timing.valid_frame_count(1, 8) == 9  # never below one latent step


def test_valid_size_rounds_to_the_multiple():
    assert timing.valid_size(770, 500, 32) == (768, 512)
    assert timing.valid_size(10, 10, 32) == (32, 32)


def test_fit_frames_trims_or_holds_the_last_frame():
    frames = np.arange(5, dtype=np.uint8).reshape(5, 1, 1, 1).repeat(3, axis=3)
    assert len(timing.fit_frames(frames, 3)) == 3
    padded = timing.fit_frames(frames, 7)
    assert len(padded) == 7 and padded[-1, 0, 0, 0] == 4


def test_fit_audio_gives_exactly_the_requested_samples():
    audio = np.ones((100, 2), np.float32)
    assert timing.fit_audio(audio, 1000, 0.05).shape == (50, 2)
    longer = timing.fit_audio(audio, 1000, 0.2)
    assert longer.shape == (200, 2) and not longer[150:].any()


def test_crossfade_append_overlaps_the_seam():
    base = np.ones((10, 2), np.float32)
    tail = np.zeros((10, 2), np.float32)
    joined = timing.crossfade_append(base, tail, 4)
    assert joined.shape == (16, 2)
    assert joined[5, 0] == 1.0 and joined[-1, 0] == 0.0
    assert 0.0 < joined[7, 0] < 1.0  # inside the fade: a mix of both


def test_splice_range_keeps_everything_outside_the_range():
    base = np.zeros((20, 1), np.float32)
    middle = np.ones((6, 1), np.float32)
    out = timing.splice_range(base, middle, 8, fade=2)
    assert not out[:8].any() and not out[14:].any()
    assert out[10, 0] == 1.0 and 0.0 < out[8, 0] < 1.0


def test_long_clips_are_cut_into_model_sized_segments():
    assert segment_count(20.0, 20.0) == 1
    assert segment_count(20.0, 5.0) == 4
    assert segment_count(2.0, 0.5) == 4
