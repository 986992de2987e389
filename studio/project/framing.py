"""A clip's own reframe (position and scale in the output frame), kept in its `metadata["kinora"]`
beside its other properties and read by the schedule, so the Preview and export place it the same.

Key: "reframe": {"mode": "custom", "scale": 1.0, "x": 0.0, "y": 0.0, "fill": "blur"} (see
`studio.media.framing.Framing` for what the numbers mean). Without it (or with mode "fit") the clip
follows the project's framing (`studio.media.framing.PROJECT_FIT`: whole, over a blurred fill), in the
Preview and in export, unless the export chooses another fit. Values are checked here, once,
for every caller.
"""

from __future__ import annotations

from typing import Any

from studio.errors import ProjectError
from studio.media.framing import FILLS, Framing

MODES = ("fit", "custom")  # "fit": the project's framing (or the export's --fit)
MIN_SCALE, MAX_SCALE = 0.05, 10.0
MAX_OFFSET = 1.0  # a picture moved a whole frame away is out of sight


def make_framing(scale: float, x: float, y: float, fill: str = "blur") -> Framing:
    """A checked custom framing; ProjectError names the value out of range."""
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise ProjectError(f"Scale must be between {MIN_SCALE:g} and {MAX_SCALE:g}, not {scale:g}.")
    for name, value in (("X", x), ("Y", y)):
        if not -MAX_OFFSET <= value <= MAX_OFFSET:
            raise ProjectError(f"{name} offset must be between -{MAX_OFFSET:g} and {MAX_OFFSET:g} of the frame "
                               f"(0 is centred), not {value:g}.")
    if fill not in FILLS:
        raise ProjectError(f"The fill around a reframed clip is one of {', '.join(FILLS)}, not '{fill}'.")
    return Framing(float(scale), float(x), float(y), fill)


def clip_framing(data: dict[str, Any]) -> Framing | None:
    """The custom framing in a clip's metadata["kinora"] (as `kinora_data` gives it); None: the project's framing.

    A value another tool wrote out of range is refused with the clip's properties named (ProjectError).
    """
    reframe = data.get("reframe")
    if not isinstance(reframe, dict) or reframe.get("mode", "custom") != "custom":
        return None
    try:
        return make_framing(float(reframe.get("scale", 1.0)), float(reframe.get("x", 0.0)),
                            float(reframe.get("y", 0.0)), str(reframe.get("fill", "blur")))
    except (TypeError, ValueError):
        raise ProjectError(f"The clip's reframe settings {reframe!r} are not numbers; set them again in the "
                           "Inspector.") from None


def framing_metadata(framing: Framing | None) -> dict[str, Any]:
    """The metadata["kinora"] change that stores `framing` (None: back to the project's framing)."""
    if framing is None:
        return {"reframe": None}
    return {"reframe": {"mode": "custom", "scale": framing.scale, "x": framing.x, "y": framing.y,
                        "fill": framing.fill}}
