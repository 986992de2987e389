"""Projects in the library: timelines saved as OTIO JSON, snapshots and their retention."""

from __future__ import annotations

from pathlib import Path

import pytest
from timeline_helpers import append_clip

from studio.errors import LibraryError
from studio.library import Library
from studio.library.projects import DAY, HOUR, snapshots_to_prune
from studio.library.records import SnapshotRecord
from studio.project.timeline import clips_for_take, timeline_rate


def test_new_project_has_video_and_audio_tracks(lib: Library) -> None:
    project = lib.create_project("  Trailer ")
    timeline = lib.load_timeline(project.id)
    assert project.name == "Trailer"
    assert [(t.name, t.kind) for t in timeline.tracks] == [("V1", "Video"), ("A1", "Audio")]
    assert lib.list_projects() == [project]


def test_saved_timeline_loads_back_identical(lib: Library, corpus: Path) -> None:
    project = lib.create_project("Cut")
    media = lib.import_media(corpus / "video" / "sample.mp4")
    take = lib.add_imported_take(media.id, title="sample")
    timeline = lib.load_timeline(project.id)
    video, audio = clips_for_take(take, media, lib.media_path(media), timeline_rate(timeline))
    append_clip(timeline, "V1", video)
    append_clip(timeline, "A1", audio)
    lib.save_timeline(project.id, timeline)
    loaded = lib.load_timeline(project.id)
    assert loaded.to_json_string() == timeline.to_json_string()
    assert lib.resolve_clip_media(loaded.tracks[0][0]) == lib.media_path(media)


def test_unsaved_edit_autosave_is_offered_for_recovery(lib: Library) -> None:
    project = lib.create_project("Recover me")
    assert lib.latest_autosave_newer_than_save(project.id) is None
    edited = lib.load_timeline(project.id)
    edited.name = "edited but not saved"
    snap = lib.snapshot_project(project.id, "autosave", timeline=edited)
    assert lib.latest_autosave_newer_than_save(project.id) == snap
    assert lib.load_snapshot(snap.id).name == "edited but not saved"
    lib.save_timeline(project.id, edited)
    assert lib.latest_autosave_newer_than_save(project.id) is None


def test_manual_snapshot_keeps_the_saved_timeline(lib: Library) -> None:
    project = lib.create_project("Versions")
    snap = lib.snapshot_project(project.id, "manual")
    assert lib.list_snapshots(project.id) == [snap]
    assert lib.load_snapshot(snap.id).to_json_string() == lib.load_timeline(project.id).to_json_string()
    with pytest.raises(LibraryError, match="Unknown snapshot kind"):
        lib.snapshot_project(project.id, "hourly")


def test_deleting_a_project_takes_its_snapshots(lib: Library) -> None:
    project = lib.create_project("Gone")
    lib.snapshot_project(project.id)
    lib.delete_project(project.id)
    assert lib.list_snapshots(project.id) == []
    with pytest.raises(LibraryError, match="no project"):
        lib.load_timeline(project.id)


def _snap(i: int, age: float, now: float, kind: str = "autosave") -> SnapshotRecord:
    return SnapshotRecord(id=i, project_id=1, kind=kind, created_at=now - age)


def test_retention_keeps_recent_autosaves_dense_and_old_ones_sparse() -> None:
    now = 1_000_000 * DAY
    recent = [_snap(i, i * 60, now) for i in range(1, 30)]  # one a minute for half an hour
    same_hour = [_snap(100 + i, 5.5 * HOUR + i * 60, now) for i in range(5)]  # five within one clock hour
    same_day = [_snap(200 + i, 3.5 * DAY + i * HOUR, now) for i in range(4)]  # four on one day
    ancient = [_snap(300, 90 * DAY, now), _snap(301, 91 * DAY, now, kind="manual")]
    dropped = set(snapshots_to_prune(recent + same_hour + same_day + ancient, now))
    assert not dropped & {s.id for s in recent}
    assert {s.id for s in same_hour} - dropped == {100}
    assert {s.id for s in same_day} - dropped == {200}  # the newest of the day stays
    assert 300 in dropped and 301 not in dropped  # manual snapshots are never pruned


def test_newest_autosave_is_kept_however_old() -> None:
    now = 1_000_000 * DAY
    assert snapshots_to_prune([_snap(1, 365 * DAY, now)], now) == []
