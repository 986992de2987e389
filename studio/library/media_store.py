"""The content-addressed media store: files at media/ab/<sha256>.<ext> beside the database.

Files come in through a temporary name and are renamed into place, so a crash never leaves a
half-copied file under a real name; the same bytes added twice are stored once. This module
only handles files and their facts; the rows live in the database (`studio.library.library`).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from studio.atomic import atomic_path
from studio.errors import LibraryError, MediaError
from studio.media.limits import MAX_DIMENSION, regular_file_problem
from studio.scratch import INCOMING_DIR

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})
MEDIA_DIR = "media"
_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class MediaFacts:
    """What the library records about a file's content (from studio.media.probe, or the image size)."""

    kind: str
    duration: float | None
    fps: float | None
    width: int | None
    height: int | None
    sample_rate: int | None
    codec: str | None
    audio_codec: str | None


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    relpath: str  # relative to the library folder, with forward slashes


def sha256_of(path: Path) -> str:
    import hashlib  # here: opening a library hashes nothing (~3 ms the studio's launch does without)

    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def media_facts(path: Path) -> MediaFacts:
    """Probe a file. Images (by suffix) give kind "image" and their display size; others go
    through studio.media.probe, which raises MediaError naming the file for anything unusable."""
    problem = regular_file_problem(path)  # FIFOs, devices and /proc files would block or never end
    if problem is not None:
        raise MediaError(f"{path}: {problem}")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return _image_facts(path)
    from studio.media.probe import probe

    info = probe(path)
    if info.has_video:
        return MediaFacts("video", info.duration, info.fps or None, info.width, info.height,
                          info.sample_rate or None, info.video_codec, info.audio_codec)
    return MediaFacts("audio", info.duration, None, None, None, info.sample_rate or None, info.audio_codec,
                      info.audio_codec)


def _image_facts(path: Path) -> MediaFacts:
    # Pillow, not OpenCV: libjpeg under OpenCV prints "Premature end of JPEG file" and the like to stderr,
    # which turned one clear error into several lines; Pillow raises instead, and refuses pixel bombs.
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()  # decode it all: a damaged or cut picture fails here
                width, height = image.size
                if image.getexif().get(_EXIF_ORIENTATION, 1) in (5, 6, 7, 8):  # turned a quarter: upright size
                    width, height = height, width
    except (OSError, ValueError, SyntaxError, UnidentifiedImageError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        raise MediaError(f"{path}: is not a readable image ({str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__}); "
                         "use a JPEG or PNG file") from exc
    if not (0 < width <= MAX_DIMENSION and 0 < height <= MAX_DIMENSION):
        raise MediaError(f"{path}: is a {width}x{height} picture; Kinora takes pictures of up to {MAX_DIMENSION} "
                         "pixels a side")
    codec = "jpeg" if path.suffix.lower() in (".jpg", ".jpeg") else path.suffix.lower().lstrip(".")
    return MediaFacts("image", None, None, width, height, None, codec, None)


class MediaStore:
    """The media folder of one library."""

    def __init__(self, library_root: Path) -> None:
        self.library_root = library_root
        self.folder = library_root / MEDIA_DIR
        self.folder.mkdir(parents=True, exist_ok=True)

    def relpath_for(self, sha256: str, suffix: str) -> str:
        suffix = suffix.lower() if suffix and len(suffix) <= 8 else ".bin"
        return f"{MEDIA_DIR}/{sha256[:2]}/{sha256}{suffix}"

    def path(self, relpath: str) -> Path:
        return self.library_root / relpath

    def add(self, source: Path, sha256: str | None = None) -> StoredFile:
        """Copy `source` into the store (if its bytes are not there yet)."""
        source = Path(source)
        if not source.is_file():
            raise LibraryError(f"{source}: no such file to add to the library.")
        digest = sha256 or sha256_of(source)
        relpath = self.relpath_for(digest, source.suffix)
        dest = self.path(relpath)
        if not dest.exists():
            try:
                # Copies in progress live in one folder, so a killed run's are found and swept (studio.scratch).
                with atomic_path(dest, tmp_dir=self.library_root / "cache" / INCOMING_DIR) as tmp:
                    shutil.copyfile(source, tmp)
            except OSError as exc:
                raise LibraryError(f"Cannot copy {source} into the library at {self.library_root}: {exc}. "
                                   "Check the free disk space and permissions.") from exc
        return StoredFile(digest, relpath)

    def files(self, under: str = MEDIA_DIR) -> list[str]:
        """Every file under `under` (media/ or one of its folders), as relpaths, unordered (plain
        strings and scandir: pathlib and os.walk are too slow at 100,000 files)."""
        found: list[str] = []
        pending = [(str(self.library_root / under), under)]
        while pending:
            folder, rel = pending.pop()
            try:
                entries = os.scandir(folder)
            except FileNotFoundError:
                continue  # removed meanwhile: it holds nothing
            with entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append((entry.path, f"{rel}/{entry.name}"))
                    else:
                        found.append(f"{rel}/{entry.name}")
        return found

    def folder_times(self) -> tuple[int, dict[str, int]]:
        """The media folder's mtime and each of its subfolders' (relpath -> st_mtime_ns).

        A folder's mtime changes whenever a file is added to, removed from or renamed in it.
        """
        top = os.stat(self.folder).st_mtime_ns
        with os.scandir(self.folder) as entries:
            subfolders = {f"{MEDIA_DIR}/{e.name}": e.stat(follow_symlinks=False).st_mtime_ns
                          for e in entries if e.is_dir(follow_symlinks=False)}
        return top, subfolders
