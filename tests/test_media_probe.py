"""probe() reads real files right and turns every kind of bad file into a MediaError naming it."""

from __future__ import annotations

import shutil
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from studio.errors import MediaError
from studio.media.encode import write_clip
from studio.media.probe import MediaInfo, probe


def test_probe_reads_codec_size_rate_of_plain_mp4(corpus: Path) -> None:
    info = probe(corpus / "video" / "sample.mp4")
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert (info.width, info.height) == (1080, 720)
    assert info.frame_rate == Fraction(30000, 1001)
    assert not info.variable_frame_rate
    assert info.duration == pytest.approx(1.0, abs=0.01)
    assert info.sample_rate == 44100


def test_portrait_phone_capture_reports_rotation_and_display_size(corpus: Path) -> None:
    info = probe(corpus / "video" / "portrait_4k60.mp4")
    assert info.rotation == 90
    assert (info.width, info.height) == (2160, 3840)
    assert info.variable_frame_rate


def test_audio_only_and_odd_sized_files_probe(corpus: Path) -> None:
    audio = probe(corpus / "video" / "long_edit_list_audioonly.mp4")
    assert audio.has_audio and not audio.has_video
    webm = probe(corpus / "video" / "bear-vp9-odd-dimensions.webm")
    assert (webm.width, webm.height, webm.video_codec) == (161, 121, "vp9")


def test_info_round_trips_through_dict(corpus: Path) -> None:
    info = probe(corpus / "video" / "sample.mp4")
    assert MediaInfo.from_dict(info.to_dict()) == info


def test_empty_file_is_a_media_error_naming_it(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    with pytest.raises(MediaError, match=r"empty\.mp4.*empty"):
        probe(empty)


def test_text_file_with_video_extension_is_a_media_error(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video\n" * 50)
    with pytest.raises(MediaError, match="notes.mp4"):
        probe(fake)


def test_real_video_with_wrong_extension_still_probes_by_content(corpus: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "clip.wav"
    shutil.copy(corpus / "video" / "sample.mp4", renamed)
    assert probe(renamed).video_codec == "h264"


def test_truncated_mp4_is_a_media_error(corpus: Path, tmp_path: Path) -> None:
    data = (corpus / "video" / "sample.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError, match="truncated"):
        probe(cut)


def test_file_cut_before_its_index_is_a_media_error(tmp_path: Path) -> None:
    clip = write_clip(np.zeros((4, 32, 32, 3), np.uint8), None, 24, 48000, tmp_path / "whole.mp4")
    cut = tmp_path / "head.mp4"
    cut.write_bytes(clip.read_bytes()[:200])
    with pytest.raises(MediaError, match="head.mp4"):
        probe(cut)


def test_mdat_declared_past_end_but_all_samples_present_is_readable(corpus: Path) -> None:
    # Every sample the index names is inside the file; players (and we) read it.
    info = probe(corpus / "video" / "sample_mdat_too_long.mp4")
    assert info.has_video and info.duration > 0.9


def test_missing_file_and_folder_are_media_errors(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="not found"):
        probe(tmp_path / "nope.mp4")
    with pytest.raises(MediaError, match="not a regular file"):
        probe(tmp_path)


def test_garbage_bytes_never_hang(tmp_path: Path) -> None:
    noise = tmp_path / "noise.mov"
    noise.write_bytes(np.random.default_rng(1).integers(0, 256, 200_000, dtype=np.uint8).tobytes())
    result: list[BaseException | MediaInfo] = []
    worker = threading.Thread(target=lambda: result.append(_probe_or_error(noise)), daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert isinstance(result[0], MediaError)


def _probe_or_error(path: Path) -> BaseException | MediaInfo:
    try:
        return probe(path)
    except MediaError as exc:
        return exc


def test_damaged_middle_decodes_or_fails_with_media_error_only(tmp_path: Path) -> None:
    from studio.media.decode import FrameReader

    frames = np.random.default_rng(2).integers(0, 255, (24, 48, 64, 3), dtype=np.uint8)
    clip = write_clip(frames, None, 24, 48000, tmp_path / "ok.mp4")
    data = bytearray(clip.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4000] = np.random.default_rng(3).integers(0, 255, 4000, dtype=np.uint8).tobytes()
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    try:
        with FrameReader(damaged) as reader:
            shown = [reader.frame_at(k / 24).shape for k in range(24)]
        assert shown == [(48, 64, 3)] * 24
    except MediaError as exc:
        assert "damaged.mp4" in str(exc)
