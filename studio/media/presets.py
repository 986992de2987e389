"""Export formats: output size, fit or fill, and encoder settings."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from studio.errors import MediaError
from studio.media.framing import PROJECT_FIT

FITS = ("fit", "fill", "blur")


@dataclass(frozen=True)
class ExportPreset:
    """An export format. width/height None means the size of the first video on the timeline.

    fit: "fit" letterboxes the picture inside the frame; "fill" scales it to cover and crops; "blur"
    fits it whole over a blurred, dimmed fill of itself (nothing cropped, no black bars).
    fps None keeps the timeline's rate. crf/x264_preset are libx264's quality and speed settings.
    """

    name: str
    width: int | None
    height: int | None
    fit: str = PROJECT_FIT
    fps: Fraction | None = None
    crf: int = 20
    x264_preset: str = "medium"

    def __post_init__(self) -> None:
        if self.fit not in FITS:
            raise MediaError(f"export fit must be one of {', '.join(FITS)}, not {self.fit!r}")

    def with_fit(self, fit: str) -> ExportPreset:
        return dataclasses.replace(self, fit=fit)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["fps"] = None if self.fps is None else str(self.fps)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ExportPreset:
        d = dict(d)
        if d.get("fps") is not None:
            d["fps"] = Fraction(d["fps"])
        return cls(**d)


PRESETS: dict[str, ExportPreset] = {
    # Every preset places a clip without its own reframe as the Program monitor does (the project's
    # framing: whole over a blurred fill), so an export at the project's canvas is what was previewed
    # and a 16:9 title is not cropped in 9:16. A fit chosen at export (--fit, the dialog) is the
    # export's own choice; the Program monitor keeps showing the project's framing.
    "9:16": ExportPreset("9:16", 1080, 1920, PROJECT_FIT),
    "16:9": ExportPreset("16:9", 1920, 1080, PROJECT_FIT),
    "1:1": ExportPreset("1:1", 1080, 1080, PROJECT_FIT),
    "720p": ExportPreset("720p", 1280, 720, PROJECT_FIT),
    "source": ExportPreset("source", None, None, PROJECT_FIT),
}


def get_preset(name: str, fit: str | None = None) -> ExportPreset:
    """The preset called name (optionally with fit overridden); MediaError lists the names."""
    try:
        preset = PRESETS[name]
    except KeyError:
        raise MediaError(f"unknown export preset {name!r}; choose one of {', '.join(PRESETS)}") from None
    return preset.with_fit(fit) if fit else preset
