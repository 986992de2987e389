"""The slot actors on a Ray cluster: how many, on which resource, started, replaced and stopped.

A slot is one GPU (`num_gpus=1`) or, where the cluster declares it, one `kinora_gpu_slot` custom
resource (how a CPU-only test cluster, or a GPU shared by design, says how many actors fit).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from studio.errors import EngineError

from .connect import LOCAL, connect
from .wire import WorkerInfo

log = logging.getLogger(__name__)

SLOT_RESOURCE = "kinora_gpu_slot"
ACTOR_CONCURRENCY = 4  # run + stop + info + unload may overlap (a threaded actor)
READY_TIMEOUT_S = 120.0  # an actor imports the engine before it answers; a cold worker takes a while


@dataclass(frozen=True)
class ClusterSettings:
    """Where the cluster is and how to use it (Settings > Engine, `--ray ADDRESS`)."""

    address: str  # HOST:PORT of the head, or "local" to start a Ray on this computer
    namespace: str = "kinora"
    storage: str | None = None  # a folder both the workers and this computer see; else the object store
    slots: int | None = None  # at most this many actors (default: one per slot resource in the cluster)
    memory_policy: str | None = None


@dataclass
class Slot:
    """One actor and what the studio knows about it (guarded by the engine's lock)."""

    index: int
    actor: Any  # ray.actor.ActorHandle
    info_ref: Any  # ObjectRef[WorkerInfo]: resolves once the actor has started
    info: WorkerInfo | None = None
    warm_model: str | None = None  # the model the actor kept warm after its last job
    busy: bool = False
    jobs: int = 0  # jobs handed to this slot (its replacements start again from 0)


class SlotPool:
    """The actors of one studio on one cluster."""

    def __init__(self, settings: ClusterSettings) -> None:
        self.settings = settings
        self.slots: list[Slot] = []
        self._options: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._joined = False  # whether start() joined the cluster (then shutdown() leaves it)

    def start(self) -> None:
        """Join the cluster and start one actor per slot (they load nothing until their first job)."""
        self._joined = connect(self.settings.address, self.settings.namespace) or self._joined
        import ray

        resources = ray.cluster_resources()
        if resources.get(SLOT_RESOURCE):
            count = int(resources[SLOT_RESOURCE])
            self._options = {"resources": {SLOT_RESOURCE: 1}, "num_cpus": 0}
        elif resources.get("GPU"):
            count = int(resources["GPU"])
            self._options = {"num_gpus": 1}
        else:
            where = "this computer" if self.settings.address == LOCAL else f"the Ray cluster at {self.settings.address}"
            raise EngineError(f"{where.capitalize()} has no GPUs and no '{SLOT_RESOURCE}' resource, so no generation "
                              f"can run there; start workers with `ray start --num-gpus=N` (or "
                              f"--resources='{{\"{SLOT_RESOURCE}\": N}}'). The local engine still works.")
        if self.settings.slots:
            count = min(count, self.settings.slots)
        with self._lock:
            self.slots = [self._new_slot(index) for index in range(count)]

    def _new_slot(self, index: int) -> Slot:
        import ray

        from .worker import SlotWorker

        remote = ray.remote(SlotWorker).options(max_concurrency=ACTOR_CONCURRENCY, max_restarts=0,
                                                name=None, **self._options)
        actor = remote.remote(index, self.settings.memory_policy)
        return Slot(index, actor, actor.info.remote())

    def replace(self, slot: Slot) -> Slot:
        """A fresh actor in place of a dead (or unanswering) one; Ray places it wherever a slot is free."""
        import ray

        try:
            ray.kill(slot.actor)  # one that only stopped answering would otherwise keep its slot
        except Exception:
            log.debug("Ray slot %s was already gone", slot.index)
        fresh = self._new_slot(slot.index)
        with self._lock:
            self.slots[slot.index] = fresh
        return fresh

    def refresh(self) -> list[Slot]:
        """The slots whose actors have started (their WorkerInfo is in); never blocks."""
        import ray

        with self._lock:
            slots = list(self.slots)
        for slot in slots:
            if slot.info is None:
                ready, _ = ray.wait([slot.info_ref], timeout=0)
                if ready:
                    try:
                        slot.info = ray.get(slot.info_ref)
                        _check_version(slot.info)
                    except Exception as exc:  # the actor died while starting: the engine replaces it
                        log.warning("Ray slot %s did not start: %s", slot.index, _first_line(exc))
                        slot.info = None
                        self.replace(slot)
        return [slot for slot in slots if slot.info is not None]

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> list[WorkerInfo]:
        """Block until every actor has started (or the timeout); the infos of those that did."""
        import ray

        with self._lock:
            refs = [slot.info_ref for slot in self.slots if slot.info is None]
        if refs:
            ray.wait(refs, num_returns=len(refs), timeout=timeout)
        return [slot.info for slot in self.refresh() if slot.info is not None]

    def installed_models(self) -> set[str]:
        """Model ids at least one started actor can run."""
        return {model for slot in self.refresh() if slot.info for model in slot.info.installed}

    def shutdown(self) -> None:
        """Stop the actors (a job still running on one is lost to the cluster; the engine paused it first),
        and leave the cluster if start() joined it."""
        import ray

        with self._lock:
            slots, self.slots = self.slots, []
        for slot in slots:
            try:
                ray.kill(slot.actor)
            except Exception:
                log.debug("Ray slot %s was already gone", slot.index)
        if self._joined:
            ray.shutdown()
            self._joined = False


def _check_version(info: WorkerInfo) -> None:
    import studio

    if info.version != studio.__version__:
        log.warning("Ray worker %s runs Kinora %s, this studio %s: install the same version on the workers",
                    info.node, info.version, studio.__version__)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
