"""What travels between the studio and a slot actor: the job going out, the result header coming back.

Progress comes back as the engine's own `EngineEvent`s (previews included); the finished MP4 follows the
header either as `chunk_count` byte chunks through Ray's object store or as a file on shared storage.
Both ends check the SHA-256 of the bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from studio.recipe import Recipe

CHUNK_BYTES = 4 * 1024 * 1024  # object-store chunks: big enough to be cheap, small enough to stream


@dataclass(frozen=True)
class InputFile:
    """A file the recipe names on this computer (remix parent, start image, keyframe), sent by value."""

    field: str  # "source" | "image" | "keyframe"
    name: str  # the file's own name (keeps its extension, which decoders look at)
    data: bytes


@dataclass(frozen=True)
class ClusterJob:
    """One take for an actor: the recipe with local paths left out, and the files those paths named."""

    recipe: Recipe
    inputs: tuple[InputFile, ...] = ()
    storage: str | None = None  # shared folder for the result, else chunks through the object store
    chunk_bytes: int = CHUNK_BYTES


@dataclass(frozen=True)
class ResultHeader:
    """The finished take: what the actor made (recipe with its seed, timings) and how its bytes come."""

    recipe: Recipe
    timings: dict[str, float]
    sha256: str
    size: int
    chunk_count: int = 0  # chunks following this header in the stream
    path: str | None = None  # or: the file on shared storage
    worker: str = ""  # node and slot, for the log


@dataclass(frozen=True)
class WorkerInfo:
    """What an actor says about itself when it starts."""

    slot: int
    node: str
    version: str
    installed: tuple[str, ...] = field(default_factory=tuple)  # model ids it can run without a download


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
