"""Files crossing the network: what a job takes along (by value) and the finished MP4 coming back (hash checked)."""

from __future__ import annotations

import hashlib
import tempfile
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING

from studio.errors import EngineError
from studio.recipe import Recipe

from ..sources import source_path
from .wire import InputFile, ResultHeader, sha256_of

if TYPE_CHECKING:
    from studio.library import Library


def pack_inputs(library: Library, recipe: Recipe) -> tuple[InputFile, ...]:
    """The files the recipe names on this computer (remix parent, start image, keyframes), read to send.

    The worker writes them to its scratch folder and points its copy of the recipe at them.
    """
    inputs: list[InputFile] = []
    if recipe.mode in ("extend", "video", "retake"):
        parent = source_path(library, recipe)
        if parent is not None:
            inputs.append(InputFile("source", parent.name, parent.read_bytes()))
    named = [("image", recipe.image)] if recipe.image else []
    named += [("keyframe", keyframe) for keyframe in recipe.keyframes]
    for field, name in named:
        path = Path(name).expanduser()
        if not path.is_file():
            raise EngineError(f"The {field} '{path}' does not exist.")
        inputs.append(InputFile(field, path.name, path.read_bytes()))
    return tuple(inputs)


class ResultReceiver:
    """The result's bytes arriving: chunks into a temporary file, or a file on shared storage; hash checked."""

    def __init__(self, scratch: Path, header: ResultHeader) -> None:
        self.header = header
        self.started = time.monotonic()
        self.seconds = 0.0
        self._digest = hashlib.sha256()
        self._handle: IO[bytes] | None = None
        self._path: Path | None = None
        if header.path is None:
            scratch.mkdir(parents=True, exist_ok=True)
            handle = tempfile.NamedTemporaryFile(dir=scratch, prefix="cluster-", suffix=".mp4", delete=False)
            self._handle, self._path = handle, Path(handle.name)

    def write(self, chunk: bytes) -> None:
        assert self._handle is not None, "chunks came for a result stored on shared storage"
        self._digest.update(chunk)
        self._handle.write(chunk)

    def finish(self) -> Path:
        """The received file, once its size and SHA-256 match the header's; EngineError otherwise."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
            digest = self._digest.hexdigest()
            path = self._path
        else:
            path = Path(self.header.path or "")
            if not path.is_file():
                raise EngineError(f"The Ray worker wrote the take to '{path}', which this computer cannot see; "
                                  "the storage folder must be the same path on the workers and here.")
            digest = sha256_of(path)
        assert path is not None
        self.seconds = time.monotonic() - self.started
        if digest != self.header.sha256 or path.stat().st_size != self.header.size:
            raise EngineError(f"The take from Ray worker {self.header.worker} arrived damaged (its SHA-256 does "
                              "not match); generate it again.")
        return path

    def discard(self) -> None:
        """Remove the received file (the library holds its own copy now); shared storage is cleared too."""
        if self._handle is not None:
            self._handle.close()
        target = self._path if self._path is not None else (Path(self.header.path) if self.header.path else None)
        if target is not None:
            target.unlink(missing_ok=True)
