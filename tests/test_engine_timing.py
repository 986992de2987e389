"""Fitting generated material to the requested length and splicing it (pure numpy, no model)."""

from __future__ import annotations

import numpy as np
import pytest

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


def tone_level(audio: np.ndarray, rate: int, hz: float) -> float:
    """Amplitude of the `hz` component of the first channel (a windowed DFT bin)."""
    x = audio[:, 0] * np.hanning(len(audio))
    spectrum = np.abs(np.fft.rfft(x)) / (np.hanning(len(audio)).sum() / 2)
    freqs = np.fft.rfftfreq(len(audio), 1 / rate)
    near = np.abs(freqs - hz) < 50
    return float(spectrum[near].max())


def test_resampling_48k_to_24k_removes_a_15k_tone_instead_of_folding_it_to_9k():
    # Every old test resampled tones far below the new Nyquist, where interpolation looks fine.
    rate = 48000
    t = np.arange(rate) / rate
    tone = np.repeat((0.5 * np.sin(2 * np.pi * 15000 * t)).astype(np.float32)[:, None], 2, axis=1)
    out = timing.resample_audio(tone, rate, 24000)
    assert abs(len(out) - 24000) <= 64
    assert tone_level(out, 24000, 9000) < 0.005  # linear interpolation left ~0.2 here
    low = np.repeat((0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)[:, None], 2, axis=1)
    assert tone_level(timing.resample_audio(low, rate, 24000), 24000, 1000) == pytest.approx(0.5, abs=0.02)


def test_extension_sound_lines_up_with_its_pictures(tmp_path):
    # The old join started the new sound SEAM_FADE_S early (its crossfade began before the seam); tests
    # only checked lengths. Measured here on a written file with the countdown-leader sync meter.
    from studio.media.encode import write_clip
    from studio.media.sync import measure_offset

    fps, rate = 24.0, 48000
    parent_frames = np.full((24, 36, 64, 3), 20, np.uint8)  # 1 s of dark parent
    held = 9 / fps  # the generated clip starts with the parent's last 9 frames
    new_frames = np.full((24, 36, 64, 3), 20, np.uint8)
    new_frames[12] = 255  # a flash 0.5 s into the new part
    generated = np.zeros((round((held + 1.0) * rate), 2), np.float32)
    onset = round((held + 0.5) * rate)
    burst = np.sin(2 * np.pi * 1000 * np.arange(round(0.02 * rate)) / rate).astype(np.float32)
    generated[onset:onset + len(burst)] = burst[:, None]  # its pop, at the flash's time in the generated clip
    joined = timing.append_after(np.zeros((rate, 2), np.float32), generated, rate, held)
    path = write_clip(np.concatenate([parent_frames, new_frames]), joined, fps, rate, tmp_path / "extended.mp4")
    assert abs(measure_offset(path).offset_ms) < 3.0  # the old join measured about -50 ms


def test_an_auto_length_take_is_one_clip_bounded_by_the_models_longest():
    # An auto length is the model's choice for one clip: chaining extends up to the bound would override it.
    from types import SimpleNamespace

    from studio.engine.longform import generate_clip
    from studio.recipe import Recipe

    asked: list[Recipe] = []
    backend = SimpleNamespace(spec=SimpleNamespace(max_seconds=5.0, modes=("text", "extend")),
                              generate=lambda request, **_: asked.append(request) or "clip")
    request = Recipe("a cat", model_id="ltx-2.5", seconds=20.0, auto_seconds=True)
    assert generate_clip(backend, request, source=None, progress=lambda *a: None, cancel=None) == "clip"
    assert [(r.seconds, r.auto_seconds, r.mode) for r in asked] == [(5.0, True, "text")]
