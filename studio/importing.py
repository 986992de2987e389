"""The one import service: a media file into the library as a take, the same from the CLI, a drop on
the window or the timeline, and the API; and what a drop (or File > Import) brings in (`plan_drop`).

Copying the bytes into the store, making the take (titled by the file's name without its extension),
and keeping the file's Content Credentials (a Kinora recipe makes the take remixable) happen here
once. Importing the same bytes again finds the take made the first time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.library.library import Library
    from studio.library.records import TakeRecord
    from studio.provenance.reader import CredentialsReport
    from studio.recipe import Recipe

MEDIA_SUFFIXES = frozenset({
    ".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi",  # video
    ".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus",  # audio
    ".png", ".jpg", ".jpeg", ".webp", ".bmp",  # stills
})


@dataclass
class DropPlan:
    """Dropped paths sorted: project files open, media files import, the rest is refused."""

    projects: list[Path] = field(default_factory=list)
    media: list[Path] = field(default_factory=list)
    refused: list[Path] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.projects and not self.media

    def refusal(self) -> str:
        """A message naming what was refused and what is accepted."""
        names = ", ".join(p.name for p in self.refused[:3]) + ("…" if len(self.refused) > 3 else "")
        return (f"Kinora cannot open {names}: drop a project (.otio, .otioz) or a video, audio or image file "
                f"({', '.join(sorted(s.lstrip('.') for s in MEDIA_SUFFIXES))}).")


def plan_drop(paths: list[Path]) -> DropPlan:
    """Sort dropped paths by what Kinora does with them (by extension, cheap enough for the GUI thread;
    content is checked on import)."""
    from studio.project.files import PROJECT_SUFFIXES  # one list: what the CLI opens, the window opens

    plan = DropPlan()
    for path in paths:
        suffix = path.suffix.lower()
        if suffix in PROJECT_SUFFIXES:
            plan.projects.append(path)
        elif suffix in MEDIA_SUFFIXES and not path.is_dir():
            plan.media.append(path)
        else:
            plan.refused.append(path)
    return plan


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
