"""What the runner tells its listener (the CLI progress bar, the UI bridge) while a job runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

PHASES: tuple[str, ...] = (
    "queued", "loading", "encoding", "denoising", "decoding", "writing", "done", "failed", "canceled", "paused",
)
# Phases after which the job is over (or parked) and no more events come for it.
FINAL_PHASES = frozenset({"done", "failed", "canceled", "paused"})


@dataclass
class EngineEvent:
    """One progress report for a take. `step`/`total` count denoising steps (0/0 outside denoising)."""

    take_id: int
    job_id: int | None
    phase: str
    step: int = 0
    total: int = 0
    elapsed_s: float = 0.0
    eta_s: float | None = None
    preview_rgb: np.ndarray | None = None  # (H, W, 3) uint8, a rough look at the clip forming
    message: str = ""
    origin: str = ""  # who queued the job: "api" for `kinora serve` (the Queue dock marks it)

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

