"""What the Inspector shows of a timeline clip: the editor builds it from the selection."""

from __future__ import annotations

from dataclasses import dataclass

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
