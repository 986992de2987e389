"""The SQLite catalog: takes, media (content-addressed store), jobs, projects, lineage, search."""

from studio.library.library import Library
from studio.library.records import JobRecord, Lineage, MediaRecord, ProjectRecord, SnapshotRecord, TakeRecord

__all__ = ["Library", "JobRecord", "Lineage", "MediaRecord", "ProjectRecord", "SnapshotRecord", "TakeRecord"]
