"""The durable generation queue: jobs are rows, so the queue survives a crash or a restart."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from studio.errors import LibraryError
from studio.library.owner import Owner, owner_alive
from studio.library.records import ACTIVE_JOB_STATUSES, JOB_STATUSES, JobRecord

if TYPE_CHECKING:
    from studio.library.database import Database


class JobsMixin:
    """Job-queue methods of `Library`."""

    _db: Database
    @property
    def session(self) -> Owner:  # this open library's owner record (Library makes it)
        raise NotImplementedError

    def _owner_columns(self) -> dict[str, object]:
        return {"owner_pid": self.session.pid, "owner_started": self.session.started,
                "owner_session": self.session.session}

    def enqueue_job(self, take_id: int, *, origin: str = "") -> JobRecord:
        """Queue a take for generation at the end of the queue (status "pending").

        `origin` says who asked ("api" for `kinora serve`; the studio shows it on the job's card). The job's
        owner is this open library until an engine claims it.
        """
        now = time.time()
        with self._db.transaction() as conn:
            if conn.execute("SELECT 1 FROM takes WHERE id = ?", (take_id,)).fetchone() is None:
                raise LibraryError(f"There is no take {take_id} to queue.")
            position = conn.execute("SELECT coalesce(max(position), 0) + 1 FROM jobs").fetchone()[0]
            job_id = self._db.utils["jobs"].insert({"take_id": take_id, "status": "pending", "position": position,
                                                    "created_at": now, "updated_at": now, "origin": origin,
                                                    **self._owner_columns()}).last_pk
        return self.job(job_id)

    def job(self, job_id: int) -> JobRecord:
        row = self._db.query_one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if row is None:
            raise LibraryError(f"There is no job {job_id} in the queue.")
        return JobRecord.from_row(row)

    def claim_next_job(self) -> JobRecord | None:
        """Take the first pending job (by position) and mark it running, atomically; None if none.

        The take becomes "running" with it, so every view agrees on what the GPU is doing.
        """
        with self._db.transaction() as conn:
            row = conn.execute("SELECT id FROM jobs WHERE status = 'pending' ORDER BY position, id LIMIT 1").fetchone()
            if row is None:
                return None
            return self.claim_job(row["id"])

    def claim_job(self, job_id: int) -> JobRecord | None:
        """Mark this one job running (and its take), atomically, if it is still pending; else None.

        None means someone else got there first (another worker, another Kinora process) or the job
        was paused or canceled meanwhile. For a caller that must run only its own job (`kinora generate`).
        """
        now = time.time()
        with self._db.transaction() as conn:
            claimed = conn.execute("UPDATE jobs SET status = 'running', updated_at = ?, owner_pid = ?, "
                                   "owner_started = ?, owner_session = ?, phase = '', step = 0, total = 0, "
                                   "progress = 0 WHERE id = ? AND status = 'pending'",
                                   (now, self.session.pid, self.session.started, self.session.session,
                                    job_id)).rowcount
            job = self.job(job_id)  # LibraryError for a job that does not exist
            if not claimed:
                return None
            conn.execute("UPDATE takes SET status = 'running', started_at = ? WHERE id = ?", (now, job.take_id))
        return job

    def set_job_status(self, job_id: int, status: str) -> JobRecord:
        """Set a job's status (the take's own status is the caller's to set, with `update_take`)."""
        if status not in JOB_STATUSES:
            raise LibraryError(f"Unknown job status '{status}' (one of: {', '.join(JOB_STATUSES)}).")
        with self._db.transaction() as conn:
            self.job(job_id)
            conn.execute("UPDATE jobs SET status = ?, updated_at = ? WHERE id = ?", (status, time.time(), job_id))
        return self.job(job_id)

    def set_job_progress(self, job_id: int, phase: str, step: int, total: int, progress: float) -> None:
        """Record where the running job is, for the processes that did not run it (the API, `kinora generate`)."""
        with self._db.transaction() as conn:
            conn.execute("UPDATE jobs SET phase = ?, step = ?, total = ?, progress = ? WHERE id = ?",
                         (phase, step, total, progress, job_id))

    def set_job_resume(self, job_id: int, step: int | None, note: str) -> None:
        """Record a job's resume point (`step`: the take's steps done that Resume continues after; None: none) and
        the sentence that says what Resume will do; `set_job_resume(id, None, "")` clears both."""
        with self._db.transaction() as conn:
            conn.execute("UPDATE jobs SET resume_step = ?, resume_note = ? WHERE id = ?", (step, note, job_id))

    def record_api_take(self, take_id: int, api_key: str, idempotency_key: str | None) -> None:
        """Note that API key `api_key` asked for this take (with this Idempotency-Key, if one was sent)."""
        with self._db.transaction() as conn:
            conn.execute("INSERT INTO api_takes (take_id, api_key, idempotency_key, created_at) VALUES (?, ?, ?, ?)",
                         (take_id, api_key, idempotency_key, time.time()))

    def api_take_for(self, api_key: str, idempotency_key: str) -> int | None:
        """The take an earlier request with this key made (None if none, or that take was deleted)."""
        row = self._db.query_one("SELECT take_id FROM api_takes WHERE api_key = ? AND idempotency_key = ?",
                                 (api_key, idempotency_key))
        return None if row is None else int(row["take_id"])

    def active_api_takes(self, api_key: str) -> list[int]:
        """The takes this API key asked for whose jobs are still waiting or running (its share of the queue)."""
        marks = ", ".join("?" for _ in ACTIVE_JOB_STATUSES)
        rows = self._db.query(f"SELECT DISTINCT a.take_id FROM api_takes a JOIN jobs j ON j.take_id = a.take_id "
                              f"WHERE a.api_key = ? AND j.status IN ({marks}) ORDER BY a.take_id",
                              [api_key, *ACTIVE_JOB_STATUSES])
        return [row["take_id"] for row in rows]

    def jobs_for_take(self, take_id: int) -> list[JobRecord]:
        rows = self._db.query("SELECT * FROM jobs WHERE take_id = ? ORDER BY id", (take_id,))
        return [JobRecord.from_row(r) for r in rows]

    def list_jobs(self, active_only: bool = True) -> list[JobRecord]:
        """Jobs in queue order; by default only pending, running and paused ones."""
        if active_only:
            marks = ", ".join("?" for _ in ACTIVE_JOB_STATUSES)
            rows = self._db.query(f"SELECT * FROM jobs WHERE status IN ({marks}) ORDER BY position, id",
                                  ACTIVE_JOB_STATUSES)
        else:
            rows = self._db.query("SELECT * FROM jobs ORDER BY position, id")
        return [JobRecord.from_row(r) for r in rows]

    def move_job(self, job_id: int, position: int) -> None:
        """Put an active job at `position` (0 = first) among the active jobs; the others close up."""
        with self._db.transaction() as conn:
            job = self.job(job_id)
            if job.status not in ACTIVE_JOB_STATUSES:
                raise LibraryError(f"Job {job_id} is {job.status}; only waiting jobs can be reordered.")
            order = [j.id for j in self.list_jobs() if j.id != job_id]
            order.insert(max(0, min(position, len(order))), job_id)
            base = conn.execute("SELECT coalesce(min(position), 1) FROM jobs WHERE status IN "
                                "('pending', 'running', 'paused')").fetchone()[0]
            for offset, jid in enumerate(order):
                conn.execute("UPDATE jobs SET position = ? WHERE id = ?", (base + offset, jid))

    def recover_interrupted_jobs(self) -> int:
        """Pause jobs a crash left running or pending; their takes go back to "queued".

        Called by `Library.open`, so a restart never starts the GPU by surprise: the user resumes.
        Only jobs whose owner (the process that queued or runs them) is gone are touched: a job another
        live process is still generating stays running. Returns how many jobs were paused.
        """
        now = time.time()
        with self._db.transaction() as conn:
            rows = conn.execute("SELECT id, take_id, status, owner_pid, owner_started, owner_session FROM jobs "
                                "WHERE status IN ('running', 'pending')").fetchall()
            orphans = [row for row in rows
                       if not owner_alive(row["owner_pid"], row["owner_started"], row["owner_session"])]
            for row in orphans:
                if row["status"] == "running":
                    conn.execute("UPDATE takes SET status = 'queued', started_at = NULL "
                                 "WHERE id = ? AND status = 'running'", (row["take_id"],))
                conn.execute("UPDATE jobs SET status = 'paused', updated_at = ? WHERE id = ?", (now, row["id"]))
            return len(orphans)
