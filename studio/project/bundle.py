""".otioz bundles: a timeline and its media in one zip, in OTIO's own OTIOZ layout.

Layout (what OTIO's otioz adapter writes and reads): `version.txt`, `content.otio`, `media/...`,
plus Kinora's `kinora.json` manifest (schema version, each member's size and sha256).

A bundle comes from anywhere, so reading one checks everything BEFORE writing a byte: member
names (no absolute paths, no `..`, no links, no duplicates), counts and sizes (declared and
actual), the OTIO schema versions, and that media references stay inside the bundle.
"""

from __future__ import annotations

import hashlib
import json
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import opentimelineio as otio

from studio.atomic import atomic_path
from studio.errors import ProjectError
from studio.library.schema_check import check_timeline_json
from studio.media.limits import MAX_BUNDLE_MEMBERS, MAX_MEDIA_BYTES, MAX_PROJECT_BYTES
from studio.media.resolver import ResolveMedia, require_media
from studio.project.timeline import kinora_data
from studio.project.zip_check import CONTROL_MEMBERS, check_manifest_types, check_proportion, open_zip, zip_errors

BUNDLE_VERSION = "1.0.0"  # OTIOZ's version.txt
VERSION_FILE = "version.txt"
CONTENT_FILE = "content.otio"
MANIFEST_FILE = "kinora.json"
MEDIA_DIR = "media"
MANIFEST_SCHEMA = 1

# Bounds for bundles from elsewhere (studio.media.limits; zip_check adds those in proportion to the bundle).
MAX_MEMBERS = MAX_BUNDLE_MEMBERS + CONTROL_MEMBERS
MAX_MEMBER_BYTES = MAX_MEDIA_BYTES
MAX_TOTAL_BYTES = MAX_MEDIA_BYTES
MAX_CONTENT_BYTES = MAX_PROJECT_BYTES
_COPY_CHUNK = 1024 * 1024


def write_bundle(timeline: otio.schema.Timeline, path: Path, resolve_media: ResolveMedia) -> Path:
    """Write `timeline` and every clip's media file (found by `resolve_media(clip)`) as a .otioz."""
    bundled = timeline.deepcopy()
    members: dict[str, Path] = {}
    by_source: dict[Path, str] = {}
    for clip in bundled.find_clips():
        if not isinstance(clip.media_reference, otio.schema.ExternalReference):
            continue  # generators and missing references travel as they are
        source = require_media(resolve_media, clip)
        if source not in by_source:
            sha = kinora_data(clip).get("media_sha256")
            stem = sha if sha else f"{len(by_source) + 1:04d}_{source.stem}"
            name = f"{MEDIA_DIR}/{stem}{source.suffix.lower()}"
            by_source[source] = name
            members[name] = source
        clip.media_reference.target_url = by_source[source]
    content = bundled.to_json_string().encode("utf-8")
    manifest = {"schema": MANIFEST_SCHEMA, "members": {}}
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w") as zf:
            zf.writestr(VERSION_FILE, BUNDLE_VERSION, compress_type=zipfile.ZIP_DEFLATED)
            zf.writestr(CONTENT_FILE, content, compress_type=zipfile.ZIP_DEFLATED)
            for name, source in members.items():
                # Media is compressed already: stored, so it can be read back without inflating.
                digest = hashlib.sha256()
                with open(source, "rb") as src, zf.open(zipfile.ZipInfo(name), "w", force_zip64=True) as dst:
                    while chunk := src.read(_COPY_CHUNK):
                        digest.update(chunk)
                        dst.write(chunk)
                manifest["members"][name] = {"size": source.stat().st_size, "sha256": digest.hexdigest()}
            zf.writestr(MANIFEST_FILE, json.dumps(manifest, indent=1), compress_type=zipfile.ZIP_DEFLATED)
    return Path(path)


@dataclass(frozen=True)
class CheckedBundle:
    """A bundle that passed validation: its timeline (references still relative) and media members."""

    path: Path
    timeline: otio.schema.Timeline
    media_members: dict[str, zipfile.ZipInfo]
    manifest: dict[str, Any]


def _unsafe_name_reason(name: str) -> str | None:
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        return "'..' (a path leading outside the bundle)"
    if "\x00" in name:
        return "a NUL character"
    return None


def check_bundle(path: Path) -> CheckedBundle:
    """Validate a .otioz without extracting anything; ProjectError names the first problem found."""
    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise ProjectError(f"{path.name}: is not an .otioz bundle (not a zip file).")
    with open_zip(path) as zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ProjectError(f"{path.name}: has {len(infos)} files inside, more than the {MAX_MEMBERS} allowed.")
        seen: set[str] = set()
        total = 0
        for info in infos:
            reason = _unsafe_name_reason(info.filename)
            if reason:
                raise ProjectError(f"{path.name}: member '{info.filename}' has {reason}; refusing the bundle.")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ProjectError(f"{path.name}: member '{info.filename}' is a symbolic link; refusing the bundle.")
            if info.filename in seen:
                raise ProjectError(f"{path.name}: member '{info.filename}' appears twice; refusing the bundle.")
            seen.add(info.filename)
            if info.file_size > MAX_MEMBER_BYTES:
                raise ProjectError(f"{path.name}: member '{info.filename}' is {info.file_size} bytes, past the "
                                   f"{MAX_MEMBER_BYTES} byte limit.")
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise ProjectError(f"{path.name}: unpacks to {total} bytes, past the {MAX_TOTAL_BYTES} byte limit.")
        if CONTENT_FILE not in seen:
            raise ProjectError(f"{path.name}: has no {CONTENT_FILE}; it is not an OTIOZ bundle.")
        if VERSION_FILE in seen:
            version = _read_bounded(zf, VERSION_FILE, 64).decode("ascii", "replace").strip()
            if version.split(".")[0] != BUNDLE_VERSION.split(".")[0]:
                raise ProjectError(f"{path.name}: is bundle version {version}; this Kinora reads "
                                   f"version {BUNDLE_VERSION.split('.')[0]}.x. Update Kinora.")
        manifest: dict[str, Any] = {}
        if MANIFEST_FILE in seen:
            try:
                manifest = json.loads(_read_bounded(zf, MANIFEST_FILE, MAX_CONTENT_BYTES))
            except (ValueError, RecursionError) as exc:
                raise ProjectError(f"{path.name}: its {MANIFEST_FILE} is not valid JSON ({exc}).") from exc
            check_manifest_types(manifest, f"{path.name}: its {MANIFEST_FILE}")
            if int(manifest.get("schema", 0)) > MANIFEST_SCHEMA:
                raise ProjectError(f"{path.name}: was written by a newer Kinora (manifest schema "
                                   f"{manifest.get('schema')}); update Kinora to open it.")
        text = _read_bounded(zf, CONTENT_FILE, MAX_CONTENT_BYTES).decode("utf-8", "replace")
        timeline = check_timeline_json(text, path.name)
        media = {i.filename: i for i in infos if i.filename.startswith(f"{MEDIA_DIR}/") and not i.is_dir()}
        referenced: set[str] = set()
        for clip in timeline.find_clips():
            ref = clip.media_reference
            if isinstance(ref, otio.schema.ExternalReference) and ref.target_url:
                name = _member_name(ref.target_url)
                if name is None:
                    raise ProjectError(f"{path.name}: clip '{clip.name}' points outside the bundle "
                                       f"({ref.target_url}); refusing the bundle.")
                if name not in media:
                    raise ProjectError(f"{path.name}: clip '{clip.name}' needs {name}, which the bundle lacks.")
                referenced.add(name)
        members = manifest.get("members") if manifest is not None else None
        check_proportion(path, media, referenced, members if isinstance(members, dict) else {})
    return CheckedBundle(path, timeline, media, manifest)


def _member_name(url: str) -> str | None:
    """The bundle member a reference names, or None if it points outside (absolute, `..`, a URL)."""
    if url.startswith("file://") or "://" in url:
        return None
    if _unsafe_name_reason(url):
        return None
    return PurePosixPath(url).as_posix()


def _read_bounded(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    with zip_errors(Path(str(zf.filename)), name), zf.open(name) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ProjectError(f"{name} in the bundle is larger than {limit} bytes; refusing the bundle.")
    return data


def extract_media(bundle: CheckedBundle, dest_dir: Path) -> dict[str, Path]:
    """Copy the checked bundle's media members into dest_dir; returns member name -> file.

    Sizes are enforced while copying (a member may inflate past what it declares) and checked
    against the manifest's sha256 when there is one.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    root = dest_dir.resolve()
    expected = bundle.manifest.get("members", {}) if isinstance(bundle.manifest.get("members"), dict) else {}
    files: dict[str, Path] = {}
    with zipfile.ZipFile(bundle.path) as zf:
        for name, info in bundle.media_members.items():
            target = (root / name).resolve()
            if root not in target.parents:
                raise ProjectError(f"{bundle.path.name}: member '{name}' would land outside {dest_dir}.")
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            written = 0
            with zip_errors(bundle.path, name), zf.open(info) as src, atomic_path(target) as tmp, \
                    open(tmp, "wb") as dst:
                while chunk := src.read(_COPY_CHUNK):
                    written += len(chunk)
                    if written > info.file_size or written > MAX_MEMBER_BYTES:
                        raise ProjectError(f"{bundle.path.name}: member '{name}' unpacks larger than it declares.")
                    digest.update(chunk)
                    dst.write(chunk)
            want = expected.get(name, {}).get("sha256") if isinstance(expected.get(name), dict) else None
            if want and want != digest.hexdigest():
                target.unlink(missing_ok=True)
                raise ProjectError(f"{bundle.path.name}: member '{name}' is damaged (checksum mismatch).")
            files[name] = target
    return files

