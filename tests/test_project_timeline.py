"""Placing takes on a timeline, and the finders the operations and the UI share."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest
from timeline_helpers import append_clip

from studio.errors import ProjectError
from studio.library.records import MediaRecord, TakeRecord
from studio.project.operations import TrimInPlace
from studio.project.timeline import (
    clips_for_take,
    clips_of_take,
    duration_seconds,
    file_path_of,
    item_at_time,
    kinora_data,
    linked_clips,
    new_timeline,
)
from studio.recipe import Recipe


def media(kind: str, duration: float | None = 2.0, sample_rate: int | None = 48000) -> MediaRecord:
    return MediaRecord(id=1, sha256="ab" * 32, relpath=f"media/ab/{'ab' * 32}.mp4", kind=kind, duration=duration,
                       fps=24.0, width=64, height=64, sample_rate=sample_rate, codec="h264", missing=False,
                       created_at=0.0, provenance_json=None)


def take(recipe: Recipe | None = None, title: str = "") -> TakeRecord:
    return TakeRecord(id=7, origin="generated", title=title, recipe=recipe, status="done", error=None, media_id=1,
                      poster_media_id=None, parent_take_id=None, remix_kind=None, favorite=False, created_at=0.0,
                      started_at=None, finished_at=None)


def test_a_take_with_sound_gives_linked_video_and_audio_clips(tmp_path: Path) -> None:
    recipe = Recipe(prompt="waves at night", seed=3)
    video, audio = clips_for_take(take(recipe), media("video"), tmp_path / "clip.mp4")
    assert video.name == "waves at night" and audio is not None
    v, a = kinora_data(video), kinora_data(audio)
    assert (v["take_id"], v["role"], a["role"]) == (7, "video", "audio")
    assert v["link_id"] == a["link_id"] and v["recipe"]["seed"] == 3
    assert file_path_of(video) == (tmp_path / "clip.mp4").resolve()
    assert video.source_range.duration.to_seconds() == 2.0


def test_a_silent_video_gives_no_audio_clip(tmp_path: Path) -> None:
    video, audio = clips_for_take(take(title="silent"), media("video", sample_rate=None), tmp_path / "a.mp4")
    assert video is not None and audio is None


def test_an_audio_file_gives_only_an_audio_clip(tmp_path: Path) -> None:
    video, audio = clips_for_take(take(title="song"), media("audio"), tmp_path / "a.wav")
    assert video is None and audio is not None


def test_a_still_image_lasts_three_seconds_and_can_be_lengthened(tmp_path: Path) -> None:
    timeline = new_timeline("stills")
    video, audio = clips_for_take(take(title="poster"), media("image", duration=None, sample_rate=None),
                                  tmp_path / "p.png")
    assert audio is None and video.source_range.duration.to_seconds() == 3.0
    append_clip(timeline, "V1", video)
    TrimInPlace("V1", 0, "tail", 10.0).apply(timeline)
    assert duration_seconds(timeline) == 10.0


def test_a_take_shorter_than_a_frame_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="shorter than one frame"):
        clips_for_take(take(title="blip"), media("video", duration=0.001), tmp_path / "a.mp4")


def test_finders_locate_a_takes_clips(tmp_path: Path) -> None:
    timeline = new_timeline("find")
    video, audio = clips_for_take(take(title="x"), media("video"), tmp_path / "a.mp4")
    append_clip(timeline, "V1", video)
    append_clip(timeline, "A1", audio)
    assert [(t.name, i) for t, i, _ in clips_of_take(timeline, 7)] == [("V1", 0), ("A1", 0)]
    assert len(linked_clips(timeline, kinora_data(video)["link_id"])) == 2
    assert item_at_time(timeline.tracks[0], 1.0) == (0, video)
    assert item_at_time(timeline.tracks[0], 5.0) is None


def test_file_path_of_reads_urls_and_plain_paths() -> None:
    def clip(url: str) -> otio.schema.Clip:
        return otio.schema.Clip(media_reference=otio.schema.ExternalReference(url))

    assert file_path_of(clip("file:///media/a%20b.mp4")) == Path("/media/a b.mp4")
    assert file_path_of(clip("relative/c.mp4")) == Path("relative/c.mp4")
    assert file_path_of(clip("https://example.com/x.mp4")) is None
    assert file_path_of(otio.schema.Clip(media_reference=otio.schema.MissingReference())) is None
