"""Files a request brings (a video to extend or edit, a reference image): into the library's store, or refused.

An upload is copied into the library's cache under a name of our making (never the client's), imported
into the content-addressed media store (which probes it first), and the staged copy removed. Nothing a
request names is used as a path.
"""

from __future__ import annotations

import base64
import binascii
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from studio.errors import KinoraError
from studio.library import Library
from studio.library.records import MediaRecord, TakeRecord

from .errors import ApiError
from .limits import Limits

UPLOADS_DIR = "api-uploads"  # under the library's cache folder: staged uploads, removed once imported
IMAGE_TYPES = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv")
_DATA_URL = re.compile(r"^data:(image/[a-z+.-]+);base64,(.*)$", re.S)


@dataclass(frozen=True)
class Upload:
    """A file part of a request: its name, content type and a readable stream (already on disk)."""

    filename: str
    content_type: str
    file: IO[bytes]


class Uploads:
    def __init__(self, library: Library, limits: Limits) -> None:
        self.library = library
        self.limits = limits

    def video_take(self, video: Upload | None) -> TakeRecord:
        """An uploaded video as an imported take (the parent of an extend or an edit)."""
        if video is None:
            raise ApiError(400, "Send the video to use: an upload in `video` or `video[id]`.", param="video",
                           code="missing_video")
        suffix = Path(video.filename or "").suffix.lower()
        if suffix not in VIDEO_SUFFIXES and not video.content_type.startswith("video/"):
            raise ApiError(400, f"video must be a video file ({', '.join(VIDEO_SUFFIXES)}), not "
                                f"{video.content_type or suffix or 'this file'}.", param="video", code="invalid_file")
        media = self._import(self._stage(video.file, suffix if suffix in VIDEO_SUFFIXES else ".mp4"), "video")
        if media.kind != "video":
            raise ApiError(400, "The uploaded file has no pictures; send a video.", param="video", code="invalid_file")
        return self.library.add_imported_take(media.id, title=Path(video.filename or "upload").name[:200])

    def image(self, image: Upload | None, image_url: str | None) -> Path:
        """The reference image (an upload or a data: URL), imported into the media store; its path there."""
        if image is not None:
            suffix = IMAGE_TYPES.get(image.content_type) or Path(image.filename or "").suffix.lower()
            if suffix not in (".png", ".jpg", ".jpeg", ".webp"):
                raise ApiError(400, "input_reference must be a PNG, JPEG or WebP image.", param="input_reference",
                               code="invalid_file")
            staged = self._stage(image.file, suffix)
        else:
            staged = self._stage_data_url(image_url or "")
        media = self._import(staged, "input_reference")
        if media.kind != "image":
            raise ApiError(400, "input_reference must be an image.", param="input_reference", code="invalid_file")
        return self.library.media_path(media)

    def _stage_data_url(self, image_url: str) -> Path:
        param = "input_reference[image_url]"
        match = _DATA_URL.match(image_url.strip())
        if match is None or match.group(1) not in IMAGE_TYPES:
            raise ApiError(400, "input_reference[image_url] must be a data: URL of a PNG, JPEG or WebP image "
                                "(this server fetches nothing from the network).", param=param,
                           code="invalid_image_url")
        try:
            data = base64.b64decode(match.group(2), validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(400, "input_reference[image_url] is not valid base64.", param=param,
                           code="invalid_image_url") from None
        if len(data) > self.limits.upload_bytes:
            raise ApiError(413, "The image is over the upload limit.", param=param, code="upload_too_large")
        dest = self._staging_dir() / f"{uuid.uuid4().hex}{IMAGE_TYPES[match.group(1)]}"
        dest.write_bytes(data)
        return dest

    def _import(self, staged: Path, param: str) -> MediaRecord:
        try:
            return self.library.import_media(staged)
        except KinoraError as exc:
            raise ApiError(400, f"The uploaded file cannot be used: {exc}", param=param, code="invalid_file") from None
        finally:
            staged.unlink(missing_ok=True)

    def _stage(self, source: IO[bytes], suffix: str) -> Path:
        dest = self._staging_dir() / f"{uuid.uuid4().hex}{suffix}"
        source.seek(0)
        with open(dest, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
        return dest

    def _staging_dir(self) -> Path:
        folder = Path(self.library.cache_dir) / UPLOADS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        return folder
