"""Backends turn a recipe into frames and sound. One per model family, each registered under its family.

A backend module declares its class with `@register_backend` (family and modes live on the class);
`load_backend` imports the backend modules on first use (they import torch and diffusers only when a
model loads) and asks the class registered for the spec's family to load it.
"""

from __future__ import annotations

import importlib

from studio.engine.memory import MemoryPlan
from studio.engine.registry import ModelSpec, Registry

from .base import Backend, GenerationResult, ProgressFn, SourceClip, registered_backend

# Where backends live; each registers itself on import. A new family is a new module named here.
BACKEND_MODULES: tuple[str, ...] = (".builtin", ".ltx2", ".wan")


def backend_class(family: str) -> type[Backend] | None:
    """The backend class for a model family (None: the family makes no video on its own)."""
    for module in BACKEND_MODULES:
        importlib.import_module(module, __name__)
    return registered_backend(family)


def chooses_length(spec: ModelSpec) -> bool:
    """Whether the model behind `spec` can pick a clip's length itself (a recipe's `auto_seconds`)."""
    cls = backend_class(spec.family)
    return cls is not None and cls.chooses_length(spec)


def load_backend(spec: ModelSpec, plan: MemoryPlan, registry: Registry) -> Backend:
    """Load the model behind `spec` (weights from disk; EngineError with the pull command when missing)."""
    cls = backend_class(spec.family)
    if cls is None:
        from studio.errors import EngineError

        raise EngineError(f"Model '{spec.id}' ({spec.family}) makes no video on its own; pick a video model.")
    return cls.load(spec, plan, registry)


__all__ = ["Backend", "GenerationResult", "ProgressFn", "SourceClip", "backend_class", "chooses_length",
           "load_backend"]
