"""Mutations of real files, drawn by hypothesis: truncation, byte flips, header swaps, huge sizes, and
for OTIO JSON, values replaced by nulls, huge or wrong-typed ones and deep nesting."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

HUGE = (0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0, 1)
JSON_VALUES: tuple[Any, ...] = (None, 1e308, -1, 0, "x", [], {}, True, float("nan"), 10**30)


@dataclass(frozen=True)
class Mutant:
    source: Path
    ops: tuple[tuple[str, tuple[Any, ...]], ...]

    def describe(self) -> str:
        return f"{self.source.name}: " + ", ".join(f"{k}{args}" for k, args in self.ops)


def _op(files: int) -> st.SearchStrategy[tuple[str, tuple[Any, ...]]]:
    fraction = st.floats(0.0, 1.0, allow_nan=False)
    return st.one_of(
        st.tuples(st.just("truncate"), st.tuples(fraction)),
        st.tuples(st.just("flip"), st.tuples(fraction, st.integers(1, 16), st.integers(1, 255))),
        st.tuples(st.just("header_swap"), st.tuples(st.integers(0, max(files - 1, 0)), st.integers(4, 64))),
        st.tuples(st.just("huge"), st.tuples(fraction, st.sampled_from(HUGE))),
        st.tuples(st.just("box_size"), st.tuples(st.integers(0, 40), st.sampled_from(HUGE))),
        st.tuples(st.just("json"), st.tuples(st.integers(0, 10**6), st.sampled_from(range(len(JSON_VALUES))),
                                             st.integers(0, 3000))),
    )


def mutants(files: list[Path]) -> st.SearchStrategy[Mutant]:
    return st.builds(Mutant, st.sampled_from(files), st.lists(_op(len(files)), min_size=1, max_size=3).map(tuple))


def apply(mutant: Mutant, files: list[Path]) -> bytes:
    data = mutant.source.read_bytes()
    for kind, args in mutant.ops:
        data = _APPLY[kind](data, args, files)
    return data


def _truncate(data: bytes, args: tuple[Any, ...], files: list[Path]) -> bytes:
    return data[: int(len(data) * args[0])]


def _flip(data: bytes, args: tuple[Any, ...], files: list[Path]) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    start = int((len(out) - 1) * args[0])
    for i in range(start, min(len(out), start + args[1])):
        out[i] ^= args[2]
    return bytes(out)


def _header_swap(data: bytes, args: tuple[Any, ...], files: list[Path]) -> bytes:
    other = files[args[0] % len(files)].read_bytes()[: args[1]]
    return other + data[len(other):]


def _huge(data: bytes, args: tuple[Any, ...], files: list[Path]) -> bytes:
    if len(data) < 4:
        return data
    at = int((len(data) - 4) * args[0]) & ~3
    return data[:at] + struct.pack(">I", args[1]) + data[at + 4:]


def _box_size(data: bytes, args: tuple[Any, ...], files: list[Path]) -> bytes:
    """Write a size field: the n-th ISO-BMFF box header met walking the top level (else a RIFF chunk size)."""
    at, seen = 0, 0
    while at + 8 <= len(data):
        size = struct.unpack(">I", data[at:at + 4])[0]
        if seen == args[0] or size < 8:
            return data[:at] + struct.pack(">I", args[1]) + data[at + 4:]
        seen += 1
        at += size
    if data[:4] in (b"RIFF", b"RF64") and len(data) > 44:
        return data[:40] + struct.pack("<I", args[1]) + data[44:]
    return data


def _json(data: bytes, args: tuple[Any, ...], files: list[Path]) -> bytes:
    """In an OTIO document (or a bundle's content.otio), replace one value, or nest it deeply."""
    if data[:2] == b"PK":
        return _in_bundle(data, args, files)
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return data
    nodes = list(_nodes(document))
    if not nodes:
        return data
    depth = args[2] - 2000  # a third of the draws nest up to 1000 levels deep
    if depth > 0:
        nest = "[" * depth + "]" * depth
        return json.dumps(document).replace('"metadata": {}', f'"metadata": {{"x": {nest}}}', 1).encode()
    parent, key = nodes[args[0] % len(nodes)]
    parent[key] = JSON_VALUES[args[1]]
    return json.dumps(document, allow_nan=True).encode()


def _in_bundle(data: bytes, args: tuple[Any, ...], files: list[Path]) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = {info: zf.read(info) for info in zf.infolist()}
    except Exception:  # noqa: BLE001 -- a damaged zip stays as it is
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for info, content in members.items():
            zf.writestr(info, _json(content, args, files) if info.filename == "content.otio" else content)
    return out.getvalue()


def _nodes(node: Any) -> Any:
    pending = [node]
    while pending:
        current = pending.pop()
        items = current.items() if isinstance(current, dict) else enumerate(current) if isinstance(current, list) else ()
        for key, value in items:
            yield current, key
            if isinstance(value, (dict, list)):
                pending.append(value)


_APPLY = {"truncate": _truncate, "flip": _flip, "header_swap": _header_swap, "huge": _huge, "box_size": _box_size,
          "json": _json}
