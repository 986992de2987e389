"""Project files: .otio and .otioz round trips, EDL, corpus files, and hostile bundles refused."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from timeline_helpers import append_clip

from bench.reliability import hostile
from studio.errors import ProjectError
from studio.library import Library
from studio.project import bundle
from studio.project.files import import_project_file, read_project_file, save_edl, save_otio, save_otioz
from studio.project.timeline import clips_for_take, file_path_of, kinora_data, timeline_rate
from studio.recipe import Recipe


@pytest.fixture
def clip_file(tmp_path: Path) -> Path:
    """A 1 s, 64x64, 12 fps clip with a tone, made here."""
    from studio.media.encode import write_clip

    frames = np.zeros((12, 64, 64, 3), dtype=np.uint8)
    frames[:, :, :, 0] = np.linspace(0, 255, 12, dtype=np.uint8)[:, None, None]
    t = np.arange(48000) / 48000
    tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return write_clip(frames, np.stack([tone, tone], axis=1), 12, 48000, tmp_path / "made.mp4")


@pytest.fixture
def project(tmp_path: Path, clip_file: Path):
    """A library with a generated take placed on a project's V1 and A1."""
    lib = Library.open(tmp_path / "lib-a")
    take = lib.create_take(Recipe(prompt="a lantern drifting at dusk", seed=11, model_id="tiny-random"))
    take = lib.complete_take(take.id, clip_file, recipe=take.recipe, timings={"total": 0.1})
    media = lib.media(take.media_id)
    record = lib.create_project("Dusk")
    timeline = lib.load_timeline(record.id)
    video, audio = clips_for_take(take, media, lib.media_path(media), timeline_rate(timeline))
    append_clip(timeline, "V1", video)
    append_clip(timeline, "A1", audio)
    lib.save_timeline(record.id, timeline)
    yield lib, record.id, timeline
    lib.close()


def test_otio_round_trip_keeps_the_edit_and_kinora_metadata(project, tmp_path: Path) -> None:
    lib, _, timeline = project
    path = save_otio(timeline, tmp_path / "dusk.otio", lib.resolve_clip_media)
    loaded = read_project_file(path)
    assert loaded.to_json_string() == timeline.to_json_string()
    clip = loaded.tracks[0][0]
    assert kinora_data(clip)["recipe"]["prompt"] == "a lantern drifting at dusk"
    assert file_path_of(clip) == lib.resolve_clip_media(clip)


def test_otioz_round_trip_into_a_second_library_brings_the_media(project, tmp_path: Path) -> None:
    lib, project_id, timeline = project
    path = save_otioz(timeline, tmp_path / "dusk.otioz", lib.resolve_clip_media)
    assert sorted(zipfile.ZipFile(path).namelist())[:2] == ["content.otio", "kinora.json"]
    with Library.open(tmp_path / "lib-b") as other:
        imported = import_project_file(other, path)
        loaded = other.load_timeline(imported.id)
        assert imported.name == "Dusk"
        video, audio = loaded.tracks[0][0], loaded.tracks[1][0]
        for clip in (video, audio):
            media_file = other.resolve_clip_media(clip)
            assert media_file.is_relative_to(other.root / "media")
            assert media_file.read_bytes() == lib.resolve_clip_media(timeline.tracks[0][0]).read_bytes()
        # One imported take, remixable: it carries the recipe of the original.
        (take,) = other.list_takes()
        assert (take.origin, take.recipe.seed, kinora_data(video)["take_id"]) == ("imported", 11, take.id)
        assert loaded.tracks[0][0].source_range == timeline.tracks[0][0].source_range
        # The unpacking folder is gone (cache/incoming, where store copies are made, stays, empty).
        assert [p for p in other.cache_dir.iterdir() if p.name != "incoming"] == []
        assert list((other.cache_dir / "incoming").iterdir()) == []


def test_otioz_reads_with_otio_own_adapter(project, tmp_path: Path) -> None:
    lib, _, timeline = project
    path = save_otioz(timeline, tmp_path / "dusk.otioz", lib.resolve_clip_media)
    assert otio.adapters.read_from_file(str(path)).name == "Dusk"


def test_edl_export_reads_back_as_one_cut(project, tmp_path: Path) -> None:
    _, _, timeline = project
    path = save_edl(timeline, tmp_path / "dusk.edl")
    loaded = read_project_file(path)
    assert len(list(loaded.find_clips())) == 1


def test_corpus_otio_with_missing_media_imports_offline(corpus: Path, tmp_path: Path) -> None:
    with Library.open(tmp_path / "lib") as lib:
        record = import_project_file(lib, corpus / "otio" / "multiple_track.otio")
        timeline = lib.load_timeline(record.id)
        assert len(timeline.tracks) == 3
        assert lib.list_takes() == []  # /folder/*.mov do not exist: nothing to adopt
        missing = import_project_file(lib, corpus / "otio" / "toucan" / "MissingMedia.otio")
        assert lib.load_timeline(missing.id) is not None


def test_corpus_edl_imports_as_a_project(corpus: Path, tmp_path: Path) -> None:
    with Library.open(tmp_path / "lib") as lib:
        record = import_project_file(lib, corpus / "otio" / "premiere_example.edl")
        clips = list(lib.load_timeline(record.id).find_clips())
    assert record.name == "Premiere_Example.01" and len(clips) >= 2


def test_otio_referencing_local_media_adopts_it_into_the_store(clip_file: Path, tmp_path: Path) -> None:
    timeline = otio.schema.Timeline(name="Local")
    track = otio.schema.Track(name="V1")
    timeline.tracks.append(track)
    track.append(otio.schema.Clip(name="made", media_reference=otio.schema.ExternalReference("made.mp4"),
                                  source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, 12),
                                                                       otio.opentime.RationalTime(12, 12))))
    path = tmp_path / "local.otio"
    path.write_text(timeline.to_json_string())  # relative reference, resolved against the file's folder
    with Library.open(tmp_path / "lib") as lib:
        record = import_project_file(lib, path)
        clip = lib.load_timeline(record.id).tracks[0][0]
        assert lib.resolve_clip_media(clip).is_relative_to(lib.root / "media")
        assert [t.title for t in lib.list_takes()] == ["made"]


# --- hostile bundles ---------------------------------------------------------------------------

HOSTILE = {
    "absolute": (lambda m: {**m, "/tmp/evil.mp4": b"x"}, (), "absolute path"),
    "dotdot": (lambda m: {**m, "media/../../evil.mp4": b"x"}, (), "'..'"),
    "windows-drive": (lambda m: {**m, "C:/evil.mp4": b"x"}, (), "absolute path"),
    "symlink": (lambda m: m, ("media/link.mp4",), "symbolic link"),
    "no-content": (lambda m: {k: v for k, v in m.items() if k != "content.otio"}, (), "no content.otio"),
    "newer-otio-schema": (lambda m: {**m, "content.otio": hostile.timeline_json(schema="Timeline.9")}, (), "newer than"),
    "unknown-schema": (lambda m: {**m, "content.otio": hostile.timeline_json(schema="Frobnicator.1")}, (), "does not know"),
    "newer-kinora": (lambda m: {**m, "content.otio": hostile.timeline_json(kinora_schema=99)}, (), "newer Kinora"),
    "newer-bundle": (lambda m: {**m, "version.txt": "2.0.0"}, (), "bundle version 2.0.0"),
    "points-outside": (lambda m: {**m, "content.otio": hostile.timeline_json(target="file:///etc/passwd")}, (),
                       "points outside the bundle"),
    "points-up": (lambda m: {**m, "content.otio": hostile.timeline_json(target="../secret.mp4")}, (),
                  "points outside the bundle"),
    "media-lacking": (lambda m: {k: v for k, v in m.items() if k != "media/a.mp4"}, (), "which the bundle lacks"),
    "bad-checksum": (lambda m: {**m, "kinora.json": json.dumps({"schema": 1, "members": {
        "media/a.mp4": {"size": len(m["media/a.mp4"]), "sha256": "0" * 64}}})}, (), "checksum mismatch"),
    "bad-json": (lambda m: {**m, "content.otio": "{not json"}, (), "not valid OTIO JSON"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_bundle_is_refused_before_anything_is_written(case: str, clip_file: Path, tmp_path: Path) -> None:
    change, links, message = HOSTILE[case]
    path = hostile.bundle(tmp_path / f"{case}.otioz", change(hostile.good_members(clip_file.read_bytes())), links=links)
    with Library.open(tmp_path / "lib") as lib:
        with pytest.raises(ProjectError, match=message.replace("(", r"\(").replace(".", r"\.")):
            import_project_file(lib, path)
        assert lib.list_projects() == [] and lib.list_takes() == []
        assert [p for p in (lib.root / "media").rglob("*") if p.is_file()] == []
        assert list(lib.cache_dir.iterdir()) == []


def test_the_unmodified_test_bundle_is_accepted(clip_file: Path, tmp_path: Path) -> None:
    """The hostile cases above differ from this one by their one defect only."""
    path = hostile.bundle(tmp_path / "good.otioz", hostile.good_members(clip_file.read_bytes()))
    with Library.open(tmp_path / "lib") as lib:
        record = import_project_file(lib, path)
        assert lib.resolve_clip_media(lib.load_timeline(record.id).tracks[0][0]).is_file()


@pytest.mark.parametrize("limit, value, message", [
    ("MAX_MEMBERS", 2, "more than the 2 allowed"),
    ("MAX_MEMBER_BYTES", 100, "past the 100 byte limit"),
    ("MAX_TOTAL_BYTES", 100, "unpacks to"),
])
def test_oversize_bundles_are_refused(limit: str, value: int, message: str, clip_file: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundle, limit, value)
    path = hostile.bundle(tmp_path / "big.otioz", hostile.good_members(clip_file.read_bytes()))
    with pytest.raises(ProjectError, match=message):
        bundle.check_bundle(path)


def test_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fake.otioz"
    path.write_text("hello")
    with pytest.raises(ProjectError, match="not an .otioz bundle"):
        read_project_file(path)


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cut.aaf"
    path.write_text("<xml/>")
    with pytest.raises(ProjectError, match=r"\.otio, \.otioz, \.edl, \.xml, \.fcpxml"):
        read_project_file(path)
    # .xml is Final Cut 7 XML now (issue 15); one that is not says so in one line
    path = tmp_path / "cut.xml"
    path.write_text("<xml/>")
    with pytest.raises(ProjectError, match=r"cannot be read as Final Cut Pro 7 XML \(.+\)\.$"):
        read_project_file(path)
