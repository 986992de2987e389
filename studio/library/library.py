"""`Library`: one folder holding library.db, the media store and caches.

Opening a library makes what is missing, migrates the schema (after a backup), marks media whose
file has gone as missing, and pauses jobs a crash interrupted. Every method may be called from
any thread.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING

from studio.errors import LibraryError
from studio.library.database import SCHEMA_VERSION, Database
from studio.library.jobs import JobsMixin
from studio.library.media_store import MEDIA_DIR, MediaFacts, MediaStore, StoredFile, media_facts, sha256_of
from studio.library.owner import Owner
from studio.library.projects import ProjectsMixin
from studio.library.records import MediaRecord
from studio.library.takes import TakesMixin
from studio.library.timeline_format import kinora_data
from studio.media.resolver import file_path_of
from studio.scratch import sweep_library

if TYPE_CHECKING:
    import opentimelineio as otio

DB_NAME = "library.db"
OWNER_LOCK = ".owner.lock"
RACY_NS = 2_000_000_000  # folder times this close to now are not trusted (FAT and HFS+ keep 1-2 s)


class Library(TakesMixin, JobsMixin, ProjectsMixin):
    """A Kinora library. Use `Library.open(folder)`; close it (or use `with`)."""

    def __init__(self, root: Path, database: Database, owner_lock: IO[bytes] | None) -> None:
        self.root = root
        self.cache_dir = root / "cache"
        self._db = database
        self._store = MediaStore(root)
        self._owner_lock = owner_lock
        self._session: Owner | None = None
        self._session_lock = threading.Lock()
        self.last_backup: Path | None = None

    @classmethod
    def open(cls, folder: Path | str | None = None, *, recover_jobs: bool = True) -> Library:
        """Open (creating if needed) the library in `folder` (default: studio.paths.resolve_library_dir()).

        recover_jobs=False: never pause interrupted jobs, even as the first opener (the studio's engine
        process opens the library after the studio and must leave its queue alone; on Windows, which has no
        owner lock, it would otherwise count as the first opener).
        """
        from studio.paths import resolve_library_dir

        root = Path(folder).expanduser() if folder is not None else resolve_library_dir()
        try:
            root.mkdir(parents=True, exist_ok=True)
            (root / "cache").mkdir(exist_ok=True)
        except OSError as exc:
            raise LibraryError(f"Cannot create the library folder {root}: {exc}. Choose another with --library.") from exc
        database = Database(root / DB_NAME)
        library = cls(root, database, _try_owner_lock(root))
        try:
            if database.user_version() != SCHEMA_VERSION:  # a current library is opened without the migrations
                from studio.library import migrations

                library.last_backup = migrations.migrate(database, root / "backups")
            sweep_library(root)  # temporary work of killed processes (a live owner's is kept)
            library.reconcile()
            if recover_jobs and library.is_owner:
                # Only the first process to open the library may decide its jobs were interrupted:
                # a CLI run beside the open studio must not pause the studio's queue.
                library.recover_interrupted_jobs()
        except BaseException:
            library.close()
            raise
        return library

    @property
    def is_owner(self) -> bool:
        """Whether this process opened the library first (and so runs its recovery)."""
        return self._owner_lock is not None

    @property
    def session(self) -> Owner:
        """Owns the jobs this handle queues or claims, until close(). Made on first use: its process start time
        needs psutil, which the studio window's launch does without."""
        with self._session_lock:
            if self._session is None:
                self._session = Owner.new()
            return self._session

    def close(self) -> None:
        with self._session_lock:
            if self._session is not None:
                self._session.end()
        self._db.close()
        if self._owner_lock is not None:
            self._owner_lock.close()  # closing the file releases the lock
            self._owner_lock = None

    def __enter__(self) -> Library:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def database(self) -> Database:
        """The database wrapper (for transactions spanning several calls)."""
        return self._db

    # --- media --------------------------------------------------------------------------------

    def import_media(self, path: Path | str, *, provenance_json: str | None = None) -> MediaRecord:
        """Copy a file into the media store (once per distinct content) and record it.

        Raises MediaError for a file that cannot be used (named, with what to do).
        """
        path = Path(path)
        stored, facts = self._store_media(path)
        with self._db.transaction() as conn:
            return self._insert_media_row(conn, stored, facts, path.name, provenance_json)

    def _store_media(self, path: Path) -> tuple[StoredFile, MediaFacts]:
        if path.is_dir():
            raise LibraryError(f"{path}: is a folder; name the files in it (e.g. {path}/*.mp4).")
        if not path.exists():
            raise LibraryError(f"{path}: no such file.")
        # Probe before hashing: a huge sparse or endless file is refused in milliseconds, not read in full.
        facts = media_facts(path)
        digest = sha256_of(path)
        known = self.media_by_sha256(digest)
        if known is not None and not known.missing:
            facts = MediaFacts(known.kind, known.duration, known.fps, known.width, known.height, known.sample_rate,
                               known.codec, known.audio_codec)
            return StoredFile(digest, known.relpath), facts
        return self._store.add(path, digest), facts

    def _insert_media_row(self, conn: sqlite3.Connection, stored: StoredFile, facts: MediaFacts,
                          original_name: str | None, provenance_json: str | None) -> MediaRecord:
        row = conn.execute("SELECT id FROM media WHERE sha256 = ?", (stored.sha256,)).fetchone()
        if row is not None:
            conn.execute("UPDATE media SET missing = 0, relpath = ?, provenance_json = coalesce(?, provenance_json) "
                         "WHERE id = ?", (stored.relpath, provenance_json, row["id"]))
            media_id = row["id"]
        else:
            media_id = self._db.utils["media"].insert({
                "sha256": stored.sha256, "relpath": stored.relpath, "kind": facts.kind, "duration": facts.duration,
                "fps": facts.fps, "width": facts.width, "height": facts.height, "sample_rate": facts.sample_rate,
                "codec": facts.codec, "audio_codec": facts.audio_codec, "missing": 0, "created_at": time.time(),
                "provenance_json": provenance_json, "original_name": original_name}).last_pk
        return self.media(media_id)

    def media(self, media_id: int) -> MediaRecord:
        row = self._db.query_one("SELECT * FROM media WHERE id = ?", (media_id,))
        if row is None:
            raise LibraryError(f"There is no media {media_id} in this library.")
        return MediaRecord.from_row(row)

    def media_by_sha256(self, sha256: str) -> MediaRecord | None:
        row = self._db.query_one("SELECT * FROM media WHERE sha256 = ?", (sha256,))
        return MediaRecord.from_row(row) if row else None

    def media_path(self, record: MediaRecord) -> Path:
        """Absolute path of a media file in the store."""
        return (self.root / record.relpath).resolve()

    def set_media_provenance(self, media_id: int, manifest_json: str | None) -> None:
        with self._db.transaction():
            self.media(media_id)
            self._db.utils["media"].update(media_id, {"provenance_json": manifest_json})

    def resolve_clip_media(self, clip: otio.schema.Clip) -> Path:
        """The file a timeline clip shows: its library media (by sha256) or its reference's local path.

        This is the `resolve_media` callable exports and bundles want. LibraryError if none exists.
        """
        sha = kinora_data(clip).get("media_sha256")
        if sha:
            record = self.media_by_sha256(sha)
            if record is not None and not record.missing:
                return self.media_path(record)
        path = file_path_of(clip)
        if path is not None and path.is_file():
            return path
        raise LibraryError(f"The media of clip '{clip.name}' is missing; import the file again or remove the clip.")

    def find_clip_media(self, clip: otio.schema.Clip) -> Path | None:
        """`resolve_clip_media`, with None for an offline clip: the resolver the Preview plays edits with."""
        try:
            return self.resolve_clip_media(clip)
        except LibraryError:
            return None

    # --- keeping rows and files in step --------------------------------------------------------

    def reconcile(self) -> int:
        """Mark media rows whose file is gone as missing (and found ones as present). Returns the
        number of missing media.

        Only the store's folders whose mtime changed since the last reconcile are listed (adding,
        removing or renaming a file changes its folder's mtime), so a file deleted by hand is
        still marked missing on the next open, and an unchanged 100,000-file store costs one
        stat per folder. When the media folder itself changed (a folder added or removed), or
        no times are recorded yet, every file is compared with every row.
        """
        top, subfolders = self._store.folder_times()
        known = dict(self._db.query("SELECT folder, mtime_ns FROM media_folders"))
        full = known.get(MEDIA_DIR) != top
        folders = list(subfolders) if full else [f for f, t in subfolders.items() if known.get(f) != t]
        if full or folders:
            self._reconcile_rows(self._store.files() if full else
                                 [rel for folder in folders for rel in self._store.files(folder)],
                                 None if full else folders)
            # A time within RACY_NS of now may still be shared by a change made just after we
            # listed (coarse file system clocks): leave it unrecorded so the next open looks again.
            fresh = time.time_ns() - RACY_NS
            seen = [(MEDIA_DIR, top), *((folder, subfolders[folder]) for folder in folders)]
            times = [(folder, mtime if mtime < fresh else None) for folder, mtime in seen]
            with self._db.transaction() as conn:
                if full:
                    conn.execute("DELETE FROM media_folders")
                conn.executemany("INSERT OR REPLACE INTO media_folders (folder, mtime_ns) VALUES (?, ?)", times)
        return int(self._db.query_one("SELECT count(*) FROM media WHERE missing = 1")[0])

    def _reconcile_rows(self, present_files: list[str], folders: list[str] | None) -> None:
        """Set `missing` on the media rows in `folders` (None: all rows) from the files present."""
        present = set(present_files)
        cursor = self._db.connection().cursor()
        cursor.row_factory = None  # plain tuples: this may see 100,000 rows
        if folders is None:
            rows = cursor.execute("SELECT id, relpath, missing FROM media").fetchall()
        else:
            rows = []
            for folder in folders:  # relpaths from "folder/" up to (not including) "folder0": '0' follows '/'
                rows += cursor.execute("SELECT id, relpath, missing FROM media WHERE relpath >= ? AND relpath < ?",
                                       (f"{folder}/", f"{folder}0")).fetchall()
        changed = [(int(gone), media_id) for media_id, relpath, was_missing in rows
                   if (gone := relpath not in present) != was_missing]
        if changed:
            with self._db.transaction() as conn:
                conn.executemany("UPDATE media SET missing = ? WHERE id = ?", changed)

    def stray_media_files(self) -> list[Path]:
        """Files in the media folder that no media row knows (left by a crash or copied in by hand)."""
        known = {r["relpath"] for r in self._db.query("SELECT relpath FROM media")}
        return sorted(self.root / rel for rel in self._store.files() if rel not in known)

    def backup(self) -> Path:
        """A consistent copy of library.db in backups/ (media files are not copied)."""
        from studio.library import migrations

        return migrations.backup(self._db, self.root / "backups", "manual")


def _try_owner_lock(root: Path) -> IO[bytes] | None:
    """Hold an exclusive lock on root/.owner.lock for as long as the library is open, if no one else does."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; behave as the only process
        return open(os.devnull, "rb")
    handle = open(root / OWNER_LOCK, "ab")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


__all__ = ["Library"]
