"""Resume points: where a paused denoising pass stopped, kept on disk so Resume continues from that step.

When a job is paused while a backend denoises, the backend's step callback keeps the pass's latents (video and
audio), the steps done and the pass's schedule as the scheduler ran it (a `ResumePoint` in the job's
`Checkpoint`). The runner writes that point to `cache/engine/resume-job-<id>.safetensors` (temporary name, then
renamed) so it survives an engine restart, and the job row says a point exists. On resume the runner reads the
file back, checks it belongs to this take (model, recipe, the file's own digest) and hands it to the backend,
which runs only the remaining steps. A file that does not match is dropped with the reason logged, and the job
restarts; the file is removed when the job ends.

The file is safetensors (tensors plus a string header), never a pickle: DESIGN.md's rule for anything loaded.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.atomic import write_bytes_atomic
from studio.recipe import Recipe
from studio.scratch import ENGINE_DIR

log = logging.getLogger(__name__)

FORMAT = "kinora-resume-1"
# In the library's cache/engine/ itself, where studio.scratch sweeps the temporary (.part) file of a killed writer.
RESUME_PREFIX = "resume-job-"
_TENSORS = ("latents", "audio_latents", "sigmas")


class ResumeMismatch(Exception):
    """A resume file that cannot be used for this job; the message is the reason (logged, shown)."""


@dataclass
class ResumePoint:
    """One denoising pass stopped after `step` of its `steps` steps.

    `latents` / `audio_latents` are CPU tensors in the form the pipeline held them in its loop (packed and
    normalised); `sigmas` is the pass's whole schedule as its scheduler ran it (shifted, without the final 0), so
    the steps left are `sigmas[step:]`. `stage` names the pass within the take (0: the first; 1: the refinement
    after the latent upsampler), `take_step` / `take_total` where it sits in the take's progress.
    """

    stage: int
    step: int
    steps: int
    sigmas: list[float]
    latents: Any
    audio_latents: Any
    take_step: int
    take_total: int
    seed: int = 0  # the seed the take ran with (a recipe without one got a random one at its first run)

    @property
    def remaining_sigmas(self) -> list[float]:
        return self.sigmas[self.step:]


@dataclass
class Checkpoint:
    """What the runner and a backend share for one job: the point to continue from, and the point kept at a pause.

    A backend's step callback sets `kept` when it stops for a pause; the runner reads it afterwards. None there
    means the pause came outside a pass that can be kept, and the job restarts.
    """

    resume_from: ResumePoint | None = None
    kept: ResumePoint | None = field(default=None, repr=False)

    def start_for(self, stage: int) -> ResumePoint | None:
        """The point to continue pass `stage` from, if the job paused in that pass."""
        point = self.resume_from
        return point if point is not None and point.stage == stage else None


def resume_path(cache_dir: str | Path, job_id: int) -> Path:
    """Where job `job_id`'s resume point lives."""
    return Path(cache_dir) / ENGINE_DIR / f"{RESUME_PREFIX}{job_id}.safetensors"


def recipe_hash(recipe: Recipe) -> str:
    """A digest of every parameter of the recipe as the take stores it (a changed recipe gets a new one)."""
    text = json.dumps(recipe.to_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _digest(tensors: dict[str, Any]) -> str:
    """sha256 over the tensors' names, shapes, dtypes and bytes: safetensors itself checks only the layout."""
    import torch

    sha = hashlib.sha256()
    for name in _TENSORS:
        tensor = tensors[name].contiguous()
        sha.update(f"{name}:{tuple(tensor.shape)}:{tensor.dtype}".encode())
        sha.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return sha.hexdigest()


def save(path: Path, point: ResumePoint, *, model_id: str, recipe: Recipe) -> None:
    """Write `point` to `path` through a temporary file (renamed when whole)."""
    import torch
    from safetensors.torch import save as save_tensors

    tensors = {"latents": point.latents.detach().to("cpu").contiguous(),
               "audio_latents": point.audio_latents.detach().to("cpu").contiguous(),
               "sigmas": torch.tensor(point.sigmas, dtype=torch.float32)}
    header = {
        "format": FORMAT, "model_id": model_id, "recipe_hash": recipe_hash(recipe), "seed": str(point.seed),
        "stage": str(point.stage), "step": str(point.step), "steps": str(point.steps),
        "take_step": str(point.take_step), "take_total": str(point.take_total),
        "latents_shape": json.dumps(list(tensors["latents"].shape)), "latents_dtype": str(tensors["latents"].dtype),
        "audio_shape": json.dumps(list(tensors["audio_latents"].shape)), "digest": _digest(tensors),
    }
    write_bytes_atomic(path, save_tensors(tensors, metadata=header))


def load(path: Path, *, model_id: str, recipe: Recipe) -> ResumePoint:
    """The point in `path`; ResumeMismatch naming why it cannot serve this job (other model or recipe, damaged)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            header = handle.metadata() or {}
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    except FileNotFoundError:
        raise ResumeMismatch("the resume file is gone") from None
    except Exception as exc:  # safetensors raises its own error types for a truncated or garbled file
        raise ResumeMismatch(f"the resume file is damaged ({exc})") from None
    if header.get("format") != FORMAT:
        raise ResumeMismatch(f"the resume file is of another format ({header.get('format')!r})")
    if header.get("model_id") != model_id:
        raise ResumeMismatch(f"it was made with model '{header.get('model_id')}', the take now uses '{model_id}'")
    if header.get("recipe_hash") != recipe_hash(recipe):
        raise ResumeMismatch("the take's recipe changed since it paused")
    if set(tensors) != set(_TENSORS) or header.get("digest") != _digest(tensors):
        raise ResumeMismatch("the resume file is damaged (its contents do not match its digest)")
    try:
        point = ResumePoint(
            stage=int(header["stage"]), step=int(header["step"]), steps=int(header["steps"]),
            sigmas=[float(s) for s in tensors["sigmas"].tolist()], latents=tensors["latents"],
            audio_latents=tensors["audio_latents"], take_step=int(header["take_step"]),
            take_total=int(header["take_total"]), seed=int(header["seed"]))
    except (KeyError, ValueError) as exc:
        raise ResumeMismatch(f"the resume file's header is incomplete ({exc})") from None
    if not 0 < point.step < point.steps or len(point.sigmas) != point.steps:
        raise ResumeMismatch(f"the resume file's step {point.step} of {point.steps} does not fit its schedule")
    return point


def discard(path: Path) -> None:
    """Remove a resume file (the job ended, or the file could not be used)."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.warning("could not remove the resume file %s", path, exc_info=True)


def continues_note(point: ResumePoint) -> str:
    """What Resume does for a job with a kept point (the Queue dock, `kinora show`, the paused event)."""
    return f"Resume continues from step {point.take_step + 1} of {point.take_total}"


__all__ = ["Checkpoint", "ResumeMismatch", "ResumePoint", "continues_note", "discard", "load", "recipe_hash",
           "resume_path", "save"]
