"""Checking an OTIO document's schema versions before OTIO builds objects from it.

OTIO upgrades old schema versions itself, but a newer version than it knows, or a schema it has
never heard of, would be read half-understood; a timeline with Kinora metadata newer than this
Kinora likewise. Both are refused with a message naming the schema.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from studio.errors import ProjectError
from studio.library.document_check import parse_document
from studio.library.timeline_format import KINORA_KEY, TIMELINE_SCHEMA

if TYPE_CHECKING:
    import opentimelineio as otio

# Value types OTIO serializes without registering them as schemas, and old names it still reads.
_VALUE_TYPES = {"RationalTime": 1, "TimeRange": 1, "TimeTransform": 1, "Sequence": 1, "Filler": 1,
                "Box2d": 1, "V2d": 1}
# OTIO writes infinities as bare Inf, which Python's json does not read (Infinity it does). Rewritten
# only for the schema walk; OTIO itself parses the original text.
_BARE_INF = re.compile(r"(?<=[:\[,\s])(-?)Inf(?=[\s,\]}])")


def known_schemas() -> dict[str, int]:
    """Schema name -> newest version this OTIO reads."""
    import opentimelineio as otio

    return {**_VALUE_TYPES, **dict(otio.core.type_version_map())}


def _walk(node: Any, known: dict[str, int], source: str, in_metadata: bool = False) -> None:
    if isinstance(node, dict):
        schema = node.get("OTIO_SCHEMA")
        # Inside metadata an unknown schema is another tool's data: OTIO keeps it as it is, and so do we.
        if isinstance(schema, str) and not (in_metadata and schema.rpartition(".")[0] not in known):
            name, _, version = schema.rpartition(".")
            if not name or not version.isdigit():
                raise ProjectError(f"{source}: has a malformed schema tag '{schema}'.")
            if name not in known:
                raise ProjectError(f"{source}: uses schema '{schema}', which this Kinora does not know.")
            if int(version) > known[name]:
                raise ProjectError(f"{source}: uses '{schema}', newer than the version {known[name]} this "
                                   "Kinora reads; update Kinora to open it.")
        for key, value in node.items():
            _walk(value, known, source, in_metadata or key == "metadata")
    elif isinstance(node, list):
        for value in node:
            _walk(value, known, source, in_metadata)


def check_timeline_json(text: str, source: str) -> otio.schema.Timeline:
    """Parse OTIO JSON after checking its schemas; ProjectError (naming `source`) when refused."""
    import opentimelineio as otio

    # Bare Inf (as OTIO writes it) read as JSON's Infinity; the structure is checked before OTIO's C++ sees it.
    document = parse_document(_BARE_INF.sub(r"\1Infinity", text), source)
    _walk(document, known_schemas(), source)
    try:
        timeline = otio.core.deserialize_json_from_string(text)
    except Exception as exc:  # OTIO raises several exception types for bad documents
        raise ProjectError(f"{source}: cannot be read as a timeline ({exc}).") from exc
    if not isinstance(timeline, otio.schema.Timeline):
        raise ProjectError(f"{source}: holds a {type(timeline).__name__}, not a timeline.")
    kinora = timeline.metadata.get(KINORA_KEY) or {}
    if int(kinora.get("schema", TIMELINE_SCHEMA)) > TIMELINE_SCHEMA:
        raise ProjectError(f"{source}: was written by a newer Kinora (timeline schema {kinora.get('schema')}); "
                           "update Kinora to open it.")
    return timeline
