"""Export formats: output size, fit or fill, and encoder settings."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from studio.errors import MediaError

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
    fit: str = "fit"
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
    # Other shapes fit whole over a blurred fill by default: a 16:9 title is not cropped in 9:16.
    "9:16": ExportPreset("9:16", 1080, 1920, "blur"),
    "16:9": ExportPreset("16:9", 1920, 1080, "fit"),
    "1:1": ExportPreset("1:1", 1080, 1080, "blur"),
    "720p": ExportPreset("720p", 1280, 720, "fit"),
    "source": ExportPreset("source", None, None, "fit"),
}


def get_preset(name: str, fit: str | None = None) -> ExportPreset:
    """The preset called name (optionally with fit overridden); MediaError lists the names."""
    try:
        preset = PRESETS[name]
    except KeyError:
        raise MediaError(f"unknown export preset {name!r}; choose one of {', '.join(PRESETS)}") from None
    return preset.with_fit(fit) if fit else preset
