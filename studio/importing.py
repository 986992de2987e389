"""The one import service: a media file into the library as a take, the same from the CLI, a drop on
the window or the timeline, and the API.

Copying the bytes into the store, making the take (titled by the file's name without its extension),
and keeping the file's Content Credentials (a Kinora recipe makes the take remixable) happen here
once. Importing the same bytes again finds the take made the first time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.library.library import Library
    from studio.library.records import TakeRecord
    from studio.provenance.reader import CredentialsReport
    from studio.recipe import Recipe


@dataclass(frozen=True)
class Imported:
    """A media file brought into the library: its take, whether it was there already, and what its
    Content Credentials say (None where the format carries none, or it was there already)."""

    take: TakeRecord
    already_there: bool
    credentials: CredentialsReport | None


def import_file(lib: Library, path: Path | str) -> Imported:
    """Import one media file (run it off the GUI thread); the library's or media layer's error names a
    file it cannot take."""
    from studio.provenance.importing import record_credentials

    path = Path(path)
    media = lib.import_media(path)
    existing = lib.takes_for_media(media.id)
    if existing:
        return Imported(existing[0], True, None)
    take = lib.add_imported_take(media.id, title=path.stem)
    report = record_credentials(lib, take)
    return Imported(lib.take(take.id), False, report)


def adopt_recipe_images(lib: Library, recipe: Recipe) -> Recipe:
    """The recipe with its conditioning image and keyframes copied into the library's store and named
    there, so the take never depends on a file outside the library (which may move or vanish)."""
    def stored(name: str) -> str:
        path = Path(name)
        if path.is_file() and not path.resolve().is_relative_to(lib.root.resolve()):
            return str(lib.media_path(lib.import_media(path)))
        return name

    if not recipe.image and not recipe.keyframes:
        return recipe
    return recipe.replace(image=stored(recipe.image) if recipe.image else recipe.image,
                          keyframes=tuple(stored(k) for k in recipe.keyframes))
