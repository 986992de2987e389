"""Which file a timeline clip shows: the one media resolver type every render path takes.

Export, playback and project files all ask the same question of a clip; they take a `ResolveMedia`.
`Library.resolve_clip_media` (media by sha256, else the clip's own path) and `file_path_of` (the
clip's own path only) are the two resolvers there are.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from studio.errors import MediaError

if TYPE_CHECKING:
    import opentimelineio as otio

# The clip's file, or None when it has none (a resolver may instead raise a KinoraError that says why).
ResolveMedia = Callable[["otio.schema.Clip"], Path | None]  # a string: OTIO is imported where used


def file_path_of(clip: otio.schema.Clip) -> Path | None:
    """The local file a clip's ExternalReference names (file:// URL or plain path), if any."""
    import opentimelineio as otio

    reference = clip.media_reference
    if not isinstance(reference, otio.schema.ExternalReference) or not reference.target_url:
        return None
    url = reference.target_url
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:  # http: and friends (a one-letter scheme is a drive)
        return None
    return Path(url)


def require_media(resolve_media: ResolveMedia, clip: otio.schema.Clip) -> Path:
    """The clip's file by `resolve_media`, absolute; MediaError when the resolver finds none."""
    path = resolve_media(clip)
    if path is None:
        raise MediaError(f"The media of clip '{clip.name}' is missing; import the file again or remove the clip.")
    return Path(path).resolve()
