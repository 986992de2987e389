"""A one-line terminal progress bar with phase and ETA, for long commands (generate, export)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, TextIO

from studio.formatting import format_duration

if TYPE_CHECKING:
    from studio.engine.events import EngineEvent


class ProgressBar:
    """Redraws one line on a terminal; on a pipe it prints a line only when the phase changes."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.monotonic()
        self._last_phase: str | None = None
        self._tty = self.stream.isatty()

    def show_event(self, event: EngineEvent) -> None:
        """An engine's progress event: its phase, the step while denoising, else its message."""
        detail = f"step {event.step}/{event.total}" if event.phase == "denoising" and event.total else event.message
        self.update(event.phase, event.fraction, event.eta_s, detail)

    def update(self, phase: str, fraction: float, eta: float | None = None, detail: str = "") -> None:
        fraction = min(1.0, max(0.0, fraction))
        if not self._tty:
            if phase != self._last_phase:
                self.stream.write(f"{phase}...\n")
                self.stream.flush()
            self._last_phase = phase
            return
        filled = int(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = format_duration(time.monotonic() - self.started)
        line = f"\r{phase:<12} [{bar}] {fraction * 100:5.1f}%  {elapsed} elapsed, ETA {format_duration(eta)} {detail}"
        self.stream.write(line[:160].ljust(100))
        self.stream.flush()
        self._last_phase = phase

    def close(self, message: str = "") -> None:
        if self._tty:
            self.stream.write("\n")
        if message:
            self.stream.write(message + "\n")
        self.stream.flush()
