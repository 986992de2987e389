"""What the Inspector shows of a timeline clip (the editor builds it from the selection), and what its
Apply asks the editor to change."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from studio.media.framing import Framing
from studio.project.clip_props import SoundProps


@dataclass(frozen=True)
class ClipFacts:
    """What the Inspector shows of a timeline clip (the editor builds it from the selection)."""

    name: str
    track: str
    start: float
    end: float
    source_in: float
    source_out: float
    rate: float
    sound: SoundProps
    offline: str | None = None
    text: str = ""
    text_position: str = "bottom"
    media: tuple[float, float] | None = None  # the media's own span (seconds), where known
    framing: Framing | None = None  # its own reframe; None: the project's framing
    speed: float = 1.0  # media seconds per track second (LinearTimeWarp); 0: a held frame


@dataclass(frozen=True)
class ClipEdit:
    """One Apply of the Inspector: metadata["kinora"] changes (None removes a key) and, where the creator
    changed them, the clip's new start, source in and out (seconds) and speed (it keeps its media in and
    out, so it lasts (out - in) / speed); `overwrite` lets it cover clips."""

    changes: dict[str, Any] = field(default_factory=dict)
    placement: tuple[float, float, float] | None = None
    overwrite: bool = False
    speed: float | None = None
