"""Words and numbers as the CLI and the UI both show them (below both, so neither imports the other)."""

from __future__ import annotations


def format_duration(seconds: float | None) -> str:
    """`mm:ss`, or `h:mm:ss` from an hour on; `--:--` for an unknown (None, NaN or negative) time."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "--:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
