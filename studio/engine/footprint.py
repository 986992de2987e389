"""How big each component of a model is, counted from its published configs on the meta device.

No weights are read: every component named in `model_index.json` is built from its `config.json` under
`torch.device("meta")` (shapes only, no memory) and its parameters counted. Counts are cached per model
in the user's config folder, keyed by a hash of the config files, so a model's footprint is computed
once when it is pulled or found and again only when its configs change.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.errors import EngineError

GIB = 1024**3
CACHE_NAME = "model_footprints.json"
_lock = threading.Lock()
_memo: dict[str, Footprint] = {}

# Components that hold no parameters: nothing to build.
_NO_WEIGHTS = {"scheduler", "tokenizer", "processor", "feature_extractor"}


@dataclass(frozen=True)
class Footprint:
    """Parameter count per component (name in model_index.json -> count), and where they came from."""

    source: str  # the folder whose configs were counted
    params: dict[str, int]

    @property
    def total_params(self) -> int:
        return sum(self.params.values())

    def gib(self, component: str | None = None, bytes_per_param: float = 2.0) -> float:
        """Weights in GiB for one component (or all) at a storage width (bf16: 2 bytes)."""
        count = self.total_params if component is None else self.params.get(component, 0)
        return count * bytes_per_param / GIB

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "params": dict(self.params)}


def _config_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.json")) + sorted(folder.glob("*/*.json")):
        if path.name.endswith(".index.json") or path.parent.name in _NO_WEIGHTS:
            continue
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _build_on_meta(library: str, class_name: str, folder: Path) -> Any:
    """One component with its real shapes and no storage."""
    import torch

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    with torch.device("meta"):
        if library == "transformers":
            import transformers

            config_obj = transformers.AutoConfig.for_model(**config)
            model_cls = getattr(transformers, class_name)
            return model_cls._from_config(config_obj)
        import diffusers

        if library == "diffusers":
            cls = getattr(diffusers, class_name)
        else:  # a pipeline-local class, e.g. ["ltx2", "LTX2TextConnectors"]
            import importlib

            cls = getattr(importlib.import_module(f"diffusers.pipelines.{library}"), class_name)
        return cls.from_config(config)


def count_parameters(folder: Path) -> dict[str, int]:
    """Parameters per weighted component of the diffusers layout in `folder` (configs only; meta device)."""
    index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
    counts: dict[str, int] = {}
    for name, value in index.items():
        if name.startswith("_") or name in _NO_WEIGHTS or not isinstance(value, list) or value[0] is None:
            continue
        if not (folder / name / "config.json").is_file():
            continue
        model = _build_on_meta(value[0], value[1], folder / name)
        # parameters() yields a tied weight once, as it is stored once in the safetensors files.
        counts[name] = sum(p.numel() for p in model.parameters())
    return counts


def footprint_of(folder: Path, cache_dir: Path | None = None) -> Footprint:
    """The footprint of the model whose configs are in `folder`, from the cache when its configs are unchanged."""
    digest = _config_digest(folder)
    with _lock:
        if digest in _memo:
            return _memo[digest]
        cache_file = (cache_dir / CACHE_NAME) if cache_dir is not None else None
        cached = _read_cache(cache_file).get(digest) if cache_file else None
        if cached is not None:
            result = Footprint(str(folder), {k: int(v) for k, v in cached["params"].items()})
        else:
            try:
                result = Footprint(str(folder), count_parameters(folder))
            except (OSError, ValueError, AttributeError, ImportError) as exc:
                raise EngineError(f"Could not read the model configs in {folder}: {exc}") from exc
            if cache_file is not None:
                _write_cache(cache_file, digest, result)
        _memo[digest] = result
        return result


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(path: Path, digest: str, result: Footprint) -> None:
    from studio.atomic import write_bytes_atomic

    data = _read_cache(path)
    data[digest] = result.to_dict()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, json.dumps(data, indent=1, sort_keys=True).encode())
    except OSError:
        pass  # a cache that cannot be written costs a recount next time, nothing more
