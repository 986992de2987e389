"""The studio's own `kinora serve`: a menu toggle starts the OpenAI Videos API beside the window.

The server only queues: the studio's engine process owns the GPU and runs the API's jobs, which the Queue
dock shows marked "API". Starting and stopping happen on a task thread (importing the web stack takes a
moment); requests are answered on the server's own threads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from studio.ui.tasks import run_async

DEFAULT_PORT = 8000


class ApiServerToggle(QObject):
    """Start or stop a loopback API server over the studio's library. `changed(url)` ("" when stopped)."""

    changed = Signal(str)

    def __init__(self, library: Any, notify: Callable[[str, bool], None], port: int = DEFAULT_PORT,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.notify = notify
        self.port = port
        self.server: Any = None  # studio.server.server.KinoraServer while running
        self.url = ""

    def set_running(self, on: bool) -> None:
        if on and self.server is None:
            run_async(self._start, self._started, self._failed, receiver=self)
        elif not on and self.server is not None:
            server, self.server = self.server, None
            run_async(server.stop, lambda _: self._stopped(), self._failed, receiver=self)

    def on_engine_event(self, event: Any) -> None:
        """Forward the studio engine's events, so `progress` moves for API jobs (GUI thread; a dict update)."""
        if self.server is not None:
            self.server.videos.on_event(event)

    def _start(self) -> Any:
        from studio.server.compose import studio_server
        from studio.server.server import ServeOptions

        server = studio_server(self.library, ServeOptions(port=self.port, engine_process=False, run_engine=False))
        server.start_in_thread()
        return server

    def _started(self, server: Any) -> None:
        self.server = server
        self.url = server.base_url
        self.notify(f"OpenAI Videos API at {self.url} (loopback only); its jobs run on this studio's engine.", False)
        self.changed.emit(self.url)

    def _stopped(self) -> None:
        self.url = ""
        self.notify("The OpenAI Videos API is stopped.", False)
        self.changed.emit("")

    def _failed(self, exc: Exception) -> None:
        self.server = None
        self.url = ""
        self.notify(f"The OpenAI Videos API could not start: {exc}", True)
        self.changed.emit("")
