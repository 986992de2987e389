"""Generation: requests (studio.recipe.Recipe), model registry, backends, memory policy and the job runner.

Nothing here imports Qt. Heavy libraries (torch, diffusers, transformers) are imported inside the
functions that need them, so importing `studio.engine` stays cheap.
"""

from .choice import EngineKind, EngineSettings, make_engine
from .control import Engine

__all__ = ["Engine", "EngineKind", "EngineSettings", "make_engine"]
