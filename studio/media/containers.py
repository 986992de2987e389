"""Opening media files with PyAV so that every failure becomes a MediaError naming the file."""

from __future__ import annotations

import os
from pathlib import Path

import av

from studio.errors import MediaError
from studio.media.limits import regular_file_problem

# Seconds PyAV may wait on open/read before giving up; guards against inputs that never answer
# (named pipes, stalled network mounts) so a probe never hangs.
OPEN_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 10.0


def check_readable(path: str | os.PathLike[str]) -> Path:
    """The path as a Path if it names a readable, non-empty regular file within the size limit, else
    MediaError saying what is wrong (FIFOs, devices and /proc files are refused before they are opened)."""
    path = Path(path)
    problem = regular_file_problem(path)
    if problem is not None:
        if problem.startswith("file not found"):
            problem += " or re-link the media"
        raise MediaError(f"{path}: {problem}")
    return path


def open_input(path: str | os.PathLike[str]) -> av.container.InputContainer:
    """Open path for reading; MediaError if it is missing, empty or not a format FFmpeg reads."""
    path = check_readable(path)
    try:
        # Container metadata is whatever bytes the writer put there: undecodable text is replaced, not fatal.
        return av.open(str(path), mode="r", timeout=(OPEN_TIMEOUT_S, READ_TIMEOUT_S), metadata_errors="replace")
    except av.FFmpegError as exc:
        raise MediaError(f"{path}: not a media file Kinora can read ({describe(exc)})") from exc
    except OSError as exc:  # permission denied between the check and the open, and the like
        raise MediaError(f"{path}: cannot be opened ({exc.strerror or exc})") from exc


def describe(exc: BaseException) -> str:
    """A short reason from a PyAV error, without the file name FFmpeg repeats."""
    if isinstance(exc, av.FFmpegError) and exc.strerror:
        return exc.strerror.rstrip(".")
    return str(exc) or type(exc).__name__


def seek(container: av.container.InputContainer, offset: int, stream: av.stream.Stream, path: Path,
         *, fresh: bool = False) -> None:
    """Seek backward to `offset` (in stream time base); MediaError naming the file when the format cannot.

    Some demuxers (certain m4a/mp3 exports) answer a seek with -1, which PyAV raises as PermissionError.
    `fresh`: nothing was read yet, so a failed seek to the stream's start leaves the reader where it
    should be anyway.
    """
    try:
        container.seek(offset, stream=stream, backward=True)
    except av.FFmpegError as exc:
        if fresh and offset <= (stream.start_time or 0):
            return
        raise MediaError(f"{path}: Kinora cannot seek in this file ({describe(exc)}); convert it to "
                         "WAV or MP4 (AAC) and import it again") from exc
