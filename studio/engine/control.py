"""What an engine is to its callers: one declaration that the Runner, the EngineProcess and any other
engine (a cluster of GPUs) satisfy, and that the UI, the CLI and the server type their engine as.

`EngineControl` holds the calls that drive jobs. `EngineProcess` does not write them again: its methods
are generated from these declarations (studio/engine/process.py), and the child answers exactly these.
"""

from __future__ import annotations

import threading
from typing import Protocol

from studio.engine.events import EventCallback
from studio.errors import EngineError
from studio.recipe import Recipe


def _declared_only(name: str) -> EngineError:
    # The protocol's bodies only run on a class that claims the protocol but left a call out.
    return EngineError(f"This engine does not implement '{name}'.")


class EngineControl(Protocol):
    """The calls that drive an engine's jobs. Each may block on library work: call them off the GUI thread."""

    def submit(self, recipe: Recipe, *, parent_take_id: int | None = None, remix_kind: str | None = None,
               origin: str = "") -> int:
        """Queue a recipe; returns the new take's id. `origin` names who asked ("api": `kinora serve`).

        A model that is unknown, cannot do the mode, or has no weights on disk fails here at once:
        the take is recorded as failed and EngineError (with the pull command) is raised.
        """
        raise _declared_only("submit")

    def cancel(self, take_id: int) -> None:
        """Cancel a take's job: within one denoising step if it runs, at once if it waits."""
        raise _declared_only("cancel")

    def pause(self, take_id: int) -> None:
        """Park a take's job (it keeps its place); pausing the running job also unloads the model."""
        raise _declared_only("pause")

    def resume(self, take_id: int) -> None:
        """Put a paused job back in the queue."""
        raise _declared_only("resume")

    def unload(self) -> None:
        """Drop the warm model and hand its memory back."""
        raise _declared_only("unload")


def control_methods() -> tuple[str, ...]:
    """The names of EngineControl's calls, in declaration order."""
    return tuple(name for name, value in vars(EngineControl).items() if callable(value) and not name.startswith("_"))


class Engine(EngineControl, Protocol):
    """A whole engine: its job calls, its lifecycle, and the events it reports on `on_event`.

    `on_event` is called on the engine's own thread (a worker or a listener), never the caller's.
    `warmed` is set once the engine has imported what generating needs.
    """

    on_event: EventCallback
    warmed: threading.Event

    def start(self) -> None:
        """Start working through the queue (idempotent)."""
        raise _declared_only("start")

    def stop(self, timeout: float = 30.0) -> None:
        """Stop: a running job is paused (it resumes after the next start), the model unloaded."""
        raise _declared_only("stop")
