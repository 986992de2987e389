"""The GUI's tick for a playing picture: a call each time the player's next frame is due.

One single-shot PreciseTimer, armed after each tick for `Player.next_tick_ms()` (1-21 ms: the next frame's
time by the player's clock) instead of a fixed grid, so a frame goes up at its time, not up to half a grid
step off it (bench/playback.py measures the drift). The Preview and the Feed's cards tick through it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer

if TYPE_CHECKING:
    from studio.playback import Player


class FrameTicker(QObject):
    """Calls `tick()` on the GUI thread whenever the player `player()` gives (None: not yet) has a frame due,
    from `start()` until `stop()`."""

    def __init__(self, player: Callable[[], Player | None], tick: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._player = player
        self._tick = tick
        self._running = False
        self.timer = QTimer(self, singleShot=True)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._fire)

    def start(self) -> None:
        """Tick from now on, the first time when the next frame is due (again at once if already running)."""
        self._running = True
        self._arm()

    def stop(self) -> None:
        self._running = False
        self.timer.stop()

    def _arm(self) -> None:
        player = self._player()
        if self._running and player is not None:
            self.timer.start(player.next_tick_ms())

    def _fire(self) -> None:
        try:
            self._tick()
        finally:  # a single-shot timer not armed again would freeze the picture for good
            self._arm()
