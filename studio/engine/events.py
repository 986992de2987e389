"""What the runner tells its listener (the CLI progress bar, the UI bridge) while a job runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only in an annotation: importing the events (the studio's queue panel) loads no numpy
    import numpy as np


class Phase(StrEnum):
    """Where a job is. The values are the wire form (events crossing the engine process, `--json`)."""

    QUEUED = "queued"
    LOADING = "loading"
    ENCODING = "encoding"
    DENOISING = "denoising"
    DECODING = "decoding"
    WRITING = "writing"
    DONE = "done"
    FAILED = "failed"
    CANCELED = "canceled"
    PAUSED = "paused"


PHASES: tuple[Phase, ...] = tuple(Phase)
# Phases after which the job is over: it will not run again.
ENDED_PHASES = frozenset({Phase.DONE, Phase.FAILED, Phase.CANCELED})
# Phases after which no more events come for the job: it is over, or parked until someone resumes it.
FINAL_PHASES = ENDED_PHASES | {Phase.PAUSED}
# Phases of a job that is not over but not on the GPU either (its clock is not running).
WAITING_PHASES = frozenset({Phase.QUEUED, Phase.PAUSED})
# What resuming a paused job does is said per job wherever a paused job is shown (the Queue dock, `kinora show`,
# the paused event's message): "Resume continues from step k of N" when its backend kept a resume point
# (studio.engine.resume), else this sentence with the reason (the mode or model keeps no point, or the pause
# came outside the denoising steps).
RESUME_RESTARTS = "Resume restarts it from the first step"


def resume_sentence(note: str) -> str:
    """What Resume does for a paused job, from its row's `resume_note` (empty: paused before it ran, so it starts
    from its first step)."""
    return f"{note or RESUME_RESTARTS}."


@dataclass
class EngineEvent:
    """One progress report for a take. `step`/`total` count denoising steps (0/0 outside denoising)."""

    take_id: int
    job_id: int | None
    phase: str  # a Phase; a plain string with a Phase's value is stored as the Phase
    step: int = 0
    total: int = 0
    elapsed_s: float = 0.0
    eta_s: float | None = None
    preview_rgb: np.ndarray | None = None  # (H, W, 3) uint8, a rough look at the clip forming
    message: str = ""
    origin: str = ""  # who queued the job: "api" for `kinora serve` (the Queue dock marks it)

    def __post_init__(self) -> None:
        self.phase = Phase(self.phase)  # ValueError for a phase that is not one

    @property
    def fraction(self) -> float:
        """Progress through the whole job, 0..1, for a single bar."""
        if self.phase in ("done",):
            return 1.0
        if self.phase == "denoising" and self.total:
            return 0.05 + 0.85 * self.step / self.total
        return {"queued": 0.0, "loading": 0.01, "encoding": 0.04, "decoding": 0.9, "writing": 0.96}.get(self.phase, 0.0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (the preview is left out: it is a transient image)."""
        return {
            "take_id": self.take_id, "job_id": self.job_id, "phase": self.phase, "step": self.step,
            "total": self.total, "elapsed_s": self.elapsed_s, "eta_s": self.eta_s, "message": self.message,
            "origin": self.origin,
        }


# Who hears an engine's events: the CLI progress bar, the UI bridge, the engine process's pipe.
EventCallback = Callable[[EngineEvent], None]
