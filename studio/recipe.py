"""The recipe of a take: every parameter that made it, so anyone can make it again or remix it.

A `Recipe` is the generation request as recorded in the library, in an export's Content
Credentials and in a timeline clip's metadata. It is validated on creation, so an invalid
request fails before any model is loaded.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from studio.errors import RecipeError

SCHEMA_VERSION = 1
MAX_SECONDS = 20.0
MIN_SECONDS = 0.5



class Mode(StrEnum):
    """How a take is generated. The values are what recipes, library rows and the CLI say."""

    TEXT = "text"
    IMAGE = "image"
    EXTEND = "extend"
    VIDEO = "video"
    RETAKE = "retake"
    KEYFRAMES = "keyframes"
    REFERENCE = "reference"  # `image` shows who appears (a subject reference, e.g. a cameo), not the first frame


MODES: tuple[Mode, ...] = tuple(Mode)
# Modes that need a parent clip (a take or a file) to work from.
REMIX_MODES: tuple[Mode, ...] = (Mode.EXTEND, Mode.VIDEO, Mode.RETAKE)


class RemixKind(StrEnum):
    """How a take was remixed from its parent: the library's `takes.remix_kind` and the Remix menu's choices.

    Three kinds are also recipe modes (extend, video, retake); the runner records such a recipe's mode
    as its remix kind when the caller names none.
    """

    NEW_SEED = "new_seed"
    EDIT_PROMPT = "edit_prompt"
    RESTYLE = "restyle"
    EXTEND = "extend"
    VIDEO = "video"
    RETAKE = "retake"

ASPECTS: dict[str, tuple[int, int]] = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:3": (4, 3), "3:4": (3, 4)}


def size_for_aspect(aspect: str, resolution: int = 512, multiple: int = 32) -> tuple[int, int]:
    """Width and height for an aspect such as '9:16' whose short side is `resolution`.

    Both are rounded to `multiple`, which video models need (LTX-2 wants multiples of 32).
    """
    if aspect not in ASPECTS:
        raise RecipeError(f"Unknown aspect '{aspect}'. Choose one of: {', '.join(ASPECTS)}.")
    aw, ah = ASPECTS[aspect]
    short = max(multiple, round(resolution / multiple) * multiple)
    if aw >= ah:
        return round(short * aw / ah / multiple) * multiple, short
    return short, round(short * ah / aw / multiple) * multiple


@dataclass(frozen=True)
class Recipe:
    """What to generate. Times are in seconds; sizes in pixels."""

    prompt: str
    negative_prompt: str = ""
    model_id: str = "ltx-2"
    seconds: float = 4.0
    fps: float = 24.0
    width: int = 768
    height: int = 512
    seed: int | None = None  # None: the engine picks one and records it
    steps: int | None = None  # None: the model's default
    guidance: float | None = None  # None: the model's default
    style: str | None = None
    mode: Mode = Mode.TEXT  # a plain string with a Mode's value is accepted and stored as the Mode
    image: str | None = None  # conditioning image file, for modes "image" and "reference"
    source_take_id: int | None = None  # parent take in this library
    source_path: str | None = None  # parent file (e.g. an imported MP4 with a recipe)
    strength: float = 0.6  # how far video-to-video moves away from the parent
    range_from: float | None = None  # retake: start of the regenerated range
    range_to: float | None = None  # retake: end of the regenerated range
    keyframes: tuple[str, ...] = field(default=())  # image files spread evenly over the clip
    audio: bool = True
    # The model picks the length itself (LTX-2.5's duration head), at most `seconds`; only for new clips.
    auto_seconds: bool = False
    # Rewrite the prompt with the model's prompt enhancer before generating (opt-in; only models that ship one).
    enhance_prompt: bool = False

    def __post_init__(self) -> None:
        self._validate()

    def _validate(self) -> None:
        if self.mode not in MODES:
            raise RecipeError(f"Unknown mode '{self.mode}'. Choose one of: {', '.join(MODES)}.")
        object.__setattr__(self, "mode", Mode(self.mode))  # frozen: one coercion, at creation
        if not self.prompt.strip() and self.mode in ("text", "image", "keyframes", "reference"):
            raise RecipeError("The prompt is empty. Describe the clip you want.")
        if not (MIN_SECONDS <= self.seconds <= MAX_SECONDS) or math.isnan(self.seconds):
            raise RecipeError(f"Duration must be between {MIN_SECONDS} and {MAX_SECONDS:g} seconds, not {self.seconds:g}.")
        if not (1 <= self.fps <= 120):
            raise RecipeError(f"Frame rate must be between 1 and 120 fps, not {self.fps:g}.")
        if self.width < 16 or self.height < 16 or self.width > 4096 or self.height > 4096:
            raise RecipeError(f"Size {self.width}x{self.height} is out of range (16 to 4096 pixels a side).")
        if self.seed is not None and not (0 <= self.seed < 2**63):
            raise RecipeError(f"Seed must be a whole number from 0 to 2^63-1, not {self.seed}.")
        if self.steps is not None and not (1 <= self.steps <= 500):
            raise RecipeError(f"Steps must be between 1 and 500, not {self.steps}.")
        if self.guidance is not None and not (0 <= self.guidance <= 50):
            raise RecipeError(f"Guidance must be between 0 and 50, not {self.guidance:g}.")
        if not (0 < self.strength <= 1):
            raise RecipeError(f"Strength must be above 0 and at most 1, not {self.strength:g}.")
        if self.mode == "image" and not self.image:
            raise RecipeError("Image-to-video needs an image: pass --image FILE or drop one on the prompt panel.")
        if self.mode == "reference" and not self.image:
            raise RecipeError("A subject reference needs a picture of the subject (a cameo's reference still).")
        if self.mode == "keyframes" and len(self.keyframes) < 2:
            raise RecipeError("Keyframes mode needs at least two keyframe images.")
        if self.mode in REMIX_MODES and self.source_take_id is None and not self.source_path:
            raise RecipeError(f"Mode '{self.mode}' remixes a clip: name a take or a file to remix.")
        if self.auto_seconds and self.mode in REMIX_MODES:
            raise RecipeError(f"An automatic length is for new clips; mode '{self.mode}' needs the length in seconds.")
        if self.mode == "retake":
            if self.range_from is None or self.range_to is None or not (0 <= self.range_from < self.range_to):
                raise RecipeError("Retake needs a range: --from T --to T with T_from < T_to.")

    @property
    def frame_count(self) -> int:
        """Frames the clip will have: seconds * fps, rounded."""
        return max(1, round(self.seconds * self.fps))

    def describe(self) -> str:
        """One line: the prompt and the parameters that make the take again (the CLI, the credentials panel)."""
        parts = [f'"{self.prompt}"', f"model {self.model_id}", f"mode {self.mode}",
                 f"seed {self.seed if self.seed is not None else 'random'}",
                 f"{self.width}x{self.height}", f"{self.fps:g} fps",
                 f"auto length (at most {self.seconds:g} s)" if self.auto_seconds else f"{self.seconds:g} s"]
        if self.steps is not None:
            parts.append(f"{self.steps} steps")
        if self.guidance is not None:
            parts.append(f"guidance {self.guidance:g}")
        if self.style:
            parts.append(f"style {self.style}")
        if self.enhance_prompt:
            parts.append("prompt enhanced by the model")
        if self.negative_prompt:
            parts.append(f'negative "{self.negative_prompt}"')
        return ", ".join(parts)

    def replace(self, **changes: Any) -> Recipe:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["keyframes"] = list(self.keyframes)
        data["schema"] = SCHEMA_VERSION
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recipe:
        """Build from `to_dict` output. Unknown keys (from a newer Kinora) are ignored."""
        schema = int(data.get("schema", SCHEMA_VERSION))
        if schema > SCHEMA_VERSION:
            raise RecipeError(f"This recipe was written by a newer Kinora (schema {schema}); update Kinora to read it.")
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "keyframes" in values:
            values["keyframes"] = tuple(values["keyframes"] or ())
        if "prompt" not in values:
            raise RecipeError("The recipe has no prompt field.")
        return cls(**values)
