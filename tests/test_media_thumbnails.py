"""Posters and filmstrips come from the right moments, at the asked height, and are cached."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from studio.errors import MediaError
from studio.media import thumbnails
from studio.media.encode import write_clip
from studio.media.thumbnails import ThumbnailCache

SHA = "cd" * 32


@pytest.fixture
def ramp(tmp_path: Path) -> Path:
    """3 s at 10 fps, 80x40; frame i is grey level 8 * i."""
    frames = np.zeros((30, 40, 80, 3), np.uint8)
    for i in range(30):
        frames[i] = 8 * i
    return write_clip(frames, None, 10, 48000, tmp_path / "ramp.mp4")


def test_poster_is_a_jpeg_a_third_in_at_the_asked_height(ramp: Path, tmp_path: Path) -> None:
    poster = ThumbnailCache(tmp_path / "cache").poster(ramp, SHA, height=20)
    image = cv2.imread(str(poster))
    assert image.shape == (20, 40, 3)
    assert abs(float(image.mean()) - 8 * 10) < 4  # frame 10 of 30


def test_poster_is_served_from_cache_the_second_time(ramp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ThumbnailCache(tmp_path / "cache")
    first = cache.poster(ramp, SHA, height=20)
    monkeypatch.setattr(thumbnails, "FrameReader", None)  # any decode now would fail
    assert cache.poster(ramp, SHA, height=20) == first


def test_filmstrip_samples_evenly_and_caches(ramp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ThumbnailCache(tmp_path / "cache")
    strip = cache.filmstrip(ramp, SHA, count=3, height=20)
    assert [f.shape for f in strip] == [(20, 40, 3)] * 3
    assert [round(float(f.mean()) / 8) for f in strip] == [5, 15, 25]
    monkeypatch.setattr(thumbnails, "FrameReader", None)
    again = cache.filmstrip(ramp, SHA, count=3, height=20)
    np.testing.assert_array_equal(np.stack(strip), np.stack(again))


def test_sound_file_has_no_poster(corpus: Path, tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no picture"):
        ThumbnailCache(tmp_path / "cache").poster(corpus / "audio" / "bear.opus", SHA)


def test_jpeg_still_gives_a_poster_and_frames_at_any_time(tmp_path: Path) -> None:
    # The old tests only made posters of video files: FFmpeg's image2 demuxer gives no picture after a
    # seek, so every JPEG still showed "No picture" in the library and failed in the Preview.
    still = tmp_path / "still.jpg"
    picture = np.zeros((90, 160, 3), dtype=np.uint8)
    picture[:, :80] = (0, 0, 255)  # BGR: left half red
    assert cv2.imwrite(str(still), picture)
    poster = ThumbnailCache(tmp_path / "cache").poster(still, "ab" * 32, height=90)
    shown = cv2.imread(str(poster))
    assert shown.shape[:2] == (90, 160) and shown[45, 20, 2] > 200 and shown[45, 140, 2] < 60
    from studio.media.decode import FrameReader

    with FrameReader(still) as reader:
        for t in (0.0, 1.5, 0.0, 7.0):  # a still on the timeline is asked for at any time, back and forth
            rgb = reader.frame_at(t, (160, 90))
            assert rgb[45, 20, 0] > 200 and rgb[45, 140, 0] < 60


def test_exif_rotated_jpeg_poster_is_upright(corpus: Path, tmp_path: Path) -> None:
    poster = ThumbnailCache(tmp_path / "cache").poster(corpus / "images" / "Landscape_6.jpg", "cd" * 32, height=120)
    height, width = cv2.imread(str(poster)).shape[:2]
    assert (height, width) == (120, 180)  # stored 1200x1800, displays 1800x1200
