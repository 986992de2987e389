"""Timelines from other editors: how many of OpenTimelineIO's and its adapters' sample files Kinora
imports faithfully and writes back without loss.

Reads the sample data of fetched snapshots under /work/.mirror (AcademySoftwareFoundation/OpenTimelineIO,
OpenTimelineIO/otio-cmx3600-adapter, otio-fcp-adapter, otio-fcpx-xml-adapter: `tests/sample_data/`),
plus an .otioz bundle made from each .otio. For each file:
- OTIO: does OTIO itself, with its registry's adapters, read it?
- Kinora: does `read_project_file` read it, with the same tracks, clips, clip ranges and duration
  ("faithful"), and does writing it back as .otio and reading that again give the same again?
A file Kinora refuses is listed with its one-line reason. Prints the counts; asserts nothing.

    .venv/bin/python bench/interop.py [MIRROR_FOLDER]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import opentimelineio as otio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio.errors import KinoraError  # noqa: E402
from studio.project.files import PROJECT_SUFFIXES, read_project_file, save_otio  # noqa: E402

REPOS = ("AcademySoftwareFoundation+OpenTimelineIO", "OpenTimelineIO+otio-cmx3600-adapter",
         "OpenTimelineIO+otio-fcp-adapter", "OpenTimelineIO+otio-fcpx-xml-adapter")


def sample_files(mirror: Path, into: Path) -> list[Path]:
    """The sample timelines of each snapshot, written out of its git store into `into`."""
    found = []
    for repo in REPOS:
        git = mirror / repo / "repo"
        if not git.exists():
            print(f"(missing snapshot {repo}: fetch it first)")
            continue
        names = subprocess.run(["git", "--git-dir", str(git), "ls-tree", "-r", "--name-only", "HEAD"],
                               capture_output=True, text=True, check=True).stdout.split()
        for name in names:
            if "sample_data/" in name and Path(name).suffix.lower() in PROJECT_SUFFIXES:
                data = subprocess.run(["git", "--git-dir", str(git), "show", f"HEAD:{name}"], capture_output=True,
                                      check=True).stdout
                out = into / repo.split("+")[1] / Path(name).name
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(data)
                found.append(out)
    for otio_file in [f for f in found if f.suffix == ".otio"]:
        # A bundle of it as OTIO's otioz writer makes one with MediaReferencePolicy.AllMissing (sample media
        # is not in the repositories); that writer fails on these samples in OTIO 0.18.1, so it is done here.
        try:
            timeline = otio.adapters.read_from_file(str(otio_file))
        except Exception:
            continue
        for clip in timeline.find_clips():
            url = getattr(clip.media_reference, "target_url", None)
            if url is not None:
                clip.media_reference = otio.schema.MissingReference(
                    metadata={"missing_reference_because": "AllMissing specified as the MediaReferencePolicy",
                              "original_target_url": url})
        bundle = otio_file.with_suffix(".otioz")
        with zipfile.ZipFile(bundle, "w") as zf:
            zf.writestr("version.txt", "1.0.0")
            zf.writestr("content.otio", timeline.to_json_string())
        found.append(bundle)
    return sorted(found)


def _seconds(compute) -> float | None:
    try:
        return round(compute().to_seconds(), 4)
    except Exception:  # a clip with neither a source range nor an available one has no length
        return None


def shape(timeline: otio.schema.Timeline) -> tuple:
    """What must survive an import: tracks (kind, items), clip names and ranges, duration."""
    tracks = []
    for track in timeline.tracks:
        items = []
        for index, item in enumerate(track):
            span = (_seconds(lambda: track.range_of_child_at_index(index).start_time),
                    _seconds(lambda: track.range_of_child_at_index(index).duration))
            items.append((type(item).__name__, item.name if isinstance(item, otio.schema.Clip) else "", span))
        tracks.append((str(track.kind), tuple(items)))
    return tuple(tracks), _seconds(timeline.duration)


def otio_reads(path: Path) -> otio.schema.Timeline | None:
    """OTIO's own reading (an EDL at the rate its timecodes allow, as OTIO has no way to know it)."""
    from studio.project.interchange import detect_edl_rate

    options = {"rate": detect_edl_rate(path.read_bytes())} if path.suffix == ".edl" else {}
    try:
        result = otio.adapters.read_from_file(str(path), **options)
    except Exception:
        return None
    if isinstance(result, otio.schema.SerializableCollection):
        timelines = list(result.find_children(descended_from_type=otio.schema.Timeline))
        return timelines[0] if timelines else None
    return result if isinstance(result, otio.schema.Timeline) else None


def main() -> None:
    mirror = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/.mirror")
    with tempfile.TemporaryDirectory() as tmp:
        files = sample_files(mirror, Path(tmp))
        faithful = refused = lossy = 0
        refused_but_otio_reads = 0
        for path in files:
            reference = otio_reads(path)
            label = f"{path.parent.name}/{path.name}"
            try:
                mine = read_project_file(path)
            except KinoraError as exc:
                refused += 1
                refused_but_otio_reads += reference is not None
                print(f"REFUSED {'(OTIO reads it) ' if reference is not None else ''}{label}: {exc}")
                continue
            again = otio.adapters.read_from_file(str(save_otio(mine, Path(tmp) / "back.otio")))
            if reference is not None and shape(mine) == shape(reference) and shape(again) == shape(mine):
                faithful += 1
            else:
                lossy += 1
                print(f"LOSSY   {label}: kinora {shape(mine)[1]} s vs otio "
                      f"{shape(reference)[1] if reference is not None else 'unread'}")
        print(f"\n{len(files)} sample files: {faithful} imported faithfully and written back without loss, "
              f"{lossy} imported with differences, {refused} refused "
              f"({refused_but_otio_reads} of which OTIO with its adapters reads).")


if __name__ == "__main__":
    main()
