"""Hostile projects: zip slip, bombs, links, absolute paths, NULs, wrong types, deep nesting, damaged zips.

Each must end as one clear line (exit 2) with nothing written outside the library's cache, and nothing
left in the library: no project, no take, no media.
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import opentimelineio as otio

from bench.reliability.isolate import CLEAR, run_cli

TRACKS_NULL = '{"OTIO_SCHEMA":"Timeline.1","name":"n","metadata":{},"tracks":null}'


def timeline_json(*, target: str = "media/a.mp4", clip_kinora: object = None, rate: object = 24,
                  value: object = 24, schema: str = "Timeline.1", kinora_schema: int | None = None) -> str:
    """A one-clip timeline as OTIO JSON, with the given field made hostile (`kinora_schema`: the timeline's
    Kinora metadata claims that schema version)."""
    timeline = otio.schema.Timeline(name="Hostile")
    track = otio.schema.Track(name="V1")
    timeline.tracks.append(track)
    track.append(otio.schema.Clip(name="a", media_reference=otio.schema.ExternalReference(target),
                                  source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, 24),
                                                                       otio.opentime.RationalTime(24, 24))))
    if kinora_schema is not None:
        timeline.metadata["kinora"] = {"schema": kinora_schema, "rate": 24.0}
    data = json.loads(timeline.to_json_string())
    data["OTIO_SCHEMA"] = schema
    clip = data["tracks"]["children"][0]["children"][0]
    clip["source_range"]["duration"].update(rate=rate, value=value)
    if clip_kinora is not None:
        clip["metadata"]["kinora"] = clip_kinora
    return json.dumps(data, allow_nan=True)


def bundle(path: Path, members: dict[str, bytes | str], *, links: tuple[str, ...] = (),
           deflate: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED if name in deflate else zipfile.ZIP_STORED)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16
            zf.writestr(info, "/etc/passwd")
    return path


def good_members(clip: bytes = b"\x00" * 2048) -> dict[str, bytes | str]:
    return {"version.txt": "1.0.0", "content.otio": timeline_json(), "media/a.mp4": clip}


def local_data_offset(path: Path, name: str) -> int:
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    raw = path.read_bytes()
    head = info.header_offset
    return head + 30 + int.from_bytes(raw[head + 26:head + 28], "little") + int.from_bytes(raw[head + 28:head + 30], "little")


def damage_crc(path: Path) -> Path:
    """Flip the central directory's CRC of content.otio: reading it fails the CRC check."""
    with zipfile.ZipFile(path) as zf:
        crc = zf.getinfo("content.otio").CRC.to_bytes(4, "little")
    data = bytearray(path.read_bytes())
    at = data.index(crc, data.index(b"PK\x01\x02"))
    data[at:at + 4] = bytes(b ^ 0xFF for b in crc)
    path.write_bytes(bytes(data))
    return path


def damage_deflate(path: Path) -> Path:
    at = local_data_offset(path, "content.otio")
    data = bytearray(path.read_bytes())
    data[at:at + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    return path


def mark_encrypted(path: Path) -> Path:
    data = bytearray(path.read_bytes())
    data[data.index(b"PK\x01\x02") + 8] |= 0x01  # general purpose flag bit 0 of the first central entry
    path.write_bytes(bytes(data))
    return path


def overlapping_bomb(path: Path) -> Path:
    """Two central entries pointing at the same local data (how non-recursive zip bombs multiply)."""
    bundle(path, good_members())
    data = bytearray(path.read_bytes())
    first = data.index(b"PK\x01\x02")
    second = data.index(b"PK\x01\x02", first + 4)
    data[second + 42:second + 46] = data[first + 42:first + 46]  # same local header offset
    path.write_bytes(bytes(data))
    return path


def _deep(depth: int) -> str:
    return '{"OTIO_SCHEMA":"Timeline.1","name":"n","metadata":{"x":' + "[" * depth + "]" * depth + '},"tracks":null}'


def hostile_set(folder: Path) -> dict[str, Path]:
    """Every hostile project, written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    good = good_members()
    makers: dict[str, Callable[[Path], Path]] = {
        "zip slip ..": lambda p: bundle(p, {**good, "media/../../../slipped.mp4": b"x"}),
        "absolute member": lambda p: bundle(p, {**good, "/tmp/kinora-absolute.mp4": b"x"}),
        "drive letter member": lambda p: bundle(p, {**good, "C:/evil.mp4": b"x"}),
        "symlink member": lambda p: bundle(p, good, links=("media/link.mp4",)),
        "NUL in a name": lambda p: bundle(p, {**good, "media/a\x00.mp4": b"x"}),
        "reference outside": lambda p: bundle(p, {**good, "content.otio": timeline_json(target="file:///etc/passwd")}),
        "reference up": lambda p: bundle(p, {**good, "content.otio": timeline_json(target="../secret.mp4")}),
        "ratio bomb": lambda p: bundle(p, {**good, "media/a.mp4": b"\x00" * (8 * 1024**2)}, deflate=("media/a.mp4",)),
        "overlap bomb": overlapping_bomb,
        "member flood": lambda p: bundle(p, {**good, **{f"media/{i}.mp4": b"" for i in range(2100)}}),
        "unused members": lambda p: bundle(p, {**good, **{f"media/x{i}.mp4": b"x" for i in range(30)}}),
        "bad crc": lambda p: damage_crc(bundle(p, good, deflate=("content.otio",))),
        "bad deflate": lambda p: damage_deflate(bundle(p, good, deflate=("content.otio",))),
        "encrypted": lambda p: mark_encrypted(bundle(p, good)),
        "tracks null (.otioz)": lambda p: bundle(p, {**good, "content.otio": TRACKS_NULL}),
        "wrong kinora type (.otioz)": lambda p: bundle(p, {**good, "content.otio": timeline_json(clip_kinora=[1])}),
        "manifest wrong type": lambda p: bundle(p, {**good, "kinora.json": '{"schema": "1", "members": []}'}),
        "deep nesting (.otioz)": lambda p: bundle(p, {**good, "content.otio": _deep(5000)}),
    }
    files = {name: make(folder / f"{i:02d}.otioz") for i, (name, make) in enumerate(makers.items())}
    plain = {
        "tracks null (.otio)": TRACKS_NULL,
        "deep nesting 990 (.otio)": _deep(990),
        "deep nesting 100000 (.otio)": _deep(100_000),
        "wrong kinora type (.otio)": timeline_json(clip_kinora={"take_id": "seven", "rate": "fast"}),
        "NaN rate (.otio)": timeline_json(rate=float("nan")),
        "zero rate (.otio)": timeline_json(rate=0),
        "negative rate (.otio)": timeline_json(rate=-24),
        "1e308 rate (.otio)": timeline_json(rate=1e308),
        "4e298 s (.otio)": timeline_json(value=4.2e298),
        "NUL in JSON (.otio)": timeline_json().replace('"Hostile"', '"Hos\\u0000tile"').replace("media/a.mp4", "a\\u0000b"),
        "unknown schema (.otio)": timeline_json(schema="Frobnicator.1"),
    }
    for i, (name, text) in enumerate(plain.items()):
        files[name] = folder / f"p{i:02d}.otio"
        files[name].write_text(text)
    return files


def run_hostile(folder: Path, library: Path, timeout: float = 30.0) -> tuple[Counter[str], list[str]]:
    """Open and import each hostile project; outcome counts and the cases that were not refused clearly."""
    from studio.library import Library

    counts: Counter[str] = Counter()
    findings: list[str] = []
    files = hostile_set(folder / "hostile")
    outside = [Path("/tmp/kinora-absolute.mp4"), folder / "slipped.mp4", folder.parent / "slipped.mp4"]
    for name, path in files.items():
        for command in ("open", "import"):
            outcome = run_cli([command, str(path)], library, timeout)
            kind = outcome.kind
            if kind == CLEAR and any(p.exists() for p in outside):
                kind = "wrote outside"
            counts[kind] += 1
            if kind != CLEAR:
                findings.append(f"{kind}: kinora {command} [{name}] -> {outcome.stderr.strip()[-160:]}")
    with Library.open(library) as lib:
        stored = [p for p in (lib.root / "media").rglob("*") if p.is_file()]
        if lib.list_projects() or lib.list_takes() or stored:
            counts["left in library"] += 1
            findings.append(f"left in library: {len(lib.list_projects())} projects, {len(stored)} media files")
    counts["cases"] = len(files)
    return counts, findings
