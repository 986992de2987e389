"""What the library grid shows (search text and filters) and how one page of it is loaded.

The library sorts and pages: each page starts after the last take of the previous one
(`list_takes(sort=..., after=...)`), a (sort key, id) cursor, so paging stays fast at any depth.

Loading runs on a worker thread: it may query the database and look up each take's media.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.library.records import TakeSort

if TYPE_CHECKING:
    from studio.library import Library, TakeRecord


PAGE_SIZE = 200
SEARCH_LIMIT = 1000  # full-text search is not paged by the library; this many best matches

# Date filter choices: label -> age in days (None: any date).
DATE_FILTERS: dict[str, float | None] = {"Any date": None, "Today": 1, "Past week": 7, "Past month": 31}

# Sort choices, as the Sort box lists them.
SORTS: dict[str, TakeSort] = {"Newest first": TakeSort.NEWEST, "Oldest first": TakeSort.OLDEST,
                              "Longest first": TakeSort.LONGEST, "Prompt A–Z": TakeSort.PROMPT}


@dataclass(frozen=True)
class LibraryQuery:
    """The grid's current view of the library."""

    text: str = ""
    favorites: bool = False
    failed: bool = False
    model_id: str | None = None
    max_age_days: float | None = None
    sort: TakeSort = TakeSort.NEWEST


@dataclass
class TakeItem:
    """One cell of the grid: the take plus what the grid needs about its media file."""

    take: TakeRecord
    media_path: Path | None = None
    sha256: str | None = None
    duration: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def take_id(self) -> int:
        return int(self.take.id)


@dataclass
class Page:
    """Items of one page, whether more pages may follow, and the take the next page starts after."""

    items: list[TakeItem]
    exhausted: bool
    last: Any = None  # the last take the library returned (the paging cursor), whether shown or not


def created_seconds(value: Any) -> float:
    """A record's created_at as Unix seconds (the library may store a number or ISO text)."""
    if value is None:
        return 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return 0.0


def _keep(query: LibraryQuery, take: TakeRecord, cutoff: float | None) -> bool:
    """Filters full-text search does not apply itself."""
    if query.favorites and not take.favorite:
        return False
    if query.failed and take.status != "failed":
        return False
    if query.model_id and (take.recipe is None or take.recipe.model_id != query.model_id):
        return False
    return cutoff is None or created_seconds(take.created_at) >= cutoff


def load_page(lib: Library, query: LibraryQuery, after: TakeRecord | None, page_size: int = PAGE_SIZE) -> Page:
    """Load the page of takes after the take `after` (None: the first page). Runs off the GUI thread."""
    cutoff = time.time() - query.max_age_days * 86400 if query.max_age_days is not None else None
    if query.text.strip():
        if after is not None:
            return Page([], True)
        takes = lib.search_takes(query.text.strip(), limit=SEARCH_LIMIT, sort=query.sort)
        return Page([describe_take(lib, take) for take in takes if _keep(query, take, cutoff)], True)
    takes = lib.list_takes(limit=page_size, after=after, sort=query.sort, status="failed" if query.failed else None,
                           favorites=query.favorites, model_id=query.model_id or None, created_after=cutoff)
    return Page([describe_take(lib, take) for take in takes], len(takes) < page_size, takes[-1] if takes else after)


def describe_take(lib: Library, take: TakeRecord) -> TakeItem:
    """Attach the media file, its hash and duration to a take (for posters and the duration label)."""
    item = TakeItem(take=take)
    if take.recipe is not None:
        item.duration = float(take.recipe.seconds)
    if take.media_id is not None:
        media = lib.media(take.media_id)
        if media is not None:
            item.sha256 = media.sha256
            item.media_path = Path(lib.media_path(media))
            if media.duration:
                item.duration = float(media.duration)
    return item
