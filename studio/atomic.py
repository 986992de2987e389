"""Write files to a temporary name beside their destination and rename them into place.

A crash, a full disk or a cancel never leaves a half-written file under the real name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from studio.scratch import owner_tag


def _process_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp makes files 0600; user files (takes, exports, projects) get the usual umask-based
# mode instead. Secrets (the signing key) set their own mode explicitly.
_FILE_MODE = 0o666 & ~_process_umask()


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike[str], tmp_dir: str | os.PathLike[str] | None = None) -> Iterator[Path]:
    """Yield a temporary path in dest's folder (or `tmp_dir`, on the same disk); on success it is
    renamed onto dest.

    The temporary keeps dest's suffix so tools that pick a format by extension
    (FFmpeg muxers, OTIO adapters) still work. On any exception it is removed; its name carries
    this process as owner (studio.scratch), so one left by a killed process can be swept.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tmp_dir) if tmp_dir is not None else dest.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.stem}.{owner_tag()}-", suffix=f".part{dest.suffix}", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, _FILE_MODE)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(dest: str | os.PathLike[str], data: bytes) -> None:
    """Write data to dest through a temporary file."""
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)
