"""When a file is imported, keep its Content Credentials and make a Kinora recipe remixable.

`record_credentials(lib, take)` is called by `kinora import` and the studio's drop handler
right after `lib.add_imported_take(...)`. It never blocks an import: a file whose format cannot
carry credentials simply has none.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

from studio.errors import ProvenanceError
from studio.provenance.reader import UNTRUSTED, VALID, CredentialsReport, read_credentials
from studio.recipe import Recipe

log = logging.getLogger(__name__)


# What this module needs of the library and its records. Provenance sits below the library
# (DESIGN.md), so it names the calls it makes instead of importing `Library`; the library satisfies them.
class ImportedTake(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def media_id(self) -> int | None: ...
    @property
    def recipe(self) -> Recipe | None: ...


class CredentialsStore(Protocol):
    def media(self, media_id: int) -> Any: ...
    def media_path(self, record: Any) -> Path: ...
    def set_media_provenance(self, media_id: int, manifest_json: str | None) -> None: ...
    def update_take(self, take_id: int, *, recipe: Recipe | None = None) -> Any: ...


def record_credentials(lib: CredentialsStore, take: ImportedTake) -> CredentialsReport | None:
    """Read the imported take's file; store its manifest JSON on the media row and, when it
    carries an intact Kinora recipe and the take has none, give the take that recipe (so Remix works).

    Returns the report (state "none" for a file without credentials), or None when the file's
    format cannot carry credentials or the take has no media.
    """
    if take.media_id is None:
        return None
    media = lib.media(take.media_id)
    try:
        report = read_credentials(lib.media_path(media))
    except ProvenanceError as exc:
        log.info("no credentials read from take %s: %s", take.id, exc)
        return None
    if not report.has_credentials:
        return report
    lib.set_media_provenance(media.id, report.manifest_json)
    # A recipe from a file changed after signing is not what made it: it is shown, never adopted.
    if report.recipe is not None and take.recipe is None and report.state in (VALID, UNTRUSTED):
        lib.update_take(take.id, recipe=portable_recipe(report.recipe, report))
    return report


def portable_recipe(recipe: Recipe, report: CredentialsReport) -> Recipe:
    """The recipe as it reads in *this* library: a take id from the sender's library means
    nothing here, so it is dropped, and the parent is named by its file title instead."""
    if recipe.source_take_id is None:
        return recipe
    parent = next((i.title for i in report.ingredients if i.relationship == "parentOf"), None)
    return recipe.replace(source_take_id=None, source_path=recipe.source_path or parent or "parent clip")
