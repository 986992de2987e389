"""FrameReader returns the picture on screen at a time, by presentation timestamp, scaled and upright."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from media_samples import rotated_clip

from studio.errors import MediaError
from studio.media.audio import AudioReader, read_audio
from studio.media.decode import FrameReader
from studio.media.encode import write_clip
from studio.media.probe import probe

# Presentation times (ms) of a variable-frame-rate file; frame i is grey level 20 * (i + 1).
VFR_PTS_MS = [0, 40, 50, 100, 180, 200, 260, 400, 410, 500]


def _grey_frames(n: int, size: tuple[int, int] = (64, 48)) -> np.ndarray:
    frames = np.zeros((n, size[1], size[0], 3), np.uint8)
    for i in range(n):
        frames[i] = 20 * (i + 1) % 250
    return frames


def _level(rgb: np.ndarray) -> int:
    """Which grey frame this is (levels are 20 apart, compression moves them by a few)."""
    return int(round(float(rgb.mean()) / 20)) - 1


@pytest.fixture
def vfr_file(tmp_path: Path) -> Path:
    path = tmp_path / "vfr.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.time_base = stream.codec_context.time_base = Fraction(1, 1000)
        stream.options = {"bf": "0", "crf": "10"}
        for pts, frame in zip(VFR_PTS_MS, _grey_frames(len(VFR_PTS_MS))):
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(format="yuv420p")
            vf.pts, vf.time_base = pts, Fraction(1, 1000)
            out.mux(stream.encode(vf))
        out.mux(stream.encode(None))
    return path


def test_vfr_file_is_detected_and_frames_show_at_their_timestamps(vfr_file: Path) -> None:
    assert probe(vfr_file).variable_frame_rate
    with FrameReader(vfr_file) as reader:
        for i, pts in enumerate(VFR_PTS_MS):
            assert _level(reader.frame_at(pts / 1000)) == i
            assert _level(reader.frame_at(pts / 1000 + 0.005)) == i
        # Just before a frame's time the previous frame is still on screen.
        assert _level(reader.frame_at(0.399)) == VFR_PTS_MS.index(260)
        assert _level(reader.frame_at(0.181)) == VFR_PTS_MS.index(180)


def test_vfr_sequential_iteration_yields_real_timestamps(vfr_file: Path) -> None:
    with FrameReader(vfr_file) as reader:
        times = [round(t * 1000) for t, _ in reader.iter_frames()]
        assert times == VFR_PTS_MS
        assert [round(t * 1000) for t, _ in reader.iter_frames(start=0.19)] == VFR_PTS_MS[4:]


def test_random_and_backward_access_is_frame_accurate(tmp_path: Path) -> None:
    clip = write_clip(_grey_frames(12), None, 24, 48000, tmp_path / "cfr.mp4")
    with FrameReader(clip) as reader:
        for k in [11, 0, 7, 3, 3, 10, 1, 5]:
            assert _level(reader.frame_at(k / 24)) == k
        assert _level(reader.frame_at(99.0)) == 11  # past the end: the last frame stays up


def test_frame_at_scales_to_requested_size(tmp_path: Path) -> None:
    clip = write_clip(_grey_frames(3), None, 24, 48000, tmp_path / "s.mp4")
    with FrameReader(clip) as reader:
        assert reader.frame_at(0.0).shape == (48, 64, 3)
        assert reader.frame_at(0.0, size=(32, 20)).shape == (20, 32, 3)


def test_portrait_capture_is_returned_upright(corpus: Path) -> None:
    with FrameReader(corpus / "video" / "portrait_4k60.mp4") as reader:
        frame = reader.frame_at(0.1, size=(108, 192))
        assert frame.shape == (192, 108, 3)
        # Display matrix applied: the coded landscape picture turned 90 degrees clockwise.
        coded = next(av.open(str(corpus / "video" / "portrait_4k60.mp4")).decode(video=0))
        coded_small = coded.to_ndarray(width=192, height=108, format="rgb24")
        upright = np.rot90(coded_small, k=-1)
        assert np.abs(frame.astype(int) - upright.astype(int)).mean() < 12


def test_cache_stays_within_its_byte_budget(tmp_path: Path) -> None:
    clip = write_clip(_grey_frames(24), None, 24, 48000, tmp_path / "c.mp4")
    one_frame = 64 * 48 * 3 // 2
    with FrameReader(clip, cache_bytes=4 * one_frame) as reader:
        for k in range(24):
            reader.frame_at(k / 24)
        assert reader._cache.nbytes <= 4 * one_frame + one_frame * 2


def test_frame_reader_refuses_sound_files(corpus: Path) -> None:
    with pytest.raises(MediaError, match="no video"):
        FrameReader(corpus / "audio" / "bear.opus")


def test_audio_comes_back_stereo_48k_from_mono_44k(corpus: Path) -> None:
    audio = read_audio(corpus / "audio" / "sample_float32.wav")
    assert audio.dtype == np.float32 and audio.shape[1] == 2
    assert len(audio) == pytest.approx(1.0217 * 48000, rel=0.01)
    np.testing.assert_array_equal(audio[:, 0], audio[:, 1])


def test_windowed_audio_read_matches_whole_read(corpus: Path) -> None:
    whole = read_audio(corpus / "audio" / "bbb_2ch_44kHz.wav")
    with AudioReader(corpus / "audio" / "bbb_2ch_44kHz.wav") as reader:
        window = reader.read(0.5, 0.6)
        before = reader.read(-0.1, 0.0)
    assert window.shape == (4800, 2)
    np.testing.assert_allclose(window, whole[24000:28800], atol=1e-6)
    assert before.shape == (4800, 2) and not before.any()


def test_scrub_proxy_answers_jumps_with_the_same_frames(tmp_path: Path) -> None:
    clip = write_clip(_grey_frames(12, size=(64, 48)), None, 24, 48000, tmp_path / "p.mp4")
    with FrameReader(clip, scrub_proxy=True, proxy_height=24) as reader:
        assert reader.proxy_ready(timeout=30)
        for k in [9, 2, 11, 0, 5]:
            small = reader.frame_at(k / 24, size=(32, 24))
            assert small.shape == (24, 32, 3)
            assert _level(small) == k
        # Taller than the proxy: decoded from the file.
        assert reader.frame_at(0.2, size=(64, 48)).shape == (48, 64, 3)


def test_scrub_proxy_is_upright_for_rotated_files(tmp_path: Path) -> None:
    path = rotated_clip(tmp_path / "rotated.mp4")
    info = probe(path)
    assert (info.rotation, info.width, info.height) == (90, 32, 64)
    with FrameReader(path, scrub_proxy=True, proxy_height=32) as reader:
        assert reader.proxy_ready(timeout=30)
        from_proxy = reader.frame_at(0.1, size=(16, 32))
        decoded = reader.frame_at(0.1)
    assert from_proxy.shape == (32, 16, 3) and decoded.shape == (64, 32, 3)
    # The coded left half is on top once turned clockwise.
    assert from_proxy[:14].mean() > 240 and from_proxy[18:].mean() < 15
    assert decoded[:30].mean() > 240 and decoded[34:].mean() < 15
