"""Export a take or a project to an MP4 that carries Content Credentials.

Two steps: `studio.media.export` renders the timeline (preset, watermark, faststart) to a
temporary file beside the destination; `studio.provenance.signing` then signs it with the
manifest that says what made it, reads it back, and renames it into place. A cancel or a
failure in either step leaves nothing under the destination name.

Every parent is an ingredient that carries its own manifest: a generated parent take is signed
on the fly (once; the signed copy is cached in the library's cache folder, keyed by the media's
hash and the signing identity), an imported parent travels as the file it was, with whatever
credentials it came with.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.errors import KinoraError, LibraryError, MediaError, ProjectError, ProvenanceError
from studio.scratch import EXPORT_PREFIX, EXPORTS_DIR, scratch_dir, sweep_beside

if TYPE_CHECKING:
    import opentimelineio as otio

    from studio.cancel import CancelToken
    from studio.library.library import Library
    from studio.library.records import TakeRecord
    from studio.media.export import ExportProgress
    from studio.media.presets import ExportPreset
    from studio.media.schedule import Schedule
    from studio.media.watermark import WatermarkSettings
    from studio.provenance.identity import SigningIdentity
    from studio.provenance.manifest import IngredientSource, ManifestPlan

RENDER_SHARE = 0.92  # of the progress bar; signing and verifying take the rest
SIGNED_CACHE = "signed"


@dataclass(frozen=True)
class ExportStatus:
    """Progress of an export, for a progress bar: the phase, the overall fraction and an ETA."""

    phase: str  # "notice" (said before rendering: `detail` is the message), "rendering", "signing", "done"
    fraction: float
    eta_s: float | None = None
    detail: str = ""


ProgressCallback = Callable[[ExportStatus], None]


def export_take(lib: Library, take_id: int, out_path: str | Path, *, watermark: bool | WatermarkSettings = True,
                sign: bool = True, progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
                preset: str | ExportPreset = "source", identity: SigningIdentity | None = None) -> Path:
    """Render one take (its own size, unless `preset` says otherwise) and sign it (with `identity`,
    default the user's: the feed publishes as the library's own identity).

    A generated take says `c2pa.created` (trainedAlgorithmicMedia) with its recipe, and names
    its parent take, if any, as a `parentOf` ingredient; an imported take is `opened` + `edited`.
    """
    from studio.project.timeline import clips_for_take, find_track, new_timeline

    take = _finished_take(lib, take_id)
    media_path = _media_path(lib, take)
    media = lib.media(take.media_id)  # type: ignore[arg-type]
    timeline = new_timeline(take.display_title, rate=float(media.fps or (take.recipe.fps if take.recipe else 24)))
    video, audio = clips_for_take(take, media, media_path, rate=timeline.metadata["kinora"]["rate"])
    if video is not None:
        find_track(timeline, "V1").append(video)
    if audio is not None:
        find_track(timeline, "A1").append(audio)
    out_path = Path(out_path)
    return _render_and_sign(lib, timeline, out_path, preset, watermark=watermark, sign=sign, progress=progress,
                            cancel=cancel, plan=lambda: take_plan(lib, take, title=out_path.name, identity=identity),
                            identity=identity)


def export_project(lib: Library, project_id: int, out_path: str | Path, preset: str | ExportPreset, *,
                   watermark: bool | WatermarkSettings = True, sign: bool = True,
                   progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
                   span: tuple[float, float] | None = None) -> Path:
    """Render a project's timeline with `preset` and sign it: `c2pa.edited`, a `componentOf`
    ingredient per take used, and the recipes of all takes. `span` (seconds): only In to Out."""
    from studio.project.timeline import trimmed_to

    project = lib.project(project_id)
    timeline = lib.load_timeline(project_id)
    if span is not None:
        timeline = trimmed_to(timeline, *span)
    check_exportable(lib, timeline)
    return _render_and_sign(lib, timeline, Path(out_path), preset, watermark=watermark, sign=sign,
                            progress=progress, cancel=cancel,
                            plan=lambda: project_plan(lib, timeline, title=project.name))


def check_exportable(lib: Library, timeline: otio.schema.Timeline) -> None:
    """Refuse, before anything is rendered, a timeline with a clip that cannot be rendered or signed:
    its media is missing, or the take it names is no longer in the library. ProjectError names them."""
    from studio.project.offline import offline_clips
    from studio.project.timeline import kinora_data

    def problem(clip: otio.schema.Clip) -> str | None:
        try:
            lib.resolve_clip_media(clip)
        except LibraryError:
            return "its media file is missing"
        take_id = kinora_data(clip).get("take_id")
        if take_id is not None:
            try:
                lib.take(int(take_id))
            except LibraryError:
                return f"take {take_id} is not in this library"
        return None

    offline = offline_clips(timeline, problem)
    if offline:
        listed = "; ".join(c.describe() for c in offline[:5]) + (" …" if len(offline) > 5 else "")
        raise ProjectError(f"{len(offline)} clip(s) cannot be exported: {listed}. Remove them from the timeline "
                           "or import their media again, then export.")


# --- manifests for takes and timelines ----------------------------------------------------------

def take_plan(lib: Library, take: TakeRecord, *, title: str,
              identity: SigningIdentity | None = None) -> ManifestPlan:
    """The manifest of an export of `take` (generated parents are signed into the cache as needed)."""
    from studio.provenance.manifest import IngredientSource, generated_take_plan, imported_take_plan

    if take.origin == "generated" and take.recipe is not None:
        return generated_take_plan(take.recipe, title=title, parent=_parent_ingredient(lib, take, identity),
                                   consent=_cameo_consent(lib, take.id))
    source = IngredientSource(_media_path(lib, take), take.display_title, "parentOf")
    return imported_take_plan(source, title=title, recipe=take.recipe)


def project_plan(lib: Library, timeline: otio.schema.Timeline, *, title: str,
                 identity: SigningIdentity | None = None) -> ManifestPlan:
    """The manifest of a timeline export: each take once, as a componentOf ingredient."""
    from studio.project.timeline import iter_clips, kinora_data
    from studio.provenance.manifest import IngredientSource, TimelineTake, timeline_plan

    takes: list[TimelineTake] = []
    components: list[IngredientSource] = []
    seen: set[Any] = set()
    for _track, _index, clip in iter_clips(timeline):
        take_id = kinora_data(clip).get("take_id")
        key = take_id if take_id is not None else lib.resolve_clip_media(clip)
        if key in seen:
            continue
        seen.add(key)
        if take_id is not None:
            take = lib.take(int(take_id))
            takes.append(TimelineTake(take.id, take.display_title, take.recipe))
            components.append(IngredientSource(signed_copy(lib, take, identity), take.display_title, "componentOf"))
        else:  # a clip from a file that is not in the library (e.g. from an imported .otio)
            path = lib.resolve_clip_media(clip)
            takes.append(TimelineTake(None, clip.name or path.name, None))
            components.append(IngredientSource(path, clip.name or path.name, "componentOf"))
    return timeline_plan(title, takes, components)


def signed_copy(lib: Library, take: TakeRecord, identity: SigningIdentity | None = None) -> Path:
    """A file of the take that carries its own manifest, for use as an ingredient.

    An imported take is its file as received (with the credentials it came with, or none).
    A generated take's media is signed with its own manifest (itself naming its parent, and so
    on up the lineage) once, then reused from the library cache.
    """
    from studio.provenance.identity import ensure_identity
    from studio.provenance.signing import sign_media

    media_path = _media_path(lib, take)
    if take.origin != "generated" or take.recipe is None:
        return media_path
    identity = identity or ensure_identity()
    media = lib.media(take.media_id)  # type: ignore[arg-type]
    signer = hashlib.sha256(identity.chain_pem()).hexdigest()[:12]
    cached = lib.cache_dir / SIGNED_CACHE / f"{media.sha256}.{signer}{media_path.suffix}"
    if not cached.is_file():
        plan = take_plan(lib, take, title=take.display_title, identity=identity)
        sign_media(media_path, cached, plan, identity=identity)
    return cached


def _parent_ingredient(lib: Library, take: TakeRecord, identity: SigningIdentity | None) -> IngredientSource | None:
    from studio.provenance.manifest import IngredientSource

    if take.parent_take_id is not None:
        parent = lib.take(take.parent_take_id)
        if parent.media_id is not None:
            return IngredientSource(signed_copy(lib, parent, identity), parent.display_title, "parentOf")
    source = take.recipe.source_path if take.recipe else None
    if source and Path(source).is_file():
        return IngredientSource(Path(source), Path(source).name, "parentOf")
    return None


# --- rendering ----------------------------------------------------------------------------------

def _render_and_sign(lib: Library, timeline: otio.schema.Timeline, out_path: Path, preset: str | ExportPreset, *,
                     watermark: bool | WatermarkSettings, sign: bool, progress: ProgressCallback | None,
                     cancel: CancelToken | None, plan: Callable[[], ManifestPlan],
                     identity: SigningIdentity | None = None) -> Path:
    report = progress or (lambda status: None)
    out_path = out_path.expanduser().resolve()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    def on_render(p: ExportProgress) -> None:
        report(ExportStatus("rendering", p.fraction * (RENDER_SHARE if sign else 1.0), p.eta_s,
                            f"frame {p.frame} of {p.total}"))

    manifest = plan() if sign else None
    for reason in _unsigned_reasons(manifest):  # said before rendering, not discovered after it
        report(ExportStatus("notice", 0.0, None, f"credentials carried unsigned: {reason}"))
    # The render lands beside the destination (same disk: the final rename is atomic, no copy).
    sweep_beside(out_path.parent)  # what killed exports left here
    with scratch_dir(out_path.parent, EXPORT_PREFIX, pointer_dir=lib.cache_dir / EXPORTS_DIR) as workdir:
        rendered = workdir / f"render{out_path.suffix or '.mp4'}"
        report(ExportStatus("rendering", 0.0, None))
        render_timeline(timeline, rendered, preset, resolve_media=lib.resolve_clip_media,
                        watermark=_watermark(watermark), progress=on_render, cancel=cancel)
        if cancel is not None:
            cancel.raise_if_cancelled()
        if manifest is not None:
            from studio.provenance.signing import sign_media

            report(ExportStatus("signing", RENDER_SHARE, None, "Content Credentials"))
            sign_media(rendered, out_path, manifest, identity=identity)
        else:
            os.replace(rendered, out_path)
    report(ExportStatus("done", 1.0, 0.0, f"{time.monotonic() - started:.1f} s"))
    return out_path


def render_timeline(timeline: otio.schema.Timeline, path: str | Path, preset: str | ExportPreset = "16:9", *,
                    resolve_media: Callable[[otio.schema.Clip], Path | str],
                    watermark: bool | WatermarkSettings | None = True,
                    progress: Callable[[ExportProgress], None] | None = None, cancel: CancelToken | None = None) -> Path:
    """Render the timeline to an MP4 (no signing): its schedule, through studio.media.export.
    `watermark` True is the default mark; None or False leaves it off."""
    from studio.media.export import export

    return export(render_schedule(timeline, resolve_media), path, preset, watermark=_watermark(watermark),
                  progress=progress, cancel=cancel)


def render_schedule(timeline: otio.schema.Timeline, resolve_media: Callable[[otio.schema.Clip], Path | str]) -> Schedule:
    """What plays when in the timeline, for export: the Preview's schedule, except that a clip whose
    media cannot be found stops the export, naming the clip (the Preview plays it as a gap)."""
    from studio.media.schedule import media_kinds
    from studio.project.schedule import build_schedule

    def resolve(clip: otio.schema.Clip) -> Path:
        try:
            path = Path(resolve_media(clip))
        except KinoraError:
            raise
        except Exception as exc:  # resolve_media is the caller's; name the clip whatever it raised
            raise MediaError(f"clip '{clip.name}': its media cannot be found ({exc})") from exc
        if not path.is_file():
            raise MediaError(f"clip '{clip.name}': its media file {path} is missing")
        return path

    return build_schedule(timeline, resolve, media_kinds)


def _unsigned_reasons(manifest: ManifestPlan | None) -> list[str]:
    if manifest is None or not manifest.ingredients:
        return []
    from studio.provenance.signing import unsigned_reason

    return [r for ing in manifest.ingredients if (r := unsigned_reason(ing.path, name=ing.title)) is not None]


def _watermark(watermark: bool | WatermarkSettings | None) -> WatermarkSettings | None:
    if watermark is True:
        from studio.media.watermark import WatermarkSettings

        return WatermarkSettings()
    return watermark or None


def _cameo_consent(lib: Library, take_id: int) -> list[dict[str, Any]]:
    """The consent recorded for each cameo in the take when it was queued (studio.consent.usage)."""
    rows = lib.database.query("SELECT consent_json FROM cameo_uses WHERE take_id = ? ORDER BY handle", (take_id,))
    return [json.loads(r["consent_json"]) for r in rows]


def _finished_take(lib: Library, take_id: int) -> TakeRecord:
    take = lib.take(take_id)
    if take.status != "done" or take.media_id is None:
        raise LibraryError(f"Take {take_id} has no finished clip to export (status: {take.status}).")
    return take


def _media_path(lib: Library, take: TakeRecord) -> Path:
    if take.media_id is None:
        raise ProvenanceError(f"Take {take.id} has no media file to name as an ingredient.")
    media = lib.media(take.media_id)
    path = lib.media_path(media)
    if media.missing or not path.is_file():
        raise LibraryError(f"The media file of take {take.id} is missing from the library; import it again.")
    return path
