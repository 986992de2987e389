"""Opening media files with PyAV so that every failure becomes a MediaError naming the file."""

from __future__ import annotations

import os
from pathlib import Path

import av

from studio.errors import MediaError

# Seconds PyAV may wait on open/read before giving up; guards against inputs that never answer
# (named pipes, stalled network mounts) so a probe never hangs.
OPEN_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 10.0


def check_readable(path: str | os.PathLike[str]) -> Path:
    """The path as a Path if it names a non-empty regular file, else MediaError saying what is wrong."""
    path = Path(path)
    if not path.exists():
        raise MediaError(f"{path}: file not found; check the path or re-link the media")
    if not path.is_file():
        raise MediaError(f"{path}: not a regular file (a folder or device); choose a media file")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: the file is empty (0 bytes); it was probably not written completely")
    return path


def open_input(path: str | os.PathLike[str]) -> av.container.InputContainer:
    """Open path for reading; MediaError if it is missing, empty or not a format FFmpeg reads."""
    path = check_readable(path)
    try:
        return av.open(str(path), mode="r", timeout=(OPEN_TIMEOUT_S, READ_TIMEOUT_S))
    except av.FFmpegError as exc:
        raise MediaError(f"{path}: not a media file Kinora can read ({describe(exc)})") from exc


def describe(exc: BaseException) -> str:
    """A short reason from a PyAV error, without the file name FFmpeg repeats."""
    if isinstance(exc, av.FFmpegError) and exc.strerror:
        return exc.strerror.rstrip(".")
    return str(exc) or type(exc).__name__
