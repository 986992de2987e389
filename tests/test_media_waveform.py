"""Waveform peaks are computed once per file, cached on disk by sha256, and sliced for any view."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio.errors import MediaError
from studio.media import waveform
from studio.media.encode import write_clip
from studio.media.waveform import WaveformCache

SHA = "ab" * 32


@pytest.fixture
def half_loud(tmp_path: Path) -> Path:
    """2 s: silence for the first second, a 0.5-amplitude tone for the second."""
    audio = np.zeros((96000, 2), np.float32)
    audio[48000:] = 0.5 * np.sin(2 * np.pi * 440 * np.arange(48000) / 48000)[:, None]
    return write_clip(np.zeros((50, 32, 32, 3), np.uint8), audio, 25, 48000, tmp_path / "tone.mp4")


def test_peaks_follow_the_sound(half_loud: Path, tmp_path: Path) -> None:
    peaks = WaveformCache(tmp_path / "cache").peaks(half_loud, SHA, 0.0, 2.0, 200)
    assert peaks.shape == (200, 2)
    assert np.abs(peaks[10:90]).max() < 0.02
    assert peaks[110:190, 1].min() == pytest.approx(0.5, abs=0.03)
    assert peaks[110:190, 0].max() == pytest.approx(-0.5, abs=0.03)
    assert (peaks[:, 0] <= peaks[:, 1]).all()


def test_zoomed_views_agree_with_the_full_view(half_loud: Path, tmp_path: Path) -> None:
    cache = WaveformCache(tmp_path / "cache")
    whole = cache.peaks(half_loud, SHA, 0.0, 2.0, 100)
    zoomed = cache.peaks(half_loud, SHA, 1.5, 1.52, 400)  # far past one bucket per pixel
    assert zoomed.shape == (400, 2)
    assert zoomed[:, 1].max() <= whole[:, 1].max() + 1e-3
    assert zoomed[:, 1].max() > 0.4


def test_times_outside_the_sound_read_as_silence(half_loud: Path, tmp_path: Path) -> None:
    peaks = WaveformCache(tmp_path / "cache").peaks(half_loud, SHA, 1.5, 3.5, 100)
    assert not peaks[60:].any()
    assert peaks[:20, 1].max() > 0.4


def test_pyramid_is_built_once_and_reloaded_from_disk(half_loud: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    first = WaveformCache(tmp_path / "cache").peaks(half_loud, SHA, 0.0, 2.0, 64)
    assert list((tmp_path / "cache" / "waveforms").rglob(f"{SHA}.peaks"))

    def no_decoding(_path):
        raise AssertionError("the cached pyramid should have been used")

    monkeypatch.setattr(waveform, "build_pyramid", no_decoding)
    again = WaveformCache(tmp_path / "cache").peaks(half_loud, SHA, 0.0, 2.0, 64)
    np.testing.assert_array_equal(first, again)


def test_a_damaged_or_older_cache_file_is_rebuilt(half_loud: Path, tmp_path: Path) -> None:
    version_1 = [tmp_path / "cache" / "waveforms" / SHA[:2] / f"{SHA}{suffix}" for suffix in (".json", ".peaks.npy")]
    for path in version_1:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"{}")
    first = WaveformCache(tmp_path / "cache").peaks(half_loud, SHA, 0.0, 2.0, 64)
    assert not any(path.exists() for path in version_1)  # the old format's files are replaced
    cached = next((tmp_path / "cache" / "waveforms").rglob(f"{SHA}.peaks"))
    header, _, body = cached.read_bytes().partition(b"\n")
    assert b'"version": 2' in header
    for damaged in (header.replace(b'"version": 2', b'"version": 1') + b"\n" + body, header + b"\n" + body[:-3], b"\x00"):
        cached.write_bytes(damaged)
        np.testing.assert_array_equal(WaveformCache(tmp_path / "cache").peaks(half_loud, SHA, 0.0, 2.0, 64), first)


def test_integer_pcm_is_scaled_to_unit_range(corpus: Path, tmp_path: Path) -> None:
    peaks = WaveformCache(tmp_path / "cache").peaks(corpus / "audio" / "bbb_2ch_44kHz.wav", SHA, 0.0, 1.0, 50)
    assert 0.05 < np.abs(peaks).max() <= 1.0


def _reference_base(path: Path) -> np.ndarray:
    """Min/max of every BASE_BUCKET samples over all channels, computed the plain way."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = []
        for frame in container.decode(stream):
            data = frame.to_ndarray()
            if not frame.format.is_planar:  # (1, samples * channels) interleaved
                data = data.reshape(-1, len(frame.layout.channels)).T
            if frame.format.name.startswith("s16"):
                data = data.astype(np.float32) / 32768.0
            chunks.append(data)
    samples = np.concatenate(chunks, axis=1)
    bucket = waveform.BASE_BUCKET
    edges = range(0, samples.shape[1], bucket)
    return np.array([[samples[:, i:i + bucket].min(), samples[:, i:i + bucket].max()] for i in edges], np.float32)


@pytest.mark.parametrize("name", ["aac", "wav"])
def test_finest_level_matches_a_plain_min_max_of_the_samples(name: str, half_loud: Path, corpus: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # AAC decodes to planar float; the corpus WAV is interleaved int16 (44.1 kHz, length not a
    # multiple of the block): both ways through the block reduction, with the partial last bucket.
    monkeypatch.setattr(waveform, "_BLOCK_SAMPLES", waveform.BASE_BUCKET * 10)  # many blocks, tiny files
    path = half_loud if name == "aac" else corpus / "audio" / "bbb_2ch_44kHz.wav"
    pyramid = waveform.build_pyramid(path)
    expected = np.clip(_reference_base(path), -1, 1).astype(np.float16)
    np.testing.assert_array_equal(pyramid.levels[0], expected)


def test_each_coarser_level_is_the_min_max_of_its_span_of_the_finest() -> None:
    # 1001 buckets: not a multiple of FANOUT at any level, so every level has a partial last bucket.
    base = np.sort(np.random.default_rng(3).uniform(-1, 1, (1001, 2)), axis=1).astype(np.float16)
    levels = waveform._levels_from_base(base)
    assert len(levels) == waveform.LEVELS
    for i, level in enumerate(levels):
        span = waveform.FANOUT**i
        expected = [[base[j:j + span, 0].min(), base[j:j + span, 1].max()] for j in range(0, len(base), span)]
        np.testing.assert_array_equal(level, np.array(expected, np.float16))


def test_a_file_name_with_filter_syntax_in_it_is_read_as_a_name(half_loud: Path, tmp_path: Path) -> None:
    # The decoding graph takes the path as a filter option: quotes, colons, commas, brackets,
    # semicolons and backslashes in it must not be parsed.
    odd = tmp_path / "it's: a, [take];\\ 'one'.mp4"
    odd.write_bytes(half_loud.read_bytes())
    expected = waveform.build_pyramid(half_loud)
    pyramid = waveform.build_pyramid(odd)
    assert (pyramid.samples, pyramid.start_s) == (expected.samples, expected.start_s)
    np.testing.assert_array_equal(pyramid.levels[0], expected.levels[0])


def test_a_damaged_file_is_a_media_error_naming_it(half_loud: Path, tmp_path: Path) -> None:
    data = half_loud.read_bytes()
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(data[:len(data) // 2])  # opens, then fails part-way through decoding
    with pytest.raises(MediaError, match="damaged.mp4.*cannot be decoded"):
        waveform.build_pyramid(damaged)


def test_db_scale_keeps_quiet_sound_visible_and_full_scale_at_the_top() -> None:
    from studio.media.waveform import db_scale

    peaks = np.array([[-1.0, 1.0], [-0.001, 0.001], [0.0, 0.0], [-0.5, 0.1]], np.float32)
    scaled = db_scale(peaks)
    np.testing.assert_allclose(scaled[0], [-1.0, 1.0])
    np.testing.assert_allclose(scaled[1], [0.0, 0.0], atol=1e-6)  # -60 dBFS: the floor
    np.testing.assert_allclose(scaled[2], [0.0, 0.0])
    np.testing.assert_allclose(scaled[3], [-(1 - 6.0206 / 60), 1 - 20 / 60], atol=1e-4)  # -6 dB and -20 dB
