"""Reading the parent clip of a remix: a take in the library or any video file (e.g. one received from someone)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from studio.errors import EngineError, KinoraError
from studio.recipe import MAX_SECONDS, REMIX_MODES, Recipe

from .backends.base import SourceClip

if TYPE_CHECKING:
    from studio.library import Library

SOURCE_RATE = 48000


def source_path(library: Library, recipe: Recipe) -> Path | None:
    """The file a remix starts from: the source take's media, else recipe.source_path; None for fresh clips."""
    if recipe.source_take_id is not None:
        take = library.take(recipe.source_take_id)
        if take.media_id is None:
            raise EngineError(f"Take {take.id} has no finished clip to remix (it is {take.status}).")
        return library.media_path(library.media(take.media_id))
    if recipe.source_path:
        path = Path(recipe.source_path).expanduser()
        if not path.is_file():
            raise EngineError(f"The clip to remix, '{path}', does not exist.")
        return path
    return None


def read_source(path: Path) -> SourceClip:
    """All frames (up to MAX_SECONDS) and the sound of a video file."""
    from studio.media.audio import read_audio
    from studio.media.decode import FrameReader

    try:
        with FrameReader(path) as reader:
            fps = float(reader.info.fps or 24.0)
            frames = [frame for t, frame in reader.iter_frames() if t < MAX_SECONDS]
            has_audio = reader.info.has_audio
        audio = read_audio(path, 0.0, len(frames) / fps, rate=SOURCE_RATE) if has_audio else None
    except KinoraError as exc:
        raise EngineError(f"Could not read the clip to remix, '{path}': {exc}") from exc
    if not frames:
        raise EngineError(f"The clip to remix, '{path}', has no pictures.")
    return SourceClip(np.stack(frames), audio, SOURCE_RATE, fps)


def load_source(library: Library, recipe: Recipe) -> SourceClip | None:
    """The parent clip for a remix recipe, or None for modes that start from nothing."""
    if recipe.mode not in REMIX_MODES:
        return None
    path = source_path(library, recipe)
    return read_source(path) if path is not None else None
