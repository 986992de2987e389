"""What the API's words mean in Kinora: models (sora-2 -> an installed model), sizes and seconds."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from studio.engine.registry import DEFAULT_REGISTRY, ModelSpec, Registry, is_installed
from studio.errors import EngineError
from studio.recipe import size_for_aspect

from .errors import ApiError
from .wire import VIDEO_SIZES

# Best first. Speed: the smaller model; quality: the larger one.
SPEED_ORDER: tuple[str, ...] = ("wan-2.2-ti2v-5b", "ltx-2")
QUALITY_ORDER: tuple[str, ...] = ("ltx-2", "wan-2.2-ti2v-5b")
ALIASES = {"sora-2": "speed", "sora-2-2025-10-06": "speed", "sora-2-2025-12-08": "speed",
           "sora-2-pro": "quality", "sora-2-pro-2025-10-06": "quality"}
DEFAULT_MODEL = "sora-2"
DEFAULT_SECONDS = "4"
DEFAULT_SIZE = "720x1280"  # the SDK's default
MAX_API_SECONDS = 20
_WXH = re.compile(r"^(\d{1,5})x(\d{1,5})$")


@dataclass
class ModelMap:
    """How `sora-2` and `sora-2-pro` resolve. Explicit entries win; else the best installed model.

    `fallback`: a model used when nothing is installed (tests and demos name "tiny-random"); None
    means such a request fails with a message naming `kinora models pull`.
    """

    explicit: dict[str, str] = field(default_factory=dict)  # "sora-2" / "sora-2-pro" -> Kinora model id
    fallback: str | None = None
    registry: Registry = DEFAULT_REGISTRY

    def resolve(self, requested: str | None) -> ModelSpec:
        """The Kinora model for the API's `model` (400 naming `model` when it cannot be used)."""
        name = requested or DEFAULT_MODEL
        kind = ALIASES.get(name)
        if kind is None:
            try:
                return self.registry.get_model(name)  # a Kinora id works directly
            except EngineError as exc:
                raise ApiError(400, f"{exc} The API also accepts sora-2 and sora-2-pro.", param="model",
                               code="invalid_model") from None
        alias = "sora-2-pro" if kind == "quality" else "sora-2"
        if alias in self.explicit:
            return self.registry.get_model(self.explicit[alias])
        for model_id in QUALITY_ORDER if kind == "quality" else SPEED_ORDER:
            spec = self.registry.get_model(model_id)
            if is_installed(spec):
                return spec
        if self.fallback:
            return self.registry.get_model(self.fallback)
        raise ApiError(400, f"No model for '{name}' is installed. Fetch one with `kinora models pull ltx-2`, "
                            "or start the server with --map sora-2=MODEL.", param="model", code="model_not_installed")


def parse_seconds(value: str | int | None) -> int:
    """The API's `seconds`: whole seconds 1-20 as a string ("4", "8", "12", "16", "20", ...)."""
    text = str(value if value is not None else DEFAULT_SECONDS).strip()
    if not text.isdigit() or not (1 <= int(text) <= MAX_API_SECONDS):
        raise ApiError(400, f"seconds must be a whole number from 1 to {MAX_API_SECONDS} as a string "
                            f"(e.g. \"4\", \"8\", \"12\"), not {text!r}.", param="seconds", code="invalid_seconds")
    return int(text)


def frame_size(value: str | None, spec: ModelSpec) -> tuple[int, int]:
    """The real frame size for the API's `size`.

    One of the SDK's sizes is taken as an aspect and rendered at the model's own resolution (its
    native short side, at most the asked one); any other WxH (a Kinora extension) is used as given.
    """
    text = (value or DEFAULT_SIZE).strip().lower()
    match = _WXH.match(text)
    if match is None:
        raise ApiError(400, f"size must look like 1280x720 (one of {', '.join(VIDEO_SIZES)}, or any WxH), "
                            f"not {value!r}.", param="size", code="invalid_size")
    width, height = int(match.group(1)), int(match.group(2))
    if text in VIDEO_SIZES:
        # Multiples of 32 suit every backend (the LTX-2 pipelines require them, whatever a spec says).
        multiple = max(32, spec.size_multiple)
        short = max(multiple, min(min(spec.native_width, spec.native_height), min(width, height)))
        aspect = "16:9" if width > height else "9:16"
        return size_for_aspect(aspect, short, multiple)
    if not (16 <= width <= 4096 and 16 <= height <= 4096):
        raise ApiError(400, f"size {text} is out of range (16 to 4096 pixels a side).", param="size",
                       code="invalid_size")
    return width, height


def nearest_sdk_size(width: int, height: int) -> str:
    """The SDK size closest in shape (then in area) to a real frame size."""
    def distance(size: str) -> tuple[float, float]:
        w, h = (int(v) for v in size.split("x"))
        return abs(w / h - width / height), abs(w * h - width * height)

    return min(VIDEO_SIZES, key=distance)
