"""The SQLite connection layer: WAL, foreign keys, busy timeout, one write lock, transactions.

Connections: one per thread. SQLite connections must not be used by two threads at once, and
sharing one connection behind a lock would make the GUI's reads wait for every engine write.
With a connection per thread and WAL, readers never block; writers queue on one in-process
`RLock` (so our own threads never meet 'database is locked') and on the busy timeout (for
another process, such as the CLI while the studio is open). `check_same_thread=False` is set only
so that `close()`, called from one thread, can close the connections the other threads opened.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.errors import LibraryError

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 10_000
# The schema version this Kinora writes (`PRAGMA user_version`): the number of migrations in migrations.py, which
# checks that it is. Here so that opening a current library (every launch but the first after an update) compares
# one number instead of importing the migrations.
SCHEMA_VERSION = 11


class Database:
    """A library database file, opened lazily per thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._connections: list[sqlite3.Connection] = []
        self._registry_lock = threading.Lock()
        self._closed = False

    # --- connections ------------------------------------------------------------------------

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise LibraryError(f"The library at {self.path.parent} is closed.")
        try:
            # isolation_level=None: no hidden transactions; every write goes through transaction().
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            mode = _switch_to_wal(conn)
            if mode.lower() != "wal":
                raise LibraryError(f"The library database {self.path} cannot use WAL mode (got {mode}); "
                                   "put the library on a local disk.")
            conn.execute("PRAGMA synchronous = NORMAL")  # durable in WAL mode except on power loss
        except sqlite3.DatabaseError as exc:
            raise LibraryError(f"Cannot open the library database {self.path}: {exc}.") from exc
        self._local.conn = conn
        self._local.depth = 0
        with self._registry_lock:
            self._connections.append(conn)
        return conn

    @property
    def utils(self) -> sqlite_utils.Database:
        """sqlite-utils over this thread's connection (inserts and updates join an open transaction)."""
        db = getattr(self._local, "utils", None)
        if db is None:
            import sqlite_utils  # ~0.2 s to import (it pulls in numpy): only paid by writers

            # No plugins: they would run their own hooks on our connection (and take ~70 ms to load).
            db = sqlite_utils.Database(self.connection(), execute_plugins=False)
            self._local.utils = db
        return db

    def close(self) -> None:
        """Close every thread's connection. The Database cannot be used afterwards."""
        self._closed = True
        with self._registry_lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._local = threading.local()

    # --- statements ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the write lock and an IMMEDIATE transaction; commit on success, roll back on error.

        Nested use on the same thread joins the outer transaction.
        """
        conn = self.connection()
        with self._write_lock:
            if self._local.depth:
                self._local.depth += 1
                try:
                    yield conn
                finally:
                    self._local.depth -= 1
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise LibraryError(f"The library {self.path.parent} is busy (another program holds it): {exc}. "
                                   "Close the other Kinora and try again.") from exc
            self._local.depth = 1
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")
            finally:
                self._local.depth = 0

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        """Rows of a read statement."""
        return self.connection().execute(sql, params).fetchall()

    def query_dicts(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        """Rows as plain dicts: much faster to read by name than sqlite3.Row when building many records."""
        cursor = self.connection().cursor()
        cursor.row_factory = None
        cursor.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def query_one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        return self.connection().execute(sql, params).fetchone()

    def user_version(self) -> int:
        return int(self.connection().execute("PRAGMA user_version").fetchone()[0])


def _switch_to_wal(conn: sqlite3.Connection) -> str:
    """Set WAL mode, waiting out other openers: SQLite answers "database is locked" at once, without
    the busy handler, while another connection is switching a new database's journal mode."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
