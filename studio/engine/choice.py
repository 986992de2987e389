"""Which engine generates: this computer's (a Runner, or the engine process) or a Ray cluster's.

The studio (Settings > Engine), `kinora generate --ray` and `kinora serve --ray` all go through
`make_engine`, so every face gets the same engine for the same settings and the same one-line notice
when a cluster cannot be used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.errors import EngineError

if TYPE_CHECKING:
    from studio.library import Library

    from .control import Engine
    from .events import EngineEvent

log = logging.getLogger(__name__)


class EngineKind(StrEnum):
    LOCAL = "local"  # "This computer"
    RAY = "ray"  # "Ray cluster"


@dataclass(frozen=True)
class EngineSettings:
    """Settings > Engine. `address` is HOST:PORT of the Ray head (or "local" to start one here)."""

    kind: EngineKind = EngineKind.LOCAL
    address: str = ""
    namespace: str = "kinora"
    storage: str = ""  # a folder the workers and this computer share; empty: results come through Ray

    @classmethod
    def ray(cls, address: str, namespace: str = "kinora", storage: str = "") -> EngineSettings:
        return cls(EngineKind.RAY, address, namespace, storage)


def make_engine(library: Library, settings: EngineSettings, *, on_event: Callable[[EngineEvent], None] | None = None,
                memory_policy: str | None = None, in_process: bool = False,
                notice: Callable[[str], None] | None = None, fallback: bool = True) -> Engine:
    """The engine `settings` ask for, not started.

    Local: a Runner (in_process=True: CLI, server, scripts) or an EngineProcess (the studio window).
    Ray: joins the cluster now (a quick probe first) and starts one actor per slot. When that fails, the
    one-line reason goes to `notice` and the local engine is returned; with fallback=False, EngineError.
    """
    if settings.kind == EngineKind.RAY:
        try:
            return _cluster_engine(library, settings, on_event, memory_policy)
        except EngineError as exc:
            if not fallback:
                raise
            (notice or log.warning)(str(exc))
    if in_process:
        from .runner import Runner

        return Runner(library, on_event=on_event, memory_policy=memory_policy)
    from .process import EngineProcess

    return EngineProcess(library, on_event=on_event, memory_policy=memory_policy)


def _cluster_engine(library: Library, settings: EngineSettings, on_event: Any, memory_policy: str | None) -> Engine:
    if not settings.address.strip():
        raise EngineError("No Ray cluster address is set; enter HOST:PORT in Settings > Engine (or pass --ray).")
    if settings.storage and not Path(settings.storage).is_dir():
        raise EngineError(f"The cluster's storage folder '{settings.storage}' is not a folder on this computer; "
                          "mount the shared folder at the same path here and on the workers, or leave it empty.")
    from .cluster import ClusterEngine, ClusterSettings, SlotPool

    pool = SlotPool(ClusterSettings(settings.address.strip(), settings.namespace or "kinora",
                                    settings.storage or None, memory_policy=memory_policy))
    try:
        pool.start()
    except EngineError:
        pool.shutdown()  # joined, but no slot to use: leave the cluster as we found it
        raise
    return ClusterEngine(library, pool, on_event=on_event)
