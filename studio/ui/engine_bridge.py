"""The thin bridge between the engine's worker thread and the GUI thread.

The Runner calls `on_event` on its worker thread. The bridge only emits a Qt signal there; a
queued connection carries the event to the GUI thread, where `event` is emitted for the panels.
Progress floods are coalesced: per take, only the newest denoising step waits in the mailbox (with
the newest preview picture), so a fast model cannot fill the GUI thread's queue with previews it
will never show; phase changes are always delivered.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

if TYPE_CHECKING:
    from studio.engine.events import EngineEvent


# Only denoising steps are coalesced; every phase change is delivered.
_STEP = "denoising"


class EngineBridge(QObject):
    """Give `bridge.on_event` to the Runner; connect panels to `bridge.event` (GUI thread)."""

    event = Signal(object)  # studio.engine.events.EngineEvent, on the GUI thread
    _arrived = Signal()  # worker thread -> GUI thread wake-up

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._mailbox: list[Any] = []
        self._latest_step: dict[Any, int] = {}  # take id -> index of its pending step event
        self._arrived.connect(self._drain, Qt.ConnectionType.QueuedConnection)

    def on_event(self, event: EngineEvent) -> None:
        """Called by the engine on its worker thread: store the event and wake the GUI thread."""
        with self._lock:
            wake = not self._mailbox
            index = self._latest_step.get(event.take_id)
            if event.phase == _STEP and index is not None:
                older = self._mailbox[index]
                if event.preview_rgb is None and older.preview_rgb is not None:
                    event = dataclasses.replace(event, preview_rgb=older.preview_rgb)  # keep the last picture
                self._mailbox[index] = event  # replaces the unseen older step of the same take
            else:
                self._mailbox.append(event)
                if event.phase == _STEP:
                    self._latest_step[event.take_id] = len(self._mailbox) - 1
                else:
                    self._latest_step.pop(event.take_id, None)
        if wake:
            self._arrived.emit()

    @Slot()
    def _drain(self) -> None:
        with self._lock:
            events, self._mailbox = self._mailbox, []
            self._latest_step.clear()
        for event in events:
            self.event.emit(event)
