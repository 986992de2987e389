"""Remix modes: how a take's recipe becomes the starting point of a new take."""

from __future__ import annotations

from dataclasses import dataclass

from studio.recipe import Mode, RemixKind


@dataclass(frozen=True)
class RemixMode:
    """One way to remix a take; `kind` is recorded as the new take's remix_kind."""

    kind: RemixKind
    label: str
    recipe_mode: Mode | None  # None: keep the parent's own mode (text or image)
    keeps_seed: bool
    hint: str


# The Remix menu's choices, in menu order (one per RemixKind).
REMIXES: tuple[RemixMode, ...] = (
    RemixMode(RemixKind.NEW_SEED, "New seed", None, False,
              "Same recipe, a new random seed: another take of the same idea."),
    RemixMode(RemixKind.EDIT_PROMPT, "Edit prompt", None, True,
              "Same seed, so the change comes from your edit of the prompt."),
    RemixMode(RemixKind.RESTYLE, "Restyle", Mode.VIDEO, True,
              "Keeps the motion of the take and repaints it in another style."),
    RemixMode(RemixKind.EXTEND, "Extend", Mode.EXTEND, False, "Continues the take from its last frames."),
    RemixMode(RemixKind.VIDEO, "Video-to-video", Mode.VIDEO, True,
              "Uses the take as the starting point; strength sets how far to move."),
    RemixMode(RemixKind.RETAKE, "Retake a range", Mode.RETAKE, True, "Regenerates only the time range you choose."),
)


def remix_mode(kind: str) -> RemixMode:
    for mode in REMIXES:
        if mode.kind == kind:
            return mode
    raise KeyError(kind)
