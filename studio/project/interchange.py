"""Timelines from other editors through OpenTimelineIO's adapter registry: CMX 3600 EDLs at their real
frame rate, Final Cut Pro 7 XML (`fcp_xml`) and FCPXML (`fcpx_xml`), in and out.

An EDL does not say its rate. The highest frame number in its timecodes rules some rates out (a
frame 24 cannot be 24 fps); past that the caller says (`--rate`), else 24 is assumed.
"""

from __future__ import annotations

import re
from pathlib import Path

import opentimelineio as otio

from studio.errors import ProjectError

# Suffix -> OTIO adapter name, for the formats read and written through the registry.
ADAPTERS = {".edl": "cmx_3600", ".xml": "fcp_xml", ".fcpxml": "fcpx_xml"}
EDL_RATES = (24.0, 25.0, 30.0, 50.0, 60.0)
MAX_BYTES = 64 * 1024 * 1024
_TIMECODE = re.compile(rb"\b\d{2}:\d{2}:\d{2}([:;.])(\d{2,3})\b")


def detect_edl_rate(data: bytes) -> float:
    """The lowest common rate the EDL's timecodes allow (drop-frame ';' means 29.97)."""
    frames = [(sep, int(ff)) for sep, ff in _TIMECODE.findall(data)]
    if any(sep == b";" for sep, _ in frames):
        return 30000 / 1001
    highest = max((ff for _, ff in frames), default=0)
    for rate in EDL_RATES:
        if highest < rate:
            return rate
    raise ProjectError(f"The EDL has frame number {highest} in a timecode; no frame rate Kinora knows allows it. "
                       "Give the rate with --rate.")


def read_timeline(path: Path, rate: float | None = None) -> otio.schema.Timeline:
    """Read an EDL, FCP 7 XML or FCPXML file with OTIO's adapter; ProjectError with one line when it cannot."""
    adapter = ADAPTERS.get(path.suffix.lower())
    if adapter is None:
        raise ProjectError(f"{path.name}: is not an EDL or Final Cut XML file.")
    if path.stat().st_size > MAX_BYTES:
        raise ProjectError(f"{path.name}: is too large to be a timeline ({path.stat().st_size} bytes).")
    options = {}
    if adapter == "cmx_3600":
        options["rate"] = rate or detect_edl_rate(path.read_bytes())
    try:
        result = otio.adapters.read_from_file(str(path), adapter, **options)
    except Exception as exc:  # the adapters raise their own exception types
        raise ProjectError(f"{path.name}: cannot be read as {_FORMAT[adapter]} ({_first_line(exc)}).") from exc
    timeline = _first_timeline(result)
    if timeline is None:
        raise ProjectError(f"{path.name}: holds no timeline (an FCPXML event or library without a project?).")
    if timeline.global_start_time is None and adapter == "cmx_3600":
        timeline.global_start_time = otio.opentime.RationalTime(0, options["rate"])
    return timeline


def write_timeline(timeline: otio.schema.Timeline, path: Path) -> str:
    """The timeline as EDL, FCP 7 XML or FCPXML text, by `path`'s suffix."""
    adapter = ADAPTERS.get(path.suffix.lower())
    if adapter is None:
        raise ProjectError(f"{path.name}: choose a .edl, .xml or .fcpxml file name.")
    try:
        return otio.adapters.write_to_string(timeline, adapter)
    except Exception as exc:  # the adapters raise their own exception types
        raise ProjectError(f"The timeline cannot be written as {_FORMAT[adapter]}: {_first_line(exc)}") from exc


_FORMAT = {"cmx_3600": "a CMX 3600 EDL", "fcp_xml": "Final Cut Pro 7 XML", "fcpx_xml": "FCPXML"}


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _first_timeline(result: object) -> otio.schema.Timeline | None:
    if isinstance(result, otio.schema.Timeline):
        return result
    if isinstance(result, otio.schema.SerializableCollection):
        return next(iter(result.find_children(descended_from_type=otio.schema.Timeline)), None)
    return None
