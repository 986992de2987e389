"""Backends turn a recipe into frames and sound. One per model family; `load_backend` picks it."""

from __future__ import annotations

from studio.engine.memory import MemoryPlan
from studio.engine.registry import ModelSpec, Registry

from .base import Backend, GenerationResult, ProgressFn, SourceClip


def load_backend(spec: ModelSpec, plan: MemoryPlan, registry: Registry) -> Backend:
    """Load the model behind `spec` (weights from disk; EngineError with the pull command when missing)."""
    if spec.family == "ltx2":
        from .ltx2 import LTX2Backend

        return LTX2Backend.load(spec, plan)
    if spec.family == "wan":
        from .wan import WanBackend

        return WanBackend.load(spec, plan, registry)
    if spec.family == "builtin":
        from .builtin import BuiltinBackend

        return BuiltinBackend(spec)
    from studio.errors import EngineError

    raise EngineError(f"Model '{spec.id}' ({spec.family}) makes no video on its own; pick a video model.")


__all__ = ["Backend", "GenerationResult", "ProgressFn", "SourceClip", "load_backend"]
