"""Projects: a name and an OTIO timeline (as JSON) in SQLite, with autosave and manual snapshots.

Snapshots follow tiered retention: manual ones are kept; autosaves are kept dense while recent and
thinned as they age (every one for an hour, one an hour for a day, one a day for a month).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from studio.errors import LibraryError
from studio.library.records import SNAPSHOT_KINDS, ProjectRecord, SnapshotRecord
from studio.library.schema_check import check_timeline_json
from studio.library.timeline_format import new_timeline

if TYPE_CHECKING:
    import opentimelineio as otio

    from studio.library.database import Database

HOUR = 3600.0
DAY = 24 * HOUR
# (age up to, keep one per bucket of): autosaves older than the last tier are dropped.
RETENTION_TIERS: tuple[tuple[float, float], ...] = ((HOUR, 0.0), (DAY, HOUR), (30 * DAY, DAY))


def snapshots_to_prune(snapshots: Iterable[SnapshotRecord], now: float) -> list[int]:
    """Ids of autosaves that tiered retention drops. The newest autosave is always kept."""
    autosaves = sorted((s for s in snapshots if s.kind == "autosave"), key=lambda s: s.created_at, reverse=True)
    keep: set[int] = {autosaves[0].id} if autosaves else set()
    seen_buckets: set[tuple[int, int]] = set()
    for snap in autosaves:
        age = now - snap.created_at
        for tier, (limit, bucket) in enumerate(RETENTION_TIERS):
            if age <= limit:
                if bucket == 0.0:
                    keep.add(snap.id)
                else:
                    key = (tier, int(snap.created_at // bucket))
                    if key not in seen_buckets:  # newest first: the first seen in a bucket stays
                        seen_buckets.add(key)
                        keep.add(snap.id)
                break
    return [s.id for s in autosaves if s.id not in keep]


def timeline_from_json(text: str, source: str) -> otio.schema.Timeline:
    # Checked like a file from elsewhere: the database may have been written by another tool or version, and
    # a malformed timeline must become a ProjectError naming it, not a crash in OTIO's C++ core.
    return check_timeline_json(text, source)


class ProjectsMixin:
    """Project methods of `Library`."""

    _db: Database

    def create_project(self, name: str, timeline: otio.schema.Timeline | None = None) -> ProjectRecord:
        """A new project with an empty timeline (tracks V1 and A1), or the one given."""
        name = name.strip()
        if not name:
            raise LibraryError("A project needs a name.")
        timeline = timeline if timeline is not None else new_timeline(name)
        now = time.time()
        with self._db.transaction():
            project_id = self._db.utils["projects"].insert({
                "name": name, "timeline_json": timeline.to_json_string(), "created_at": now, "updated_at": now,
                "saved_at": now}).last_pk
        return self.project(project_id)

    def project(self, project_id: int) -> ProjectRecord:
        row = self._db.query_one("SELECT id, name, created_at, updated_at, saved_at FROM projects WHERE id = ?",
                                 (project_id,))
        if row is None:
            raise LibraryError(f"There is no project {project_id} in this library (see `kinora project list`).")
        return ProjectRecord.from_row(row)

    def list_projects(self) -> list[ProjectRecord]:
        """Projects, most recently changed first."""
        rows = self._db.query("SELECT id, name, created_at, updated_at, saved_at FROM projects "
                              "ORDER BY updated_at DESC, id DESC")
        return [ProjectRecord.from_row(r) for r in rows]

    def rename_project(self, project_id: int, name: str) -> None:
        if not name.strip():
            raise LibraryError("A project needs a name.")
        with self._db.transaction():
            self.project(project_id)
            self._db.utils["projects"].update(project_id, {"name": name.strip(), "updated_at": time.time()})

    def delete_project(self, project_id: int) -> None:
        with self._db.transaction() as conn:
            self.project(project_id)
            conn.execute("DELETE FROM projects WHERE id = ?", (project_id,))

    def project_from_source(self, sha256: str) -> ProjectRecord | None:
        """The project made before from a project file with these bytes (`source_sha256`), newest first."""
        from studio.library.timeline_format import KINORA_KEY

        rows = self._db.query("SELECT id FROM projects WHERE timeline_json LIKE ? ORDER BY updated_at DESC",
                              (f"%{sha256}%",))
        for row in rows:
            stored = self.load_timeline(row["id"])  # held: its metadata dies with it
            if (stored.metadata.get(KINORA_KEY) or {}).get("source_sha256") == sha256:
                return self.project(row["id"])
        return None

    def projects_using_take(self, take_id: int) -> list[ProjectRecord]:
        """Projects whose saved timeline has a clip of take `take_id` (what deleting the take would touch)."""
        from studio.library.timeline_format import clips_of_take

        # A cheap text filter first; every candidate is confirmed on its parsed timeline.
        rows = self._db.query("SELECT id FROM projects WHERE timeline_json LIKE ? ORDER BY updated_at DESC",
                              (f'%"take_id": {int(take_id)}%',))
        return [self.project(r["id"]) for r in rows if clips_of_take(self.load_timeline(r["id"]), take_id)]

    def load_timeline(self, project_id: int) -> otio.schema.Timeline:
        row = self._db.query_one("SELECT timeline_json FROM projects WHERE id = ?", (project_id,))
        if row is None:
            raise LibraryError(f"There is no project {project_id} in this library.")
        return timeline_from_json(row["timeline_json"], f"The stored timeline of project {project_id}")

    def save_timeline(self, project_id: int, timeline: otio.schema.Timeline) -> None:
        """Make `timeline` the project's saved edit."""
        text = timeline.to_json_string()
        now = time.time()
        with self._db.transaction():
            self.project(project_id)
            self._db.utils["projects"].update(project_id, {"timeline_json": text, "updated_at": now, "saved_at": now})

    def snapshot_project(self, project_id: int, kind: str = "autosave",
                         timeline: otio.schema.Timeline | None = None) -> SnapshotRecord:
        """Keep a version of the project: `timeline` (the unsaved edit, for autosave) or the saved one.

        Autosaves past their tier are pruned in the same transaction.
        """
        if kind not in SNAPSHOT_KINDS:
            raise LibraryError(f"Unknown snapshot kind '{kind}' (one of: {', '.join(SNAPSHOT_KINDS)}).")
        now = time.time()
        with self._db.transaction() as conn:
            self.project(project_id)
            text = (timeline.to_json_string() if timeline is not None else
                    conn.execute("SELECT timeline_json FROM projects WHERE id = ?", (project_id,)).fetchone()[0])
            snap_id = self._db.utils["project_snapshots"].insert({
                "project_id": project_id, "kind": kind, "timeline_json": text, "created_at": now}).last_pk
            for old in snapshots_to_prune(self.list_snapshots(project_id), now):
                conn.execute("DELETE FROM project_snapshots WHERE id = ?", (old,))
        return self._snapshot(snap_id)

    def _snapshot(self, snapshot_id: int) -> SnapshotRecord:
        row = self._db.query_one("SELECT id, project_id, kind, created_at FROM project_snapshots WHERE id = ?",
                                 (snapshot_id,))
        if row is None:
            raise LibraryError(f"There is no snapshot {snapshot_id}.")
        return SnapshotRecord.from_row(row)

    def list_snapshots(self, project_id: int) -> list[SnapshotRecord]:
        """The project's snapshots, newest first."""
        rows = self._db.query("SELECT id, project_id, kind, created_at FROM project_snapshots WHERE project_id = ? "
                              "ORDER BY created_at DESC, id DESC", (project_id,))
        return [SnapshotRecord.from_row(r) for r in rows]

    def load_snapshot(self, snapshot_id: int) -> otio.schema.Timeline:
        row = self._db.query_one("SELECT timeline_json FROM project_snapshots WHERE id = ?", (snapshot_id,))
        if row is None:
            raise LibraryError(f"There is no snapshot {snapshot_id}.")
        return timeline_from_json(row["timeline_json"], f"Snapshot {snapshot_id}")

    def latest_autosave_newer_than_save(self, project_id: int) -> SnapshotRecord | None:
        """The autosave to offer for recovery after a crash: the newest one made after the last save."""
        project = self.project(project_id)
        row = self._db.query_one(
            "SELECT id, project_id, kind, created_at FROM project_snapshots WHERE project_id = ? AND kind = 'autosave' "
            "AND created_at > ? ORDER BY created_at DESC, id DESC LIMIT 1", (project_id, project.saved_at or 0.0))
        return SnapshotRecord.from_row(row) if row else None
