"""Exporting takes and projects: rendered, then signed with what made them."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from studio.cancel import CancelToken
from studio.errors import Cancelled, ProjectError
from studio.exporting import ExportStatus, export_project, export_take
from studio.library.library import Library
from studio.media.encode import write_clip
from studio.media.probe import probe
from studio.project.timeline import clips_for_take, find_track, new_timeline
from studio.provenance.importing import record_credentials
from studio.provenance.reader import AI_SOURCES, read_credentials
from studio.recipe import Recipe


def _take(lib: Library, tmp_path: Path, prompt: str, parent: int | None = None) -> int:
    recipe = Recipe(prompt=prompt, model_id="tiny-random", seed=len(prompt), width=64, height=48, fps=24, seconds=0.5)
    take = lib.create_take(recipe, parent_take_id=parent, remix_kind="video" if parent else None)
    t = np.arange(12000, dtype=np.float32) / 48000
    audio = np.stack([np.sin(2 * np.pi * 440 * t)] * 2, axis=1) * 0.2
    frames = np.full((12, 48, 64, 3), 20 * take.id % 256, np.uint8)
    clip = write_clip(frames, audio, 24, 48000, tmp_path / f"take{take.id}.mp4")
    lib.complete_take(take.id, clip, recipe=recipe, timings={})
    return take.id


def _top_level_boxes(path: Path) -> list[str]:
    data, names, offset = path.read_bytes(), [], 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if size == 1:
            (size,) = struct.unpack(">Q", data[offset + 8:offset + 16])
        names.append(kind.decode("latin-1"))
        offset += size
    return names


def test_exported_take_is_signed_valid_with_its_recipe_and_created_action(lib: Library, tmp_path: Path) -> None:
    take_id = _take(lib, tmp_path, "a paper boat")
    seen: list[ExportStatus] = []
    out = export_take(lib, take_id, tmp_path / "out" / "boat.mp4", progress=seen.append)
    info = probe(out)
    assert info.has_video and info.has_audio and info.video_codec == "h264"
    report = read_credentials(out)
    assert report.state == "valid" and report.ai_generated
    assert report.recipe == lib.take(take_id).recipe
    assert report.manifest.actions[0].action == "c2pa.created"
    assert report.manifest.actions[0].digital_source_type in AI_SOURCES
    assert [s.phase for s in seen][-2:] == ["signing", "done"] and seen[-1].fraction == 1.0
    assert sorted(p.name for p in out.parent.iterdir()) == ["boat.mp4"]  # no temporary left behind
    boxes = _top_level_boxes(out)  # signed after faststart, and still faststart: the index before the data
    assert "uuid" in boxes and boxes.index("moov") < boxes.index("mdat")


def test_remix_export_names_its_parent_take_with_the_parents_own_manifest(lib: Library, tmp_path: Path) -> None:
    parent = _take(lib, tmp_path, "a fox")
    child = _take(lib, tmp_path, "a fox in snow", parent=parent)
    out = export_take(lib, child, tmp_path / "fox.mp4", watermark=False)
    report = read_credentials(out)
    assert report.state == "valid" and [a.action for a in report.manifest.actions] == ["c2pa.opened", "c2pa.edited"]
    (ingredient,) = report.ingredients
    assert ingredient.relationship == "parentOf" and ingredient.validation.state == "valid"
    assert ingredient.recipe == lib.take(parent).recipe
    export_take(lib, child, tmp_path / "fox-again.mp4", watermark=False)
    assert len(list((lib.cache_dir / "signed").iterdir())) == 1  # the parent was signed once


def test_project_export_lists_every_take_as_a_component_with_all_recipes(lib: Library, tmp_path: Path) -> None:
    first, second = _take(lib, tmp_path, "dawn"), _take(lib, tmp_path, "dusk")
    timeline = new_timeline("Day", rate=24)
    for take_id in (first, second, first):  # a take used twice is one ingredient
        take = lib.take(take_id)
        media = lib.media(take.media_id)
        video, audio = clips_for_take(take, media, lib.media_path(media), rate=24)
        find_track(timeline, "V1").append(video)
        find_track(timeline, "A1").append(audio)
    project = lib.create_project("Day", timeline)
    out = export_project(lib, project.id, tmp_path / "day.mp4", "source")
    report = read_credentials(out)
    assert report.state == "valid" and report.ai_generated
    assert [(i.relationship, i.recipe.prompt) for i in report.ingredients] == [("componentOf", "dawn"), ("componentOf", "dusk")]
    assert [t.take_id for t in report.manifest.timeline_takes] == [first, second]
    assert "c2pa.edited" in [a.action for a in report.manifest.actions]
    assert abs(probe(out).duration - 1.5) < 0.1


def test_export_without_credentials_is_not_signed(lib: Library, tmp_path: Path) -> None:
    out = export_take(lib, _take(lib, tmp_path, "plain"), tmp_path / "plain.mp4", sign=False)
    assert read_credentials(out).state == "none"


def test_canceled_export_leaves_no_file(lib: Library, tmp_path: Path) -> None:
    take_id = _take(lib, tmp_path, "never")
    cancel = CancelToken()
    cancel.cancel()
    folder = tmp_path / "out"
    with pytest.raises(Cancelled):
        export_take(lib, take_id, folder / "never.mp4", cancel=cancel)
    assert list(folder.iterdir()) == []


def test_imported_signed_file_exported_again_carries_its_credentials(lib: Library, tmp_path: Path) -> None:
    other = Library.open(tmp_path / "other")
    try:
        shared = export_take(other, _take(other, tmp_path, "a gift"), tmp_path / "gift.mp4")
    finally:
        other.close()
    media = lib.import_media(shared)
    take = lib.add_imported_take(media.id, title="gift.mp4")
    record_credentials(lib, take)
    out = export_take(lib, take.id, tmp_path / "regift.mp4")
    report = read_credentials(out)
    assert report.state == "valid" and [a.action for a in report.manifest.actions] == ["c2pa.opened", "c2pa.edited"]
    (ingredient,) = report.ingredients
    assert ingredient.relationship == "parentOf" and ingredient.recipe.prompt == "a gift"
    assert report.recipe == ingredient.recipe  # the imported take kept the recipe it came with
    assert report.ai_generated


def _project_of(lib: Library, name: str, take_ids: list[int]) -> int:
    timeline = new_timeline(name, rate=24)
    for take_id in take_ids:
        take = lib.take(take_id)
        media = lib.media(take.media_id)
        video, audio = clips_for_take(take, media, lib.media_path(media), rate=24)
        find_track(timeline, "V1").append(video)
        find_track(timeline, "A1").append(audio)
    return lib.create_project(name, timeline).id


def test_deleting_a_take_on_a_timeline_names_the_projects_deletes_the_file_and_export_refuses_first(
        lib: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: delete_take kept the file and left the clips naming the take, so the clip kept playing and
    # every export rendered for minutes, then failed at signing ("There is no take N in this library").
    kept, doomed = _take(lib, tmp_path, "dawn"), _take(lib, tmp_path, "dusk")
    path = lib.media_path(lib.media(lib.take(doomed).media_id))
    day = _project_of(lib, "Day", [kept, doomed])
    _project_of(lib, "Night", [kept])
    assert [p.name for p in lib.projects_using_take(doomed)] == ["Day"]
    report = lib.delete_take(doomed)
    assert report.projects == ("Day",) and report.file_deleted and not path.exists()
    from studio.project.offline import offline_reason
    from studio.project.timeline import iter_clips

    reasons = [offline_reason(c) for _t, _i, c in iter_clips(lib.load_timeline(day))]
    assert reasons == [None, f"take {doomed} was deleted", None, f"take {doomed} was deleted"]
    import studio.media.export as media_export

    monkeypatch.setattr(media_export, "export", lambda *a, **k: pytest.fail("rendered before checking the clips"))
    with pytest.raises(ProjectError, match=r"2 clip\(s\) cannot be exported: “dusk” on V1 at 0\.50 s"):
        export_project(lib, day, tmp_path / "day.mp4", "source")


def test_deleting_one_of_two_takes_of_the_same_bytes_keeps_the_file_and_says_so(lib: Library, tmp_path: Path) -> None:
    first = _take(lib, tmp_path, "dawn")
    media_id = lib.take(first).media_id
    twin = lib.add_imported_take(media_id, title="dawn again").id
    report = lib.delete_take(twin)
    assert not report.file_deleted and "another take" in report.file_kept_reason
    assert lib.media_path(lib.media(media_id)).is_file()
    out = export_project(lib, _project_of(lib, "Still here", [first]), tmp_path / "ok.mp4", "source")
    assert read_credentials(out).state == "valid"


def test_project_export_with_in_and_out_renders_only_that_span(lib: Library, tmp_path: Path) -> None:
    # In/Out marks used to be shown on the timeline and ignored by export.
    day = _project_of(lib, "Day", [_take(lib, tmp_path, "dawn"), _take(lib, tmp_path, "dusk")])
    out = export_project(lib, day, tmp_path / "cut.mp4", "source", span=(0.25, 0.75), sign=False)
    assert abs(probe(out).duration - 0.5) < 0.06
    with pytest.raises(ProjectError, match="must come before"):
        export_project(lib, day, tmp_path / "bad.mp4", "source", span=(0.75, 0.25), sign=False)
