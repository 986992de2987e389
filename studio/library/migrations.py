"""Forward migrations of the library schema, in order, with a backup before they run.

The schema version is SQLite's `PRAGMA user_version`. Each migration takes the database from
version N-1 to N inside one transaction, so a failure leaves the previous version intact.
Before migrating a database that already holds a library, a copy is made with SQLite's online
backup API into `backups/` beside it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from studio.atomic import atomic_path
from studio.errors import LibraryError
from studio.library.database import SCHEMA_VERSION, Database


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    run: Callable[[sqlite3.Connection], None]


MIGRATIONS: list[Migration] = []


def migration(version: int, description: str) -> Callable[[Callable[[sqlite3.Connection], None]], Callable]:
    """Register a migration; versions must be consecutive from 1."""

    def register(func: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
        if version != len(MIGRATIONS) + 1:
            raise RuntimeError(f"Migration {version} registered out of order")
        MIGRATIONS.append(Migration(version, description, func))
        return func

    return register


def _run_all(conn: sqlite3.Connection, statements: list[str]) -> None:
    # Not executescript(): it would COMMIT the migration's transaction half-way.
    for statement in statements:
        conn.execute(statement)


@migration(1, "projects, snapshots, media, takes, jobs")
def _initial_schema(conn: sqlite3.Connection) -> None:
    _run_all(conn, [
        """CREATE TABLE projects (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            timeline_json TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            saved_at REAL)""",
        """CREATE TABLE project_snapshots (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('autosave', 'manual')),
            timeline_json TEXT NOT NULL,
            created_at REAL NOT NULL)""",
        "CREATE INDEX project_snapshots_by_project ON project_snapshots(project_id, created_at)",
        """CREATE TABLE media (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE,
            relpath TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('video', 'audio', 'image')),
            duration REAL, fps REAL, width INTEGER, height INTEGER,
            sample_rate INTEGER, codec TEXT, audio_codec TEXT,
            missing INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            provenance_json TEXT,
            original_name TEXT)""",
        """CREATE TABLE takes (
            id INTEGER PRIMARY KEY,
            origin TEXT NOT NULL CHECK (origin IN ('generated', 'imported')),
            title TEXT NOT NULL DEFAULT '',
            prompt TEXT NOT NULL DEFAULT '',
            model_id TEXT,
            recipe_json TEXT,
            status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'canceled')),
            error TEXT,
            media_id INTEGER REFERENCES media(id) ON DELETE SET NULL,
            poster_media_id INTEGER REFERENCES media(id) ON DELETE SET NULL,
            parent_take_id INTEGER REFERENCES takes(id) ON DELETE SET NULL,
            remix_kind TEXT,
            project_id INTEGER REFERENCES projects(id) ON DELETE SET NULL,
            favorite INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            started_at REAL,
            finished_at REAL,
            timings_json TEXT NOT NULL DEFAULT '{}')""",
        # The grid pages newest-first (by id) with optional filters: each index ends in id.
        "CREATE INDEX takes_by_status ON takes(status, id)",
        "CREATE INDEX takes_by_model ON takes(model_id, id)",
        "CREATE INDEX takes_favorites ON takes(favorite, id)",
        "CREATE INDEX takes_by_parent ON takes(parent_take_id)",
        "CREATE INDEX takes_by_media ON takes(media_id)",
        """CREATE TABLE jobs (
            id INTEGER PRIMARY KEY,
            take_id INTEGER NOT NULL REFERENCES takes(id) ON DELETE CASCADE,
            status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'paused', 'done', 'failed', 'canceled')),
            position INTEGER NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL)""",
        "CREATE INDEX jobs_by_status ON jobs(status, position)",
        "CREATE INDEX jobs_by_take ON jobs(take_id)",
    ])


@migration(2, "full-text search over prompts and titles")
def _prompt_search(conn: sqlite3.Connection) -> None:
    _run_all(conn, [
        # External-content FTS5: the text lives once, in takes; triggers keep the index in step.
        """CREATE VIRTUAL TABLE takes_fts USING fts5(
            prompt, title, content='takes', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2', prefix='2 3')""",
        """CREATE TRIGGER takes_fts_insert AFTER INSERT ON takes BEGIN
            INSERT INTO takes_fts(rowid, prompt, title) VALUES (new.id, new.prompt, new.title);
        END""",
        """CREATE TRIGGER takes_fts_delete AFTER DELETE ON takes BEGIN
            INSERT INTO takes_fts(takes_fts, rowid, prompt, title) VALUES ('delete', old.id, old.prompt, old.title);
        END""",
        """CREATE TRIGGER takes_fts_update AFTER UPDATE OF prompt, title ON takes BEGIN
            INSERT INTO takes_fts(takes_fts, rowid, prompt, title) VALUES ('delete', old.id, old.prompt, old.title);
            INSERT INTO takes_fts(rowid, prompt, title) VALUES (new.id, new.prompt, new.title);
        END""",
        # Takes written before this version are indexed now.
        "INSERT INTO takes_fts(takes_fts) VALUES ('rebuild')",
    ])


@migration(3, "covering index for reconciling media files on open")
def _media_files_index(conn: sqlite3.Connection) -> None:
    # Reconcile reads (id, relpath, missing) of every media row at open; from this index that is a
    # fraction of the table's pages.
    conn.execute("CREATE INDEX media_files ON media(relpath, missing)")


@migration(4, "media folder times, so opening reconciles only folders that changed")
def _media_folder_times(conn: sqlite3.Connection) -> None:
    # Empty at first: the next open reconciles every file, then records the times.
    conn.execute("""CREATE TABLE media_folders (
        folder TEXT PRIMARY KEY,
        mtime_ns INTEGER) WITHOUT ROWID""")



# A take's length: its file's, else what its recipe asks for (queued, failed), else 0. One definition,
# used to fill the column now and by the triggers that keep it in step with whoever writes takes.
_TAKE_LENGTH = ("coalesce((SELECT duration FROM media WHERE media.id = {t}.media_id), "
                "json_extract({t}.recipe_json, '$.seconds'), 0)")


@migration(5, "take lengths and indexes to sort the library by length and by prompt")
def _take_sort_keys(conn: sqlite3.Connection) -> None:
    _run_all(conn, [
        "ALTER TABLE takes ADD COLUMN duration REAL NOT NULL DEFAULT 0",
        f"UPDATE takes SET duration = {_TAKE_LENGTH.format(t='takes')}",
        f"""CREATE TRIGGER takes_duration_insert AFTER INSERT ON takes BEGIN
            UPDATE takes SET duration = {_TAKE_LENGTH.format(t='new')} WHERE id = new.id;
        END""",
        f"""CREATE TRIGGER takes_duration_update AFTER UPDATE OF media_id, recipe_json ON takes BEGIN
            UPDATE takes SET duration = {_TAKE_LENGTH.format(t='new')} WHERE id = new.id;
        END""",
        # Keyset paging in each order reads one index range: every index ends in id, the tie-breaker.
        "CREATE INDEX takes_by_duration ON takes(duration, id)",
        "CREATE INDEX takes_by_prompt ON takes(prompt COLLATE NOCASE, id)",
    ])


@migration(6, "indexes to sort filtered views of the library by length and by prompt")
def _filtered_sort_indexes(conn: sqlite3.Connection) -> None:
    # With a filter (failed, a model, favourites) and a sort key, SQLite would otherwise read every
    # matching take through the filter's index and sort them all (100 ms at 100,000 takes); with
    # (filter, key, id) a page is one index range again. Newest/oldest use the (filter, id) indexes.
    _run_all(conn, [
        f"CREATE INDEX takes_by_{name}_{key_name} ON takes({column}, {key}, id)"
        for name, column in (("status", "status"), ("model", "model_id"), ("favorite", "favorite"))
        for key_name, key in (("duration", "duration"), ("prompt", "prompt COLLATE NOCASE"))
    ])

@migration(7, "feed: posts (mine and from subscriptions), their parents, likes, subscriptions, invite tokens")
def _feed_tables(conn: sqlite3.Connection) -> None:
    # Issue 18 (the Feed). Post ids are global (made by their author), so likes and remixes
    # from other studios name them; `subscription_id` NULL marks the posts this library published.
    _run_all(conn, [
        """CREATE TABLE feed_subscriptions (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN ('http', 'folder')),
            author_key TEXT,
            author_name TEXT,
            pinned_root_pem TEXT,
            status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'ok', 'failed')),
            error TEXT,
            last_sync REAL,
            created_at REAL NOT NULL)""",
        """CREATE TABLE feed_posts (
            id TEXT PRIMARY KEY,
            subscription_id INTEGER REFERENCES feed_subscriptions(id) ON DELETE CASCADE,
            author_key TEXT NOT NULL,
            author_name TEXT NOT NULL,
            take_id INTEGER REFERENCES takes(id) ON DELETE SET NULL,
            audience TEXT NOT NULL CHECK (audience IN ('public', 'friends')),
            prompt TEXT NOT NULL DEFAULT '',
            model_id TEXT,
            recipe_json TEXT,
            published_at REAL NOT NULL,
            video_name TEXT NOT NULL,
            poster_name TEXT,
            sha256 TEXT NOT NULL)""",
        "CREATE INDEX feed_posts_by_author ON feed_posts(author_key, published_at)",
        "CREATE INDEX feed_posts_by_take ON feed_posts(take_id)",
        """CREATE TABLE feed_post_parents (
            post_id TEXT NOT NULL REFERENCES feed_posts(id) ON DELETE CASCADE,
            parent_post_id TEXT NOT NULL,
            PRIMARY KEY (post_id, parent_post_id)) WITHOUT ROWID""",
        "CREATE INDEX feed_post_parents_by_parent ON feed_post_parents(parent_post_id)",
        """CREATE TABLE feed_likes (
            post_id TEXT NOT NULL,
            liker_key TEXT NOT NULL,
            liked_at REAL NOT NULL,
            PRIMARY KEY (post_id, liker_key)) WITHOUT ROWID""",
        "CREATE INDEX feed_likes_by_liker ON feed_likes(liker_key)",
        """CREATE TABLE feed_rejections (
            subscription_id INTEGER NOT NULL REFERENCES feed_subscriptions(id) ON DELETE CASCADE,
            post_id TEXT NOT NULL,
            reason TEXT NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (subscription_id, post_id)) WITHOUT ROWID""",
        """CREATE TABLE feed_tokens (
            token TEXT PRIMARY KEY,
            label TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            revoked_at REAL) WITHOUT ROWID""",
    ])


@migration(8, "job origins and owners: who queued a job, and which process runs it")
def _job_owners(conn: sqlite3.Connection) -> None:
    # The owner (pid, process start time, session) lets Library.open pause only the jobs whose owner is
    # gone, not those another live process is still generating. Rows from before have no owner: gone.
    _run_all(conn, [
        "ALTER TABLE jobs ADD COLUMN origin TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE jobs ADD COLUMN owner_pid INTEGER",
        "ALTER TABLE jobs ADD COLUMN owner_started REAL",
        "ALTER TABLE jobs ADD COLUMN owner_session TEXT",
    ])

@migration(9, "cameos: the cameo record and its stills, feed notices (grants, receipts, removals), cameo uses")
def _cameo_tables(conn: sqlite3.Connection) -> None:
    # Issue 20 (Cameos with consent). Grants, revocations, usage receipts and removal requests are
    # signed records that travel in feeds as notices: `subscription_id` NULL marks my own. A take's
    # cameo uses keep the consent its exports state (consent_json: grant id, owner key, scope, signed grant).
    _run_all(conn, [
        """CREATE TABLE cameos (
            id INTEGER PRIMARY KEY,
            handle TEXT NOT NULL UNIQUE,
            owner_key TEXT NOT NULL,
            owner_name TEXT NOT NULL,
            access TEXT NOT NULL CHECK (access IN ('only_me', 'approved', 'mutual', 'everyone')),
            restrictions_json TEXT NOT NULL DEFAULT '[]',
            voice_media_id INTEGER REFERENCES media(id),
            recording_media_id INTEGER REFERENCES media(id),
            verification TEXT NOT NULL,
            created_at REAL NOT NULL)""",
        """CREATE TABLE cameo_stills (
            cameo_id INTEGER NOT NULL REFERENCES cameos(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            media_id INTEGER NOT NULL REFERENCES media(id),
            PRIMARY KEY (cameo_id, position)) WITHOUT ROWID""",
        """CREATE TABLE feed_notices (
            id TEXT NOT NULL,
            kind TEXT NOT NULL,
            author_key TEXT NOT NULL,
            subscription_id INTEGER REFERENCES feed_subscriptions(id) ON DELETE CASCADE,
            body_json TEXT NOT NULL,
            at REAL NOT NULL)""",
        "CREATE UNIQUE INDEX feed_notices_by_id ON feed_notices(id, coalesce(subscription_id, 0))",
        "CREATE INDEX feed_notices_by_kind ON feed_notices(kind)",
        """CREATE TABLE cameo_uses (
            take_id INTEGER NOT NULL REFERENCES takes(id) ON DELETE CASCADE,
            handle TEXT NOT NULL,
            owner_key TEXT NOT NULL,
            grant_id TEXT,
            receipt_id TEXT,
            consent_json TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (take_id, handle)) WITHOUT ROWID""",
        "CREATE TABLE cameo_seen_receipts (receipt_id TEXT PRIMARY KEY, at REAL NOT NULL) WITHOUT ROWID",
        """CREATE TABLE cameo_removals (
            request_id TEXT PRIMARY KEY,
            owner_key TEXT NOT NULL,
            receipt_id TEXT NOT NULL,
            message TEXT NOT NULL,
            at REAL NOT NULL) WITHOUT ROWID""",
    ])


@migration(10, "jobs: the running job's progress (phase, step, total); takes asked for through the API")
def _job_progress_and_idempotency(conn: sqlite3.Connection) -> None:
    # Issue 17's gaps: the engine that runs a job may live in another process (the studio's, `kinora serve`'s),
    # so its progress is written where every process reads it. Which API key asked for each take (and with which
    # Idempotency-Key) outlives the server: a retried POST finds its video, and the queue limit holds, after a restart.
    _run_all(conn, [
        "ALTER TABLE jobs ADD COLUMN phase TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE jobs ADD COLUMN step INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE jobs ADD COLUMN total INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE jobs ADD COLUMN progress REAL NOT NULL DEFAULT 0",
        """CREATE TABLE api_takes (
            take_id INTEGER PRIMARY KEY REFERENCES takes(id) ON DELETE CASCADE,
            api_key TEXT NOT NULL,
            idempotency_key TEXT,
            created_at REAL NOT NULL)""",
        "CREATE UNIQUE INDEX api_takes_by_idempotency_key ON api_takes(api_key, idempotency_key) "
        "WHERE idempotency_key IS NOT NULL",
        "CREATE INDEX api_takes_by_key ON api_takes(api_key)",
    ])


@migration(11, "jobs: a paused job's resume point (the step a Resume continues from) and what Resume will do")
def _job_resume_points(conn: sqlite3.Connection) -> None:
    # Issue 15: a job paused while denoising keeps its latents in a file in the library's scratch space
    # (studio/engine/resume.py); the row says that the point exists (resume_step: steps of the take done, NULL: none)
    # and, for every process that shows the job, what Resume will do (resume_note).
    _run_all(conn, [
        "ALTER TABLE jobs ADD COLUMN resume_step INTEGER",
        "ALTER TABLE jobs ADD COLUMN resume_note TEXT NOT NULL DEFAULT ''",
    ])


LATEST_VERSION = len(MIGRATIONS)
if LATEST_VERSION != SCHEMA_VERSION:  # Library.open migrates only a library whose version is not SCHEMA_VERSION
    raise RuntimeError(f"database.SCHEMA_VERSION is {SCHEMA_VERSION} but there are {LATEST_VERSION} migrations: "
                       "set it to the new number")


def backup(database: Database, backups_dir: Path, label: str) -> Path:
    """Copy the database (consistently, even while in use) to backups_dir; returns the copy's path."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dest = backups_dir / f"library-{label}-{stamp}.db"
    with atomic_path(dest) as tmp:
        target = sqlite3.connect(tmp)
        try:
            database.connection().backup(target)
        finally:
            target.close()
    return dest


def migrate(database: Database, backups_dir: Path, migrations: list[Migration] | None = None) -> Path | None:
    """Bring the database to the latest version. Returns the backup made first, if any."""
    migrations = MIGRATIONS if migrations is None else migrations
    latest = len(migrations)
    conn = database.connection()
    # Tables first, then the version: a process migrating beside us can't make us see its
    # tables without its version, so a fresh library is never taken for a foreign database.
    tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchone()[0]
    current = database.user_version()
    if current > latest:
        raise LibraryError(f"The library {database.path.parent} was written by a newer Kinora "
                           f"(schema {current}, this one knows up to {latest}). Update Kinora to open it.")
    if current == latest:
        return None
    if current == 0 and tables:
        raise LibraryError(f"{database.path} is an SQLite database but not a Kinora library. "
                           "Point --library at an empty folder or an existing Kinora library.")
    made = backup(database, backups_dir, f"v{current}") if current > 0 else None
    for step in migrations[current:]:
        with database.transaction() as tx:
            # Another process opening the same library may have applied this step while we
            # waited for the write lock: the version read under the lock decides.
            if tx.execute("PRAGMA user_version").fetchone()[0] >= step.version:
                continue
            step.run(tx)
            tx.execute(f"PRAGMA user_version = {step.version}")
    return made
