"""The shape of an OTIO document from elsewhere, checked before OpenTimelineIO's C++ core sees it.

OTIO checks the types of what it reads, but not everything: a Timeline whose `tracks` is null
deserializes, then crashes the interpreter (a segmentation fault in `find_clips`). Python's own
JSON reader raises RecursionError on nesting past ~990 levels, and Kinora's `metadata["kinora"]`
is read as dicts of known types. So every project file, bundle content and stored timeline goes
through `check_document` first: nesting depth, the object fields OTIO dereferences, times and rates
within studio.media.limits, and Kinora's own metadata. The first problem becomes a ProjectError
naming the file and where in it.
"""

from __future__ import annotations

import json
import math
from typing import Any

from studio.errors import ProjectError
from studio.media.limits import MAX_FRAME_RATE, MAX_NESTING, MAX_TIMELINE_SECONDS, positive_finite

# Fields OTIO holds as pointers to one object of a given schema; None is allowed where OTIO allows it.
_OBJECT_FIELDS: dict[str, tuple[str, bool]] = {  # field -> (schema name, may be null)
    "tracks": ("Stack", False),
    "global_start_time": ("RationalTime", True),
    "source_range": ("TimeRange", True),
    "available_range": ("TimeRange", True),
    "marked_range": ("TimeRange", False),
    "start_time": ("RationalTime", False),
    "duration": ("RationalTime", False),
    "in_offset": ("RationalTime", False),
    "out_offset": ("RationalTime", False),
}
_LIST_FIELDS = ("children", "effects", "markers")  # lists of schema objects

# Types of the keys Kinora reads from metadata["kinora"] (anything else is kept, unread).
_KINORA_TYPES: dict[str, tuple[type, ...]] = {
    "schema": (int,), "rate": (int, float), "take_id": (int, type(None)), "media_sha256": (str, type(None)),
    "recipe": (dict, type(None)), "role": (str,), "link_id": (str,), "takes": (list,),
    "lock": (bool,), "mute": (bool,), "solo": (bool,),
}


def parse_document(text: str, source: str) -> Any:
    """json.loads with nesting and number checks turned into ProjectError naming `source`."""
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except RecursionError as exc:
        raise ProjectError(f"{source}: nests deeper than Kinora reads (more than {MAX_NESTING} levels); "
                           "it is not a timeline.") from exc
    except ValueError as exc:
        raise ProjectError(f"{source}: is not valid OTIO JSON ({exc}).") from exc
    check_document(document, source)
    return document


def _no_constant(name: str) -> float:
    # OTIO writes an infinite bound as Inf (read here as JSON's Infinity) and reads NaN (its own sample
    # big_int.otio keeps one in metadata). Both are kept as they are; times, rates, speeds and the clip
    # properties Kinora reads are checked to be finite where they are used.
    if name in ("Infinity", "-Infinity", "NaN"):
        return float(name)
    raise ValueError(f"the number {name} is not allowed")


def check_document(document: Any, source: str) -> None:
    """Raise ProjectError for the first structural problem in a parsed OTIO document."""
    if not isinstance(document, dict) or not isinstance(document.get("OTIO_SCHEMA"), str):
        raise ProjectError(f"{source}: is not an OTIO document (no OTIO_SCHEMA at its top).")
    pending: list[tuple[Any, int, str]] = [(document, 1, "")]
    while pending:  # iterative: nesting must never reach Python's recursion limit
        node, depth, where = pending.pop()
        if depth > MAX_NESTING:
            raise ProjectError(f"{source}: nests deeper than {MAX_NESTING} levels (at {where or 'the top'}); "
                               "it is not a timeline Kinora opens.")
        if isinstance(node, dict):
            if isinstance(node.get("OTIO_SCHEMA"), str):
                _check_object(node, source, where)
            pending.extend((value, depth + 1, f"{where}/{key}") for key, value in node.items())
            pending.extend((key, depth + 1, where) for key in node)
        elif isinstance(node, list):
            pending.extend((value, depth + 1, f"{where}/{i}") for i, value in enumerate(node))
        elif isinstance(node, str) and "\x00" in node:  # names and paths with NULs cut short in C and on disk
            raise ProjectError(f"{source}: has a NUL character in a text value (at {where}); refusing it.")


def _schema_name(node: Any) -> str | None:
    if isinstance(node, dict) and isinstance(node.get("OTIO_SCHEMA"), str):
        return node["OTIO_SCHEMA"].rpartition(".")[0]
    return None


def _check_object(node: dict[str, Any], source: str, where: str) -> None:
    name = _schema_name(node)
    here = f"{name} at {where or 'the top'}"
    for key, (schema, nullable) in _OBJECT_FIELDS.items():
        if key not in node:
            continue
        value = node[key]
        if value is None and nullable:
            continue
        if _schema_name(value) != schema:
            raise ProjectError(f"{source}: the {here} has '{key}' = {_short(value)}, where a {schema} belongs.")
    for key in _LIST_FIELDS:
        if key in node:
            value = node[key]
            if not isinstance(value, list) or any(_schema_name(item) is None for item in value):
                raise ProjectError(f"{source}: the {here} has '{key}' that is not a list of OTIO objects.")
    if "metadata" in node and not isinstance(node["metadata"], dict):
        raise ProjectError(f"{source}: the {here} has metadata of the wrong type ({_short(node['metadata'])}).")
    if "name" in node and not isinstance(node["name"], (str, type(None))):
        raise ProjectError(f"{source}: the {here} has a name that is not text ({_short(node['name'])}).")
    refs = node.get("media_references")
    if refs is not None and (not isinstance(refs, dict) or any(_schema_name(r) is None for r in refs.values())):
        raise ProjectError(f"{source}: the {here} has media references that are not OTIO objects.")
    if name == "RationalTime":
        _check_time(node, source, here)
    kinora = (node.get("metadata") or {}).get("kinora")
    if kinora is not None:
        _check_kinora(kinora, source, here)


def _check_time(node: dict[str, Any], source: str, here: str) -> None:
    rate, value = node.get("rate"), node.get("value")
    if not positive_finite(rate, MAX_FRAME_RATE) or not isinstance(rate, (int, float)):
        raise ProjectError(f"{source}: the {here} has a frame rate of {_short(rate)}; a rate must be a number "
                           f"above 0 and at most {MAX_FRAME_RATE:g}.")
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) \
            or abs(value / rate) > MAX_TIMELINE_SECONDS:
        raise ProjectError(f"{source}: the {here} has a time of {_short(value)} frames; times must be within "
                           f"{MAX_TIMELINE_SECONDS / 3600:g} hours.")


def _check_kinora(data: Any, source: str, here: str) -> None:
    if not isinstance(data, dict):
        raise ProjectError(f"{source}: the {here} has Kinora metadata of the wrong type ({_short(data)}); "
                           "the file was damaged or not written by Kinora.")
    for key, types in _KINORA_TYPES.items():
        if key not in data:
            continue
        value = data[key]
        wrong = not isinstance(value, types) or (isinstance(value, bool) and bool not in types)
        if key == "rate" and not wrong:
            wrong = not positive_finite(value, MAX_FRAME_RATE)
        if key == "schema" and not wrong:
            wrong = value < 0
        if wrong:
            raise ProjectError(f"{source}: the {here} has Kinora metadata '{key}' = {_short(value)}, which is "
                               "not a value Kinora writes; the file was damaged or not written by Kinora.")


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
