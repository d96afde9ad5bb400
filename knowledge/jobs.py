"""Ingest jobs: an uploaded document is queued, indexed in the background by whichever process runs the
ingest loop (`civicdesk worker`, or the serving process in the single-process mode), and its state
(queued, indexing with chunks done/total, ready, failed with the reason) can be read at any time.

Jobs live in `<knowledge_dir>/jobs.sqlite` beside the catalog, so every process sharing the data
directory sees them; the uploaded bytes wait in `<knowledge_dir>/uploads/` until indexed. A job is
claimed by one process with an atomic update that gives it a lease, renewed by every progress report;
a job left `indexing` whose lease ran out (its process died, in this container or another) is queued
again by the next round of any process's ingest loop.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
import socket
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from knowledge.loaders import load_bytes
from knowledge.schemas import IngestJobOut, JobState
from knowledge.splitter import document_id, split_document

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    filename TEXT NOT NULL,
    path TEXT NOT NULL,
    state TEXT NOT NULL,
    chunks_done INTEGER NOT NULL DEFAULT 0,
    chunks_total INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    document_id TEXT,
    changed INTEGER,
    owner TEXT,
    lease_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_jobs_state ON jobs (state, id);
"""
_COLUMNS = "id, filename, state, chunks_done, chunks_total, error, document_id, changed, created_at, updated_at"


LEASE = timedelta(minutes=5)


def _now(ahead: timedelta = timedelta(0)) -> str:
    return (datetime.now(UTC) + ahead).isoformat(timespec="milliseconds")


class JobStore:
    def __init__(self, directory: Path, *, lease: timedelta = LEASE):
        self.directory = Path(directory)
        self.uploads = self.directory / "uploads"
        self.uploads.mkdir(parents=True, exist_ok=True)
        self.lease = lease
        # Who holds a claimed job: unique per process, whatever pid namespace it runs in.
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        with self._db() as conn:
            conn.executescript(SCHEMA)
            columns = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
            if "lease_until" not in columns:  # a jobs.sqlite from before leases
                conn.execute("ALTER TABLE jobs ADD COLUMN lease_until TEXT")

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(str(self.directory / "jobs.sqlite"), timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def create(self, filename: str, data: bytes) -> IngestJobOut:
        now = _now()
        with self._db() as conn:
            cursor = conn.execute(
                "INSERT INTO jobs (filename, path, state, created_at, updated_at) VALUES (?, '', ?, ?, ?)",
                (filename, JobState.QUEUED.value, now, now),
            )
            job_id = int(cursor.lastrowid or 0)
            path = self.uploads / f"{job_id}-{Path(filename).name}"
            path.write_bytes(data)
            conn.execute("UPDATE jobs SET path = ? WHERE id = ?", (str(path), job_id))
        return self.get(job_id)  # type: ignore[return-value]

    def get(self, job_id: int) -> IngestJobOut | None:
        with self._db() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def recent(self, limit: int = 20) -> list[IngestJobOut]:
        with self._db() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM jobs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [_job(row) for row in rows]

    def claim(self) -> tuple[IngestJobOut, Path] | None:
        """The oldest queued job, now `indexing` and leased to this process; None when there is none."""
        with self._db() as conn:
            while True:
                row = conn.execute(
                    "SELECT id, path FROM jobs WHERE state = ? ORDER BY id LIMIT 1", (JobState.QUEUED.value,)
                ).fetchone()
                if row is None:
                    return None
                taken = conn.execute(
                    "UPDATE jobs SET state = ?, owner = ?, lease_until = ?, updated_at = ? WHERE id = ? AND state = ?",
                    (JobState.INDEXING.value, self.holder, _now(self.lease), _now(), row[0], JobState.QUEUED.value),
                ).rowcount
                if taken:
                    break
        return self.get(row[0]), Path(row[1])  # type: ignore[return-value]

    def progress(self, job_id: int, done: int, total: int) -> None:
        """Record progress and renew the lease."""
        with self._db() as conn:
            conn.execute(
                "UPDATE jobs SET chunks_done = ?, chunks_total = ?, lease_until = ?, updated_at = ? WHERE id = ?",
                (done, total, _now(self.lease), _now(), job_id),
            )

    def finish(self, job_id: int, *, document_id: str | None = None, changed: bool | None = None,
               error: str | None = None) -> None:
        state = JobState.FAILED if error else JobState.READY
        with self._db() as conn:
            row = conn.execute("SELECT path FROM jobs WHERE id = ?", (job_id,)).fetchone()
            conn.execute(
                "UPDATE jobs SET state = ?, error = ?, document_id = ?, changed = ?, owner = NULL, lease_until = NULL, "
                "updated_at = ?, "
                "chunks_done = CASE WHEN ? THEN chunks_total ELSE chunks_done END WHERE id = ?",
                (state.value, error, document_id, None if changed is None else int(changed), _now(),
                 error is None, job_id),
            )
        if row and row[0]:
            Path(row[0]).unlink(missing_ok=True)

    def requeue_orphans(self) -> int:
        """Jobs left `indexing` whose lease has run out (a job from before leases: whose process is
        gone) go back to the queue."""
        now = _now()
        with self._db() as conn:
            rows = conn.execute("SELECT id, owner, lease_until FROM jobs WHERE state = ?",
                                (JobState.INDEXING.value,)).fetchall()
            orphans = [job_id for job_id, owner, until in rows
                       if (until < now if until else owner != self.holder and not _alive(owner))]
            for job_id in orphans:
                conn.execute("UPDATE jobs SET state = ?, owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ?",
                             (JobState.QUEUED.value, now, job_id))
        return len(orphans)

    def pending(self) -> int:
        with self._db() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM jobs WHERE state = ?", (JobState.QUEUED.value,)).fetchone()[0])

    def counts(self) -> dict[str, int]:
        """Jobs by state, every state present (zero included)."""
        with self._db() as conn:
            found = dict(conn.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall())
        return {state.value: int(found.get(state.value, 0)) for state in JobState}


def upload_texts(filename: str, data: bytes) -> list[str]:
    """The texts an uploaded document's chunks embed (what the job counts as chunks done/total)."""
    name = Path(filename).name
    return [chunk.embed_text() for chunk in split_document(load_bytes(name, data), document_id(f"upload:{name}"))]


def _alive(owner: object) -> bool:
    """Whether the process of a pre-lease job's owner (a pid) still runs here."""
    try:
        pid = int(owner)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _job(row: tuple) -> IngestJobOut:  # type: ignore[type-arg]
    (job_id, filename, state, done, total, error, document_id, changed, created, updated) = row
    return IngestJobOut(
        id=job_id, filename=filename, state=JobState(state), chunks_done=done, chunks_total=total, error=error,
        document_id=document_id, changed=None if changed is None else bool(changed),
        created_at=datetime.fromisoformat(created), updated_at=datetime.fromisoformat(updated),
    )
