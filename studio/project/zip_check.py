"""A .otioz's zip container, checked from its central directory before a byte is extracted.

Python's zipfile trusts what the archive says; a hostile or damaged one gets tracebacks (bad CRC,
bad deflate data, encryption), or work without bound (a bomb that inflates 1000-fold, overlapping
members, thousands of files). Here every member is checked from the central directory alone, and
reading a member turns zip errors into a ProjectError naming the bundle and the member.
"""

from __future__ import annotations

import contextlib
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from studio.errors import ProjectError
from studio.media.limits import (
    MAX_BUNDLE_MEMBERS,
    MAX_COMPRESSION_RATIO,
    MAX_MEDIA_BYTES,
    MAX_PROJECT_BYTES,
    RATIO_EXEMPT_BYTES,
)

CONTROL_MEMBERS = 3  # version.txt, content.otio, kinora.json
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
# What zipfile raises for damaged data: bad CRC, bad deflate stream, truncated member, encryption.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, ValueError, OSError)


@contextlib.contextmanager
def zip_errors(bundle: Path, member: str | None = None) -> Iterator[None]:
    """Turn zipfile's exceptions (inside the block) into one ProjectError naming the bundle and member."""
    try:
        yield
    except ProjectError:
        raise
    except ZIP_ERRORS as exc:
        where = f"member '{member}'" if member else "its zip structure"
        raise ProjectError(f"{bundle.name}: {where} is damaged ({_reason(exc)}); the bundle cannot be "
                           "opened. Copy or export it again.") from exc


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]


def open_zip(path: Path) -> zipfile.ZipFile:
    """The bundle's ZipFile, after its central directory passes `check_central_directory`."""
    with zip_errors(path):
        zf = zipfile.ZipFile(path)
    try:
        check_central_directory(path, zf.infolist())
    except BaseException:
        zf.close()
        raise
    return zf


def check_central_directory(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse encryption, unknown compression, bombs and overlapping members, from the directory alone."""
    files = [i for i in infos if not i.is_dir()]
    if len(files) > MAX_BUNDLE_MEMBERS + CONTROL_MEMBERS:
        raise ProjectError(f"{path.name}: holds {len(files)} files; a bundle holds at most {MAX_BUNDLE_MEMBERS} "
                           "media files. Refusing the bundle.")
    archive_size = path.stat().st_size
    for info in files:
        name = info.filename
        if info.flag_bits & 0x1:
            raise ProjectError(f"{path.name}: member '{name}' is encrypted; Kinora opens only unencrypted bundles.")
        if info.compress_type not in _METHODS:
            raise ProjectError(f"{path.name}: member '{name}' uses a compression method ({info.compress_type}) "
                               "other than stored or deflated; export the bundle again.")
        if info.file_size > MAX_MEDIA_BYTES:
            raise ProjectError(f"{path.name}: member '{name}' is {info.file_size} bytes, past the "
                               f"{MAX_MEDIA_BYTES} byte limit.")
        if info.header_offset + info.compress_size > archive_size:
            raise ProjectError(f"{path.name}: member '{name}' runs past the end of the file; the bundle is "
                               "truncated. Copy it again.")
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise ProjectError(f"{path.name}: member '{name}' declares two different sizes; refusing the bundle.")
        if info.file_size > RATIO_EXEMPT_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise ProjectError(f"{path.name}: member '{name}' would inflate {info.file_size // max(info.compress_size, 1)}"
                               f"-fold (a zip bomb); refusing the bundle.")
    if any(i.filename == "content.otio" and i.file_size > MAX_PROJECT_BYTES for i in files):
        raise ProjectError(f"{path.name}: its timeline is larger than {MAX_PROJECT_BYTES} bytes; refusing the bundle.")
    ordered = sorted(files, key=lambda i: i.header_offset)
    for before, after in zip(ordered, ordered[1:]):
        # Members that share bytes are how small files unpack to petabytes (overlapping zip bombs).
        if before.header_offset + before.compress_size > after.header_offset:
            raise ProjectError(f"{path.name}: members '{before.filename}' and '{after.filename}' overlap "
                               "(a zip bomb or a damaged file); refusing the bundle.")


def check_proportion(path: Path, media_members: dict[str, zipfile.ZipInfo], referenced: set[str],
                     declared: dict[str, object]) -> None:
    """Media members must be what the timeline uses, at the sizes the manifest declares."""
    unused = sorted(set(media_members) - referenced)
    if unused:
        raise ProjectError(f"{path.name}: holds {len(unused)} media file(s) its timeline does not use "
                           f"(e.g. '{unused[0]}'); refusing the bundle.")
    for name, info in media_members.items():
        entry = declared.get(name)
        size = entry.get("size") if isinstance(entry, dict) else None
        if size is not None and size != info.file_size:
            raise ProjectError(f"{path.name}: member '{name}' is {info.file_size} bytes but the bundle's manifest "
                               f"declares {size}; refusing the bundle.")


def check_manifest_types(manifest: object, source: str) -> None:
    """Kinora's kinora.json must be {"schema": int, "members": {name: {"size": int, "sha256": str}}}."""
    if not isinstance(manifest, dict):
        raise ProjectError(f"{source} is not a JSON object; the bundle is damaged.")
    schema, members = manifest.get("schema", 0), manifest.get("members", {})
    if not isinstance(schema, int) or isinstance(schema, bool) or not isinstance(members, dict):
        raise ProjectError(f"{source} has values of the wrong type; the bundle is damaged.")
    for name, entry in members.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("size", 0), int) \
                or not isinstance(entry.get("sha256", ""), str):
            raise ProjectError(f"{source} describes '{name}' with values of the wrong type; the bundle is damaged.")
