"""Timelines from other editors: EDLs at their real rate, Final Cut 7 XML and FCPXML through OTIO's
adapters, what OTIO itself reads (Box2d, Inf, unknown metadata schemas), the sequence's rate, and
.otio export of offline media. Files come from the corpus or are written by the tests."""

from __future__ import annotations

import json
import math
from pathlib import Path

import opentimelineio as otio
import pytest

from studio.cli import main
from studio.errors import LibraryError, ProjectError
from studio.library import Library
from studio.project.files import import_project_file, read_project_file, save_otio
from studio.project.interchange import detect_edl_rate
from studio.project.timeline import timeline_rate

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange

EDL = """TITLE: {title}
FCM: NON-DROP FRAME

001  AX       V     C        00:00:00:00 00:00:01:{a} 01:00:00:00 01:00:01:{a}
* FROM CLIP NAME: first.mov
002  AX       V     C        00:00:02:00 00:00:03:00 01:00:01:{a} 01:00:02:{a}
* FROM CLIP NAME: second.mov
"""


def _edl(tmp_path: Path, name: str, frames: str) -> Path:
    path = tmp_path / f"{name}.edl"
    path.write_text(EDL.format(title=name, a=frames))
    return path


def test_a_25_fps_edl_is_read_at_25(tmp_path: Path) -> None:
    # Before, every EDL was read at 24 fps: frame 24 in a timecode was refused with a message about frames.
    path = _edl(tmp_path, "pal", "24")
    assert detect_edl_rate(path.read_bytes()) == 25.0
    timeline = read_project_file(path)
    clips = list(timeline.find_clips())
    assert clips[0].source_range.duration.rate == 25
    assert clips[0].duration().to_seconds() == pytest.approx(1 + 24 / 25)
    assert timeline_rate(timeline) == 25.0


def test_a_30_fps_edl_whose_frames_stay_below_24_needs_and_honours_the_rate(tmp_path: Path, capsys) -> None:
    # Its timecodes fit 24 fps too, so without --rate it is read at 24 (times 25 % off); with it, right.
    path = _edl(tmp_path, "ntsc", "12")
    assert read_project_file(path).duration().to_seconds() == pytest.approx(2 + 12 / 24)
    assert read_project_file(path, rate=30.0).duration().to_seconds() == pytest.approx(2 + 12 / 30)
    assert main(["import", str(path), "--rate", "30", "--json"]) == 0
    project_id = json.loads(capsys.readouterr().out)[0]["id"]
    with Library.open() as lib:
        assert timeline_rate(lib.load_timeline(project_id)) == 30.0


def _sequence(rate: float, clip_rate: float) -> otio.schema.Timeline:
    """A sequence at `rate` whose first clip was cut at another rate (the Premiere case)."""
    timeline = otio.schema.Timeline("Cut", global_start_time=RT(0, rate))
    track = otio.schema.Track("V1", kind=otio.schema.TrackKind.Video)
    for name, clip_r, frames in (("slow", clip_rate, 15), ("main", rate, 30)):
        ref = otio.schema.ExternalReference(target_url=f"file:///media/{name}.mov",
                                            available_range=TR(RT(0, clip_r), RT(300, clip_r)))
        track.append(otio.schema.Clip(name, media_reference=ref, source_range=TR(RT(0, clip_r), RT(frames, clip_r))))
    timeline.tracks.append(track)
    return timeline


@pytest.mark.parametrize("suffix", [".xml", ".fcpxml"])
def test_final_cut_files_come_in_through_the_registry_with_the_sequences_rate(tmp_path: Path, lib: Library,
                                                                            suffix: str) -> None:
    # Before, `kinora import` called these "not a media file", and the project rate was the first clip's.
    path = tmp_path / f"cut{suffix}"
    adapter = {".xml": "fcp_xml", ".fcpxml": "fcpx_xml"}[suffix]
    otio.adapters.write_to_file(_sequence(30, 30 if suffix == ".fcpxml" else 25), str(path), adapter)
    timeline = read_project_file(path)
    assert [c.name for c in timeline.find_clips()] == ["slow", "main"]
    assert timeline.duration().to_seconds() == pytest.approx(1.6 if suffix == ".xml" else 1.5, abs=0.05)
    project = import_project_file(lib, path)
    assert timeline_rate(lib.load_timeline(project.id)) == 30.0


def test_what_otio_reads_is_accepted_box2d_inf_nan_and_unknown_metadata_schemas(tmp_path: Path) -> None:
    # NaN was refused everywhere: OTIO's own sample big_int.otio (a NaN in metadata) did not import.
    clip = otio.schema.Clip("framed", source_range=TR(RT(0, 24), RT(24, 24)))
    clip.media_reference = otio.schema.ExternalReference(
        target_url="file:///media/a.mov",
        available_image_bounds=otio.schema.Box2d(otio.schema.V2d(-1, -1), otio.schema.V2d(1, 1)))
    clip.metadata["other_tool"] = {"OTIO_SCHEMA": "AcmeGrade.3", "lift": 0.1}
    clip.metadata["limits"] = {"high": float("inf"), "unset": float("nan")}
    timeline = otio.schema.Timeline("accepting")
    timeline.tracks.append(otio.schema.Track("V1"))
    timeline.tracks[0].append(clip)
    path = tmp_path / "accept.otio"
    path.write_text(timeline.to_json_string())
    assert "Inf" in path.read_text() and "Box2d" in path.read_text()
    back = read_project_file(path)
    read_clip = back.find_clips()[0]
    assert read_clip.media_reference.available_image_bounds.max.x == 1
    assert read_clip.metadata["limits"]["high"] == float("inf") and math.isnan(read_clip.metadata["limits"]["unset"])
    assert '"AcmeGrade.3"' in back.to_json_string() and '"lift": 0.1' in back.to_json_string()  # kept as it is
    # A NaN where a time belongs is still refused.
    text = path.read_text()
    path.write_text(text.replace('"value": 24.0', '"value": NaN', 1))
    with pytest.raises(ProjectError, match="has a time of nan frames"):
        read_project_file(path)
    path.write_text(text)
    # An unknown schema outside metadata is still refused, with its name.
    path.write_text(path.read_text().replace('"Clip.2"', '"Sprocket.1"'))
    with pytest.raises(ProjectError, match="Sprocket.1"):
        read_project_file(path)


def test_corpus_timelines_import_with_their_shape(corpus: Path) -> None:
    for name in ("simple_cut.otio", "multiple_track.otio", "premiere_example.edl"):
        path = corpus / "otio" / name
        mine = read_project_file(path)
        theirs = otio.adapters.read_from_file(str(path), **({"rate": 24} if name.endswith(".edl") else {}))
        assert [c.name for c in mine.find_clips()] == [c.name for c in theirs.find_clips()], name
        assert mine.duration() == theirs.duration(), name


def test_otio_export_of_offline_media_keeps_the_references(tmp_path: Path) -> None:
    # Before, one offline clip made the whole .otio export fail in the resolver.
    timeline = _sequence(24, 24)

    def offline(clip: otio.schema.Clip) -> Path:
        raise LibraryError(f"The media of clip '{clip.name}' is missing")

    written = otio.adapters.read_from_file(str(save_otio(timeline, tmp_path / "out.otio", offline)))
    assert [c.media_reference.target_url for c in written.find_clips()] == ["file:///media/slow.mov",
                                                                           "file:///media/main.mov"]
