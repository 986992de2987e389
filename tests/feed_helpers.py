"""Two studios for the feed tests: a library and a signing identity each, and tiny finished takes."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.feed.signature import author_key
from studio.library.library import Library
from studio.media.encode import write_clip
from studio.provenance.identity import SigningIdentity, create_identity
from studio.recipe import Recipe


@dataclass
class Studio:
    name: str
    lib: Library
    identity: SigningIdentity

    @property
    def key(self) -> str:
        return author_key(self.identity)


def open_studio(tmp_path: Path, name: str) -> Studio:
    return Studio(name, Library.open(tmp_path / f"{name}-library"),
                  create_identity(name, folder=tmp_path / f"{name}-identity"))


def finished_take(lib: Library, tmp_path: Path, prompt: str, *, parent: int | None = None, shade: int = 60,
                  size: tuple[int, int] = (48, 64)) -> int:
    """A generated take with a real (tiny) H.264 + AAC file, as the engine would leave it."""
    h, w = size
    recipe = Recipe(prompt=prompt, model_id="tiny-random", seed=7, width=w, height=h, fps=24, seconds=0.5,
                    mode="video" if parent else "text", source_take_id=parent)
    take = lib.create_take(recipe, parent_take_id=parent, remix_kind="video" if parent else None)
    t = np.arange(12000, dtype=np.float32) / 48000
    audio = np.stack([np.sin(2 * np.pi * 330 * t)] * 2, axis=1) * 0.2
    frames = np.full((12, h, w, 3), shade, np.uint8)
    frames[:, : h // 2] = 255 - shade
    clip = write_clip(frames, audio, 24, 48000, tmp_path / f"{lib.root.name}-take{take.id}.mp4")
    lib.complete_take(take.id, clip, recipe=recipe, timings={})
    return take.id


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run an ASGI app with uvicorn on a free loopback port; yields its base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def feed_app(studio: Studio) -> Any:
    """A bare FastAPI app with the feed router mounted (as `kinora serve` mounts it)."""
    from fastapi import FastAPI

    from studio.server.feed_routes import feed_router

    app = FastAPI()
    app.include_router(feed_router(studio.lib, studio.identity))
    return app
