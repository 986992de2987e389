"""Remix modes: how a take's recipe becomes the starting point of a new take."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RemixMode:
    """One way to remix a take; `kind` is recorded as the new take's remix_kind."""

    kind: str
    label: str
    recipe_mode: str | None  # None: keep the parent's own mode (text or image)
    keeps_seed: bool
    hint: str


REMIX_MODES: tuple[RemixMode, ...] = (
    RemixMode("new_seed", "New seed", None, False, "Same recipe, a new random seed: another take of the same idea."),
    RemixMode("edit_prompt", "Edit prompt", None, True, "Same seed, so the change comes from your edit of the prompt."),
    RemixMode("restyle", "Restyle", "video", True, "Keeps the motion of the take and repaints it in another style."),
    RemixMode("extend", "Extend", "extend", False, "Continues the take from its last frames."),
    RemixMode("video", "Video-to-video", "video", True,
              "Uses the take as the starting point; strength sets how far to move."),
    RemixMode("retake", "Retake a range", "retake", True, "Regenerates only the time range you choose."),
)


def remix_mode(kind: str) -> RemixMode:
    for mode in REMIX_MODES:
        if mode.kind == kind:
            return mode
    raise KeyError(kind)
