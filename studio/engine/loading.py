"""Loading pipelines from disk: safetensors only, never a pickle, never the network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.errors import EngineError


def load_pipeline(pipeline_class: Any, location: Path, torch_dtype: Any) -> Any:
    """`pipeline_class.from_pretrained` from a local folder (a user folder or a Hugging Face cache snapshot).

    `use_safetensors=True` makes diffusers refuse .bin/.pt weights instead of unpickling them, and
    `local_files_only=True` keeps a missing file from turning into a download.
    """
    try:
        return pipeline_class.from_pretrained(
            str(location), dtype=torch_dtype, use_safetensors=True, local_files_only=True,
        )
    except (OSError, ValueError) as exc:
        raise EngineError(
            f"Could not load the model in {location}: {exc}. The download may be incomplete: run "
            f"`kinora models pull` for it again (it resumes), and make sure it has .safetensors weights."
        ) from exc


def save_pipeline(pipe: Any, folder: Path) -> Path:
    """Save a pipeline in diffusers' layout with safetensors weights (what load_pipeline reads)."""
    pipe.save_pretrained(str(folder), safe_serialization=True)
    return folder
