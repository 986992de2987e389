"""The bounds of what Kinora takes in, in one place (docs/reliability.md lists them too).

Every input from elsewhere (media files, project files, bundles) is checked against these before
work that grows with it begins, so a file that claims 4e298 seconds, a billion frames or a 1e308 fps
rate is refused in milliseconds instead of running for ever. The numbers are far above what a creator
needs (Kinora makes clips of up to 20 s and edits timelines of minutes to hours), and far below what
would exhaust a machine.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path

MAX_MEDIA_SECONDS = 4 * 3600.0  # one imported file: four hours (Kinora makes clips of seconds, edits minutes)
MAX_TIMELINE_SECONDS = 48 * 3600.0  # any time in a project (editors start timecode at up to 24:00:00:00)
MAX_FRAME_RATE = 1000.0  # frames per second; high-speed captures are 240-1000
MIN_FRAME_RATE = 0.01  # a picture every 100 s (slideshows); below that a rate is a damaged header
MAX_SAMPLE_RATE = 768_000  # Hz; the highest rate FFmpeg's PCM formats carry
MAX_DIMENSION = 16_384  # pixels on either side of a picture (8K is 7680)
MAX_FRAMES = int(MAX_MEDIA_SECONDS * 120)  # frames a file may hold: four hours at 120 fps
MAX_MEDIA_BYTES = 64 * 1024**3  # one media file
MAX_PROJECT_BYTES = 64 * 1024**2  # a .otio / .edl / a bundle's content.otio
MAX_NESTING = 64  # levels of JSON nesting in a project (real timelines use about 12)

# .otioz bundles: in proportion to what the bundle itself declares (its media), not fixed totals.
MAX_BUNDLE_MEMBERS = 2_000  # media files in one bundle (one per distinct clip file)
MAX_COMPRESSION_RATIO = 200  # uncompressed/compressed for a deflated member over 1 MiB (media is stored)
RATIO_EXEMPT_BYTES = 1024**2


def positive_finite(value: object, upper: float) -> bool:
    """Whether value is a real number (not bool) with 0 < value <= upper."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            and 0 < value <= upper)


def regular_file_problem(path: str | os.PathLike[str]) -> str | None:
    """Why `path` cannot be read as an input file (None when it can): missing, not a regular file
    (a folder, FIFO, device, /proc file), unreadable, empty or past MAX_MEDIA_BYTES.

    /proc files report size 0 and FIFOs never end, so both are refused by type before anything opens them.
    """
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        return "file not found; check the path"
    except PermissionError:
        return "permission denied; check the file's permissions"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISDIR(info.st_mode):
        return "not a regular file but a folder; choose a file in it"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a pipe, device or special file); choose a file on disk"
    if str(path.resolve()).startswith("/proc/"):
        return "is a special file of the system, not a file on disk"
    if not os.access(path, os.R_OK):
        return "permission denied: you cannot read this file; check its permissions"
    if info.st_size == 0:
        return "the file is empty (0 bytes); it was probably not written completely"
    if info.st_size > MAX_MEDIA_BYTES:
        return f"is {info.st_size} bytes, past the {MAX_MEDIA_BYTES} byte limit Kinora reads"
    return None


def check_media_bounds(duration: float, fps: float | None, sample_rate: int | None,
                       width: int = 0, height: int = 0) -> str | None:
    """Why a probed file's facts are past what Kinora uses (None when they are within the limits)."""
    if not positive_finite(duration, MAX_MEDIA_SECONDS):
        return (f"claims a length of {duration:g} s; Kinora takes files of up to {MAX_MEDIA_SECONDS / 3600:g} hours "
                "(the file may be damaged)")
    if fps is not None:
        if not positive_finite(fps, MAX_FRAME_RATE) or fps < MIN_FRAME_RATE:
            return (f"claims a frame rate of {fps:g} fps; Kinora takes rates from {MIN_FRAME_RATE:g} to "
                    f"{MAX_FRAME_RATE:g} (the file may be damaged)")
        if duration * fps > MAX_FRAMES:
            return f"holds about {duration * fps:.0f} frames, past the {MAX_FRAMES} frames Kinora takes"
        if not (0 < width <= MAX_DIMENSION and 0 < height <= MAX_DIMENSION):
            return f"claims a picture of {width}x{height}; Kinora takes pictures of up to {MAX_DIMENSION} pixels a side"
    if sample_rate is not None and not positive_finite(sample_rate, MAX_SAMPLE_RATE):
        return f"claims a sample rate of {sample_rate} Hz; Kinora takes rates above 0 and up to {MAX_SAMPLE_RATE}"
    return None
