"""Project files: .otio (media by path), .otioz (self-contained bundle), .edl (CMX 3600), and
importing any of them into a library.

Every file is written through a temporary name; every file read from elsewhere is validated
before anything is written (see studio.project.bundle).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import opentimelineio as otio

from studio.atomic import write_bytes_atomic
from studio.errors import KinoraError, MediaError, ProjectError, RecipeError
from studio.library.schema_check import check_timeline_json
from studio.media.limits import regular_file_problem
from studio.media.resolver import ResolveMedia, require_media
from studio.project import bundle, interchange
from studio.project.timeline import KINORA_KEY, file_path_of, kinora_data, timeline_rate
from studio.recipe import Recipe
from studio.scratch import IMPORT_PREFIX, owner_tag

if TYPE_CHECKING:  # annotations only
    from studio.library import Library, ProjectRecord

PROJECT_SUFFIXES = (".otio", ".otioz", ".edl", ".xml", ".fcpxml")
MAX_OTIO_BYTES = bundle.MAX_CONTENT_BYTES


def save_otio(timeline: otio.schema.Timeline, path: Path | str,
              resolve_media: ResolveMedia | None = None) -> Path:
    """Write a .otio whose clips reference their media by absolute file URL (found by resolve_media).

    A clip whose media is offline keeps the reference it has, so relinking it later still can."""
    out = timeline.deepcopy()
    if resolve_media is not None:
        for clip in out.find_clips():
            if isinstance(clip.media_reference, otio.schema.ExternalReference):
                try:
                    clip.media_reference.target_url = require_media(resolve_media, clip).as_uri()
                except KinoraError:
                    continue
    write_bytes_atomic(path, out.to_json_string().encode("utf-8"))
    return Path(path)


def save_otioz(timeline: otio.schema.Timeline, path: Path | str, resolve_media: ResolveMedia) -> Path:
    """Write a self-contained .otioz: the timeline plus every clip's media file."""
    return bundle.write_bundle(timeline, Path(path), resolve_media)


def save_interchange(timeline: otio.schema.Timeline, path: Path | str) -> Path:
    """Write Final Cut Pro 7 XML (.xml) or FCPXML (.fcpxml) through OTIO's adapters."""
    write_bytes_atomic(path, interchange.write_timeline(timeline, Path(path)).encode("utf-8"))
    return Path(path)


def save_edl(timeline: otio.schema.Timeline, path: Path | str) -> Path:
    """Write a CMX 3600 EDL of the first video track (EDLs hold one track of cuts, no audio mix)."""
    from studio.project.timeline import video_tracks

    tracks = video_tracks(timeline)
    if not tracks:
        raise ProjectError("The timeline has no video track to write as an EDL.")
    single = otio.schema.Timeline(name=timeline.name)
    single.tracks.append(tracks[0].deepcopy())
    try:
        text = otio.adapters.write_to_string(single, "cmx_3600")
    except Exception as exc:  # the adapter raises its own exception types
        raise ProjectError(f"The timeline cannot be written as an EDL: {exc}") from exc
    write_bytes_atomic(path, text.encode("utf-8"))
    return Path(path)


def save_project_file(timeline: otio.schema.Timeline, path: Path | str, resolve_media: ResolveMedia) -> Path:
    """Write by suffix: .otio, .otioz or .edl."""
    suffix = Path(path).suffix.lower()
    if suffix == ".otioz":
        return save_otioz(timeline, path, resolve_media)
    if suffix == ".otio":
        return save_otio(timeline, path, resolve_media)
    if suffix == ".edl":
        return save_edl(timeline, path)
    if suffix in (".xml", ".fcpxml"):
        return save_interchange(timeline, path)
    raise ProjectError(f"{Path(path).name}: choose a .otio, .otioz, .edl, .xml or .fcpxml file name.")


def read_project_file(path: Path | str, media_dir: Path | None = None, rate: float | None = None) -> otio.schema.Timeline:
    """Read a .otio, .otioz, .edl, FCP 7 .xml or .fcpxml, validated first (ProjectError names what is wrong).

    `rate`: an EDL's frame rate (EDLs do not say; without it the timecodes' frame numbers decide).
    For a .otioz, media is extracted into `media_dir` when given and the clips point at the
    extracted files; without it the clips keep their in-bundle relative references.
    Relative references in a .otio are resolved against the file's folder.
    """
    path = Path(path)
    problem = regular_file_problem(path)  # missing, unreadable, a FIFO or device: refused before opening
    if problem is not None:
        raise ProjectError(f"{path}: {problem}.")
    suffix = path.suffix.lower()
    if suffix == ".otioz":
        checked = bundle.check_bundle(path)
        timeline = checked.timeline
        if media_dir is not None:
            extracted = bundle.extract_media(checked, media_dir)
            for clip in timeline.find_clips():
                ref = clip.media_reference
                if isinstance(ref, otio.schema.ExternalReference) and ref.target_url in extracted:
                    ref.target_url = extracted[ref.target_url].as_uri()
        return timeline
    if suffix == ".otio":
        if path.stat().st_size > MAX_OTIO_BYTES:
            raise ProjectError(f"{path.name}: is larger than {MAX_OTIO_BYTES} bytes; it is not a timeline Kinora opens.")
        timeline = check_timeline_json(path.read_text(encoding="utf-8", errors="replace"), path.name)
        _resolve_relative(timeline, path.parent)
        return timeline
    if suffix in interchange.ADAPTERS:
        timeline = interchange.read_timeline(path, rate)
        _resolve_relative(timeline, path.parent)
        return timeline
    raise ProjectError(f"{path.name}: is not a project file Kinora reads ({', '.join(PROJECT_SUFFIXES)}).")


def _resolve_relative(timeline: otio.schema.Timeline, folder: Path) -> None:
    for clip in timeline.find_clips():
        path = file_path_of(clip)
        if path is not None and not path.is_absolute() and (folder / path).is_file():
            clip.media_reference.target_url = (folder / path).resolve().as_uri()


def open_project_file(library: Library, path: Path | str, rate: float | None = None) -> tuple[ProjectRecord, bool]:
    """The project made from this file: the one made before from the same bytes (with the edits made
    since), or a new one imported now (`rate`: an EDL's). Returns (project, whether it existed)."""
    from studio.library.media_store import sha256_of

    sha = sha256_of(Path(path))
    existing = library.project_from_source(sha)
    if existing is not None:
        return existing, True
    project = import_project_file(library, path, rate=rate)
    timeline = library.load_timeline(project.id)
    timeline.metadata[KINORA_KEY] = {**dict(timeline.metadata.get(KINORA_KEY) or {}), "source_sha256": sha}
    library.save_timeline(project.id, timeline)
    return project, False


def import_project_file(library: Library, path: Path | str, rate: float | None = None) -> ProjectRecord:
    """Bring a project file into `library` as a new project.

    Media the clips reference (inside a bundle, or local files for .otio) is copied into the
    library's store; each distinct file becomes an imported take (keeping a Kinora recipe when the
    clip carries one), and the clips are repointed at the store. Clips whose media cannot be found
    stay offline; nothing is written until the file has been validated.
    """
    path = Path(path)
    work = Path(tempfile.mkdtemp(prefix=f"{IMPORT_PREFIX}{owner_tag()}-", dir=library.cache_dir))  # swept if killed
    try:
        timeline = read_project_file(path, media_dir=work if path.suffix.lower() == ".otioz" else None, rate=rate)
        _adopt_media(library, timeline)
        name = timeline.name or path.stem
        metadata = dict(timeline.metadata.get(KINORA_KEY) or {})
        metadata.setdefault("schema", 1)
        metadata.setdefault("rate", timeline_rate(timeline))  # the sequence's rate, not its first clip's
        timeline.metadata[KINORA_KEY] = metadata
        return library.create_project(name, timeline)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _adopt_media(library: Library, timeline: otio.schema.Timeline) -> None:
    takes: dict[str, int] = {}  # sha256 -> the take made for it in this import
    for clip in timeline.find_clips():
        source = file_path_of(clip)
        if source is None or not source.is_file():
            continue
        try:
            media = library.import_media(source)
        except MediaError:
            continue  # an unreadable file stays referenced where it is, offline for Kinora
        data = kinora_data(clip)
        if media.sha256 not in takes:
            existing = library.takes_for_media(media.id)
            takes[media.sha256] = existing[0].id if existing else library.add_imported_take(
                media.id, title=clip.name or source.stem, recipe=_recipe_or_none(data.get("recipe"))).id
        data.update(take_id=takes[media.sha256], media_sha256=media.sha256)
        clip.metadata[KINORA_KEY] = data
        clip.media_reference.target_url = library.media_path(media).as_uri()


def _recipe_or_none(data: object) -> Recipe | None:
    if not isinstance(data, dict):
        return None
    try:
        return Recipe.from_dict(data)
    except (RecipeError, TypeError, ValueError):  # a recipe that no longer validates: keep the clip, drop it
        return None
