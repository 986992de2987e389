"""Takes: every item of the library grid, generated or imported; lineage and prompt search."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.errors import LibraryError
from studio.library.records import TAKE_STATUSES, Lineage, TakeRecord, TakeSort
from studio.recipe import Recipe

if TYPE_CHECKING:
    from studio.library.database import Database

_WORD = re.compile(r"\w+", re.UNICODE)


def _prompt(take: TakeRecord) -> str:
    """The take's prompt as its row stores it (imported files without a recipe have none)."""
    return take.recipe.prompt if take.recipe else ""


_KEPT_SHARED = "another take in the library uses the same file"


@dataclass(frozen=True)
class DeletedTake:
    """What deleting a take did: the projects whose clips of it were detached, and whether its file went."""

    take_id: int
    projects: tuple[str, ...]
    file_deleted: bool
    file_kept_reason: str = ""


@dataclass(frozen=True)
class _Order:
    """One sort order: its ORDER BY, and the keyset condition "after this (key, id)" with the key's source."""

    order_by: str
    after: str
    key: Callable[[TakeRecord], tuple[Any, ...]]


# Each ORDER BY walks one index (see migrations 1, 5 and 6) so a page never sorts the table; paging
# starts after the previous page's last (key, id) instead of skipping rows with OFFSET.
_ORDERS: dict[TakeSort, _Order] = {
    TakeSort.NEWEST: _Order("id DESC", "id < ?", lambda t: (t.id,)),
    TakeSort.OLDEST: _Order("id ASC", "id > ?", lambda t: (t.id,)),
    # Spelled out rather than as row values "(key, id) < (?, ?)": SQLite seeks the index with the
    # first term; with a row value over a COLLATE key it scans from the start instead.
    TakeSort.LONGEST: _Order("duration DESC, id DESC", "duration <= ? AND (duration < ? OR id < ?)",
                             lambda t: (t.duration, t.duration, t.id)),
    TakeSort.PROMPT: _Order("prompt COLLATE NOCASE ASC, id ASC",
                            "prompt COLLATE NOCASE >= ? AND (prompt COLLATE NOCASE > ? OR id > ?)",
                            lambda t: (_prompt(t), _prompt(t), t.id)),
}


def fts_query(text: str) -> str | None:
    """A safe FTS5 query from what a user typed: every word must match, the last one as a prefix.

    Quoting each word keeps FTS5 syntax (quotes, AND/OR, column filters) from being interpreted.
    """
    words = _WORD.findall(text)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


class TakesMixin:
    """Take methods of `Library` (uses its `_db` and the media methods `_store_media`, `_insert_media_row`)."""

    _db: Database

    # --- writing ------------------------------------------------------------------------------

    def create_take(self, recipe: Recipe, *, parent_take_id: int | None = None, remix_kind: str | None = None,
                    project_id: int | None = None) -> TakeRecord:
        """Record a take to generate (status "queued", origin "generated")."""
        with self._db.transaction():
            if parent_take_id is not None:
                self.take(parent_take_id)
            take_id = self._db.utils["takes"].insert({
                "origin": "generated", "title": "", "prompt": recipe.prompt, "model_id": recipe.model_id,
                "recipe_json": json.dumps(recipe.to_dict()), "status": "queued",
                "parent_take_id": parent_take_id, "remix_kind": remix_kind, "project_id": project_id,
                "created_at": time.time(), "timings_json": "{}",
            }).last_pk
        return self.take(take_id)

    def add_imported_take(self, media_id: int, *, title: str, recipe: Recipe | None = None,
                          parent_take_id: int | None = None) -> TakeRecord:
        """Record an imported file as a finished take (status "done", origin "imported")."""
        now = time.time()
        with self._db.transaction():
            if self._db.query_one("SELECT id FROM media WHERE id = ?", (media_id,)) is None:
                raise LibraryError(f"There is no media {media_id} in this library.")
            take_id = self._db.utils["takes"].insert({
                "origin": "imported", "title": title, "prompt": recipe.prompt if recipe else "",
                "model_id": recipe.model_id if recipe else None,
                "recipe_json": json.dumps(recipe.to_dict()) if recipe else None, "status": "done",
                "media_id": media_id, "parent_take_id": parent_take_id, "created_at": now,
                "finished_at": now, "timings_json": "{}",
            }).last_pk
        return self.take(take_id)

    def update_take(self, take_id: int, *, status: str | None = None, error: str | None = None,
                    timings: dict[str, float] | None = None, recipe: Recipe | None = None) -> TakeRecord:
        """Change a take's status (stamping started/finished times), error, timings or recipe."""
        changes: dict[str, Any] = {}
        now = time.time()
        if status is not None:
            if status not in TAKE_STATUSES:
                raise LibraryError(f"Unknown take status '{status}' (one of: {', '.join(TAKE_STATUSES)}).")
            changes["status"] = status
            if status == "running":
                changes["started_at"] = now
            elif status in ("done", "failed", "canceled"):
                changes["finished_at"] = now
        if error is not None:
            changes["error"] = error
        if timings is not None:
            changes["timings_json"] = json.dumps(timings)
        if recipe is not None:
            changes.update(recipe_json=json.dumps(recipe.to_dict()), prompt=recipe.prompt, model_id=recipe.model_id)
        with self._db.transaction():
            self.take(take_id)
            if changes:
                self._db.utils["takes"].update(take_id, changes)
        return self.take(take_id)

    def complete_take(self, take_id: int, media_file: Path, *, recipe: Recipe, timings: dict[str, float],
                      poster_file: Path | None = None) -> TakeRecord:
        """Store a finished take's file (and poster) and mark it done, all in one transaction.

        The files are copied into the store first (outside the lock: copying can be slow); the
        rows and the take change together. The take's running, pending or paused jobs become "done": a pause
        written by another process after the last denoising step arrives too late to stop the job, and a done
        take must not keep a paused job that Resume would run again.
        """
        self.take(take_id)
        media = self._store_media(Path(media_file))
        poster = self._store_media(Path(poster_file)) if poster_file is not None else None
        with self._db.transaction() as conn:
            media_record = self._insert_media_row(conn, *media, Path(media_file).name, None)
            poster_id = self._insert_media_row(conn, *poster, Path(poster_file).name, None).id if poster else None
            self._db.utils["takes"].update(take_id, {
                "status": "done", "error": None, "media_id": media_record.id, "poster_media_id": poster_id,
                "recipe_json": json.dumps(recipe.to_dict()), "prompt": recipe.prompt, "model_id": recipe.model_id,
                "timings_json": json.dumps(timings), "finished_at": time.time(),
            })
            conn.execute("UPDATE jobs SET status = 'done', updated_at = ? WHERE take_id = ? "
                         "AND status IN ('pending', 'running', 'paused')", (time.time(), take_id))
        return self.take(take_id)

    def set_favorite(self, take_id: int, favorite: bool = True) -> None:
        with self._db.transaction():
            self.take(take_id)
            self._db.utils["takes"].update(take_id, {"favorite": int(favorite)})

    def take_usage(self, take_id: int) -> DeletedTake:
        """What `delete_take` would do now (for the confirmation): the same report, nothing changed."""
        take = self.take(take_id)
        shared = take.media_id is not None and self._media_shared(take_id, take.media_id)
        return DeletedTake(take_id, tuple(p.name for p in self.projects_using_take(take_id)),
                           file_deleted=take.media_id is not None and not shared,
                           file_kept_reason=_KEPT_SHARED if shared else "")

    def _media_shared(self, take_id: int, media_id: int) -> bool:
        return self._db.query_one("SELECT 1 FROM takes WHERE id != ? AND (media_id = ? OR poster_media_id = ?)",
                                  (take_id, media_id, media_id)) is not None

    def delete_take(self, take_id: int) -> DeletedTake:
        """Remove a take (its jobs go with it; its children keep living without a parent).

        Projects whose timeline shows the take keep their clips, detached from it: offline when
        the media file goes too (studio.project.offline). The media row and its file are deleted
        when no other take shows the same bytes; otherwise the file stays and the report says so.
        """
        from studio.library.timeline_format import mark_take_deleted

        with self._db.transaction() as conn:
            take = self.take(take_id)
            if conn.execute("SELECT 1 FROM jobs WHERE take_id = ? AND status = 'running'", (take_id,)).fetchone():
                raise LibraryError(f"Take {take_id} is being generated; cancel it before deleting it.")
            media_ids = {m for m in (take.media_id, take.poster_media_id) if m is not None}
            shared = {m for m in media_ids if self._media_shared(take_id, m)}
            media_gone = take.media_id is not None and take.media_id not in shared
            projects = []
            for project in self.projects_using_take(take_id):
                timeline = self.load_timeline(project.id)
                if mark_take_deleted(timeline, take_id, media_gone=media_gone):
                    self.save_timeline(project.id, timeline)
                    projects.append(project.name)
            doomed = [self.media(m) for m in media_ids - shared]
            conn.execute("DELETE FROM takes WHERE id = ?", (take_id,))
            for record in doomed:
                conn.execute("DELETE FROM media WHERE id = ?", (record.id,))
        # After the commit: a crash before this line leaves a stray file (reconcile finds it), never a
        # row without its file.
        for record in doomed:
            self.media_path(record).unlink(missing_ok=True)
        return DeletedTake(take_id, tuple(projects), file_deleted=media_gone,
                           file_kept_reason="" if media_gone or take.media_id is None
                           else _KEPT_SHARED)

    # --- reading ------------------------------------------------------------------------------

    def take(self, take_id: int) -> TakeRecord:
        row = self._db.query_one("SELECT * FROM takes WHERE id = ?", (take_id,))
        if row is None:
            raise LibraryError(f"There is no take {take_id} in this library (see `kinora library list`).")
        return TakeRecord.from_row(row)

    def takes_touched_since(self, since: float) -> tuple[list[int], float]:
        """Ids of takes made, started or finished after `since` (a time from a previous call, 0 for all
        time), and the time to pass next: how a window hears of takes another process works on."""
        rows = self._db.query(
            "SELECT id, max(created_at, coalesce(started_at, 0), coalesce(finished_at, 0)) AS touched FROM takes "
            "WHERE created_at > ? OR started_at > ? OR finished_at > ? ORDER BY id", (since, since, since))
        return [r["id"] for r in rows], max([since] + [r["touched"] for r in rows])

    def take_with_recipe(self, recipe: Recipe) -> TakeRecord | None:
        """The finished generated take made by exactly this recipe (newest), if the library has one."""
        rows = self._db.query("SELECT * FROM takes WHERE origin = 'generated' AND status = 'done' AND prompt = ? "
                              "AND model_id IS ? ORDER BY id DESC", (recipe.prompt, recipe.model_id))
        return next((t for t in map(TakeRecord.from_row, rows) if t.recipe == recipe), None)

    def takes_for_media(self, media_id: int) -> list[TakeRecord]:
        """Takes showing the media `media_id`, oldest first."""
        rows = self._db.query("SELECT * FROM takes WHERE media_id = ? ORDER BY id", (media_id,))
        return [TakeRecord.from_row(r) for r in rows]

    def _filters(self, status: str | None, favorites: bool, model_id: str | None,
                 created_after: float | None = None) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if favorites:
            where.append("favorite = 1")
        if model_id is not None:
            where.append("model_id = ?")
            params.append(model_id)
        if created_after is not None:
            where.append("created_at >= ?")
            params.append(created_after)
        return where, params

    def list_takes(self, *, limit: int = 200, before_id: int | None = None, status: str | None = None,
                   favorites: bool = False, model_id: str | None = None, sort: TakeSort | str = TakeSort.NEWEST,
                   after: TakeRecord | None = None, created_after: float | None = None) -> list[TakeRecord]:
        """One page of takes in the order `sort` (newest first unless told), filtered.

        Page on with `after` = the last take of the previous page: the next page starts right after
        its (sort key, id), so paging stays fast at any depth and never repeats or skips a take.
        `before_id` (the last id of the previous page) still works: newest first it needs no lookup;
        in another order that take is looked up, so it must still exist. `created_after` (Unix
        seconds) keeps takes made since then.
        """
        sort = self._sort(sort)
        order = _ORDERS[sort]
        cursor: tuple[Any, ...] | None = None
        if after is not None:
            cursor = order.key(after)
        elif before_id is not None:
            cursor = (before_id,) if sort is TakeSort.NEWEST else order.key(self.take(before_id))
        where, params = self._filters(status, favorites, model_id, created_after)
        if cursor is not None:
            where.append(order.after)
            params.extend(cursor)
        sql = "SELECT * FROM takes" + (" WHERE " + " AND ".join(where) if where else "")
        rows = self._db.query_dicts(f"{sql} ORDER BY {order.order_by} LIMIT ?", (*params, limit))
        return [TakeRecord.from_row(r) for r in rows]

    @staticmethod
    def _sort(sort: TakeSort | str) -> TakeSort:
        try:
            return TakeSort(sort)
        except ValueError:
            names = ", ".join(s.value for s in TakeSort)
            raise LibraryError(f"Unknown sort '{sort}' (one of: {names}).") from None

    def count_takes(self, *, status: str | None = None, favorites: bool = False, model_id: str | None = None,
                    created_after: float | None = None) -> int:
        where, params = self._filters(status, favorites, model_id, created_after)
        sql = "SELECT count(*) FROM takes" + (" WHERE " + " AND ".join(where) if where else "")
        return int(self._db.query_one(sql, params)[0])

    def search_takes(self, query: str, limit: int = 200, *, sort: TakeSort | str = TakeSort.NEWEST) -> list[TakeRecord]:
        """Takes whose prompt or title holds every word of `query` (the last as a prefix).

        Newest or oldest first, the `limit` newest (oldest) matches are read straight off the index;
        by length or prompt, every match is sorted and the first `limit` kept.
        """
        sort = self._sort(sort)
        match = fts_query(query)
        if match is None:
            return []
        order = _ORDERS[sort]
        if sort in (TakeSort.NEWEST, TakeSort.OLDEST):
            direction = "DESC" if sort is TakeSort.NEWEST else "ASC"
            sql = ("SELECT * FROM takes WHERE id IN (SELECT rowid FROM takes_fts WHERE takes_fts MATCH ? "
                   f"ORDER BY rowid {direction} LIMIT ?) ORDER BY {order.order_by}")
        else:
            sql = ("SELECT * FROM takes WHERE id IN (SELECT rowid FROM takes_fts WHERE takes_fts MATCH ?) "
                   f"ORDER BY {order.order_by} LIMIT ?")
        rows = self._db.query_dicts(sql, (match, limit))
        return [TakeRecord.from_row(r) for r in rows]

    def lineage(self, take_id: int) -> Lineage:
        """The take's ancestors (nearest first) and descendants (oldest first)."""
        self.take(take_id)
        ancestors = self._db.query(
            """WITH RECURSIVE up(id, depth) AS (
                   SELECT parent_take_id, 1 FROM takes WHERE id = ? AND parent_take_id IS NOT NULL
                   UNION ALL
                   SELECT t.parent_take_id, up.depth + 1 FROM takes t JOIN up ON t.id = up.id
                   WHERE t.parent_take_id IS NOT NULL AND up.depth < 1000)
               SELECT takes.* FROM up JOIN takes ON takes.id = up.id ORDER BY up.depth""", (take_id,))
        descendants = self._db.query(
            """WITH RECURSIVE down(id, depth) AS (
                   SELECT id, 1 FROM takes WHERE parent_take_id = ?
                   UNION ALL
                   SELECT t.id, down.depth + 1 FROM takes t JOIN down ON t.parent_take_id = down.id
                   WHERE down.depth < 1000)
               SELECT takes.* FROM down JOIN takes ON takes.id = down.id ORDER BY takes.id""", (take_id,))
        return Lineage([TakeRecord.from_row(r) for r in ancestors], [TakeRecord.from_row(r) for r in descendants])
