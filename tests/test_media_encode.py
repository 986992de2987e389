"""write_clip makes H.264 + AAC 48 kHz MP4s of exact length, short GOPs, moov first, atomically."""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from studio.errors import MediaError
from studio.media.audio import read_audio
from studio.media.encode import as_rate, write_clip
from studio.media.generators import bars_and_tone, color_matte, countdown_leader, title_card
from studio.media.probe import probe


def _top_level_boxes(path: Path) -> list[bytes]:
    data, boxes, i = path.read_bytes(), [], 0
    while i + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[i:i + 8])
        boxes.append(kind)
        if size < 8:
            break
        i += size
    return boxes


def test_clip_has_h264_aac_exact_duration_and_short_gop(tmp_path: Path) -> None:
    frames = np.random.default_rng(0).integers(0, 255, (30, 48, 64, 3), dtype=np.uint8)
    tone = bars_and_tone(1.25, 24, (64, 48))
    path = write_clip(frames, tone.audio, 24, 48000, tmp_path / "out.mp4")
    info = probe(path)
    assert (info.video_codec, info.audio_codec, info.pix_fmt) == ("h264", "aac", "yuv420p")
    assert info.sample_rate == 48000 and info.channels == 2
    assert info.duration == pytest.approx(30 / 24, abs=1e-6)
    assert 0 < info.max_keyframe_interval <= 0.5
    assert len(read_audio(path)) == 30 * 2000  # 1.25 s at 48 kHz: padded/trimmed to the video
    boxes = _top_level_boxes(path)
    assert boxes.index(b"moov") < boxes.index(b"mdat")  # faststart


def test_audio_is_resampled_padded_and_trimmed_to_video_length(tmp_path: Path) -> None:
    frames = np.zeros((25, 32, 32, 3), np.uint8)
    short_mono = np.full(22050, 0.25, np.float32)  # 0.5 s at 44.1 kHz for a 1 s clip
    path = write_clip(frames, short_mono, 25, 44100, tmp_path / "pad.mp4")
    audio = read_audio(path)
    assert len(audio) == 48000
    assert abs(float(audio[12000:20000].mean()) - 0.25) < 0.02
    assert np.abs(audio[30000:]).max() < 0.01
    long_audio = np.zeros((48000 * 3, 2), np.float32)
    assert len(read_audio(write_clip(frames, long_audio, 25, 48000, tmp_path / "trim.mp4"))) == 48000


def test_no_audio_gives_a_silent_aac_track(tmp_path: Path) -> None:
    path = write_clip(np.zeros((5, 32, 32, 3), np.uint8), None, 25, 48000, tmp_path / "silent.mp4")
    info = probe(path)
    assert info.audio_codec == "aac"
    assert not np.abs(read_audio(path)).max() > 1e-4


def test_ntsc_rate_is_stored_as_exact_fraction(tmp_path: Path) -> None:
    assert as_rate(29.97) == Fraction(30000, 1001)
    assert as_rate(23.976) == Fraction(24000, 1001)
    path = write_clip(np.zeros((6, 32, 32, 3), np.uint8), None, 29.97, 48000, tmp_path / "ntsc.mp4")
    with av.open(str(path)) as c:
        assert c.streams.video[0].average_rate == Fraction(30000, 1001)


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    def frames():
        yield np.zeros((32, 32, 3), np.uint8)
        raise RuntimeError("generator died")

    with pytest.raises(RuntimeError):
        write_clip(frames(), None, 24, 48000, tmp_path / "broken.mp4")
    assert list(tmp_path.iterdir()) == []


def test_bad_frames_are_a_media_error(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="uint8"):
        write_clip(np.zeros((3, 32, 32, 3), np.float32), None, 24, 48000, tmp_path / "f.mp4")
    with pytest.raises(MediaError, match="no frames"):
        write_clip([], None, 24, 48000, tmp_path / "e.mp4")


def test_generators_make_clips_of_the_asked_length() -> None:
    for clip in (title_card("Hi", 1.0, 24, (64, 36)), color_matte((255, 0, 0), 1.0, 24, (64, 36)),
                 bars_and_tone(1.0, 24, (64, 36)), countdown_leader(1, 24, (64, 36))):
        assert clip.frames.shape == (24, 36, 64, 3)
        assert clip.audio.shape == (48000, 2) and clip.sample_rate == 48000
    assert np.asarray(color_matte((255, 0, 0), 0.5, 24, (8, 8)).frames)[:, :, :, 0].min() == 255


def test_bars_tone_is_1khz_at_minus_20_dbfs() -> None:
    audio = bars_and_tone(1.0, 25, (32, 32)).audio[:, 0]
    spectrum = np.abs(np.fft.rfft(audio))
    assert np.argmax(spectrum) * 48000 / len(audio) == pytest.approx(1000, abs=2)
    assert 20 * np.log10(np.abs(audio).max()) == pytest.approx(-20, abs=0.1)


def test_countdown_has_a_flash_and_pop_at_each_second() -> None:
    clip = countdown_leader(3, 25, (32, 32))
    bright = [i for i, f in enumerate(clip.frames) if f.mean() > 250]
    assert bright == [0, 25, 50]
    sounding = np.flatnonzero(clip.audio[:, 0])
    starts = sounding[np.concatenate([[True], np.diff(sounding) > 1000])]
    assert list(starts - 1) == [0, 48000, 96000]  # sin(0) is the silent first sample of each pop
