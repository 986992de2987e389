"""A clip's own place in the output frame: the numbers only, readable without numpy or PyAV (the timeline
editor reads them at start-up; studio.media.compose places the picture, studio.project.framing stores them)."""

from __future__ import annotations

from dataclasses import dataclass

FILLS = ("blur", "black")  # what shows around a reframed picture where nothing is beneath it

# The project's framing: how a clip without its own reframe sits in a frame of another shape, in the
# Program monitor and in an export at the project's canvas (every preset's default fit, too): whole,
# centred, over a blurred and dimmed fill of itself (nothing cropped, no black bars). One definition,
# read by the Preview (studio.playback.timeline_source) and the export presets (studio.media.presets).
PROJECT_FIT = "blur"


@dataclass(frozen=True)
class Framing:
    """A clip's own place in the output frame (the "custom" reframe), instead of the project's framing.

    `scale` 1 fits the whole picture inside the frame (letterbox); 2 is twice that (cropped by the
    frame's edges). `x`, `y` move the picture's centre from the frame's centre by that fraction of
    the frame's width and height (0.25: a quarter of the width to the right; y grows downwards).
    Where the picture leaves the frame uncovered, the pictures of the tracks beneath show (picture in
    picture); where there are none, `fill`: "blur" (a blurred, dimmed fill of the picture itself) or
    "black".
    """

    scale: float = 1.0
    x: float = 0.0
    y: float = 0.0
    fill: str = "blur"


# PROJECT_FIT as a clip's framing (scale 1, centred: the fit's own geometry), for the Preview's compositor.
PROJECT_FRAMING = Framing(fill=PROJECT_FIT)
