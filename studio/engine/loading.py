"""Loading pipelines from disk: safetensors only, never a pickle, never the network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from studio.errors import EngineError


def load_pipeline(pipeline_class: Any, location: Path, torch_dtype: Any) -> Any:
    """`pipeline_class.from_pretrained` from a local folder (a user folder or a Hugging Face cache snapshot).

    `use_safetensors=True` makes diffusers refuse .bin/.pt weights instead of unpickling them, and
    `local_files_only=True` keeps a missing file from turning into a download.
    """
    try:
        pipe = pipeline_class.from_pretrained(
            str(location), dtype=torch_dtype, use_safetensors=True, local_files_only=True,
        )
    except (OSError, ValueError) as exc:
        raise EngineError(
            f"Could not load the model in {location}: {exc}. The download may be incomplete: run "
            f"`kinora models pull` for it again (it resumes), and make sure it has .safetensors weights."
        ) from exc
    check_all_tensors_loaded(pipe, Path(location))
    return pipe


def check_all_tensors_loaded(pipe: Any, location: Path) -> None:
    """EngineError naming the file and key when a weights file lacked a tensor.

    diffusers leaves such a tensor on the "meta" device (no data) and says nothing; the first step
    would then fail with a raw meta-tensor error far from its cause.
    """
    for component, module in (getattr(pipe, "components", None) or {}).items():
        named = getattr(module, "named_parameters", None)
        if named is None:
            continue
        tensors = [*named(), *module.named_buffers()]
        missing = next((key for key, tensor in tensors if tensor.device.type == "meta"), None)
        if missing is not None:
            folder = location / component
            raise EngineError(
                f"{_weights_file(folder, missing)}: the weights lack the tensor '{missing}' (the file is incomplete "
                f"or damaged). Run `kinora models pull {_model_id(location)}` again.")


def _weights_file(folder: Path, key: str) -> Path:
    """The safetensors file that should hold `key` (from a sharded index, else the folder's one file)."""
    for index in folder.glob("*.safetensors.index.json"):
        try:
            name = json.loads(index.read_text()).get("weight_map", {}).get(key)
        except (OSError, ValueError):
            name = None
        if name:
            return folder / name
    files = sorted(folder.glob("*.safetensors"))
    return files[0] if len(files) == 1 else folder


def _model_id(location: Path) -> str:
    from studio.engine.registry import all_models, weights_location

    for spec in all_models():
        try:
            if spec.needs_weights and weights_location(spec) == location:
                return spec.id
        except Exception:  # noqa: BLE001 -- only naming the model: a registry lookup must not mask the real error
            continue
    return "ID"


def save_pipeline(pipe: Any, folder: Path) -> Path:
    """Save a pipeline in diffusers' layout with safetensors weights (what load_pipeline reads)."""
    pipe.save_pretrained(str(folder), safe_serialization=True)
    return folder
