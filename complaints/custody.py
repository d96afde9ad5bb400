"""Who may delete a stored photo, and when.

Storage is content-addressed, so one file can belong to several reports, and a submission that
stores a file may still be in flight (not yet committed) when another submission with the same
bytes fails. The rule: a file is only deleted under its key's lock, after checking that no row
references it; and a submission takes the same locks, inside its transaction, and puts back any
of its files that went missing before it commits its rows. Either the deleter runs first (the
submission puts the file back) or the submission commits first (the deleter sees the row).

The locks: on PostgreSQL transaction-scoped advisory locks, one per key, taken in sorted order,
shared by submissions (two reports with the same photo do not wait for each other: only a
deleter must exclude them) and exclusive for the deleter; on SQLite every write session begins
IMMEDIATE, which already serialises all writers. (Exclusive for submissions too, they queued
whole transactions behind each other: 16 concurrent submissions of one photo spent a median
525 ms in their transaction on PostgreSQL, most of it waiting for the key.)

`sweep` removes what crashed processes leave behind: files no row references once they are older
than a grace period, and stale temporary files.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database, DriverTransaction
from core.prepared import PreparedStatement

from .models import Photo
from .storage import PhotoStore, Visibility

log = logging.getLogger(__name__)
SWEEP_BATCH = 200  # keys locked per transaction (PostgreSQL shares one lock table)


@dataclass(frozen=True)
class PhotoBlob:
    """Bytes a submission stored and must still find in place when it commits."""

    key: str
    data: bytes
    visibility: Visibility
    ext: str
    sha256: str | None = None  # of data, when known (the key was made from it)


@dataclass(frozen=True)
class SweepResult:
    checked: int
    deleted: int
    temp_deleted: int


# All of a call's keys in one statement (one round trip), taken in the array's (sorted) order.
_LOCK = text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:ids AS bigint[])) WITH ORDINALITY AS a(k, n) "
             "ORDER BY n")
_SHARED_LOCK = text("SELECT pg_advisory_xact_lock_shared(k) FROM unnest(CAST(:ids AS bigint[])) "
                    "WITH ORDINALITY AS a(k, n) ORDER BY n")


_SHARED_LOCK_PREPARED = PreparedStatement(_SHARED_LOCK)


def _lock_id(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def _lock_ids(keys: Iterable[str]) -> list[int]:
    """The keys' lock ids in the order every locker takes them (no two wait on each other)."""
    return sorted({_lock_id(k) for k in keys})


async def lock_keys(session: AsyncSession, keys: Iterable[str], *, shared: bool = False) -> None:
    """Hold each key's lock until the session's transaction ends (shared: with other sharers)."""
    if session.get_bind().dialect.name != "postgresql":
        # SQLite: the write session's BEGIN IMMEDIATE is the lock; it runs on the first
        # statement, so start the transaction now rather than at the first insert.
        await session.connection()
        return
    ids = _lock_ids(keys)
    if ids:
        await session.execute(_SHARED_LOCK if shared else _LOCK, {"ids": ids})


async def referenced_keys(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    wanted = sorted(set(keys))
    found: set[str] = set()
    for start in range(0, len(wanted), SWEEP_BATCH):
        chunk = wanted[start:start + SWEEP_BATCH]
        rows = await session.execute(
            select(Photo.original_key, Photo.public_key).where(
                or_(Photo.original_key.in_(chunk), Photo.public_key.in_(chunk))
            )
        )
        for original, public in rows:
            found.update((original, public))
    return found & set(wanted)


async def hold(conn: AsyncSession | DriverTransaction, store: PhotoStore, blobs: Sequence[PhotoBlob]) -> None:
    """Call inside the transaction that inserts the rows referencing `blobs`, before commit: a
    session's, or a prepared one's (a report's submission; on SQLite it began IMMEDIATE)."""
    if isinstance(conn, AsyncSession):
        await lock_keys(conn, (b.key for b in blobs), shared=True)
    elif not conn.is_sqlite and blobs:
        await conn.execute(_SHARED_LOCK_PREPARED, ids=_lock_ids(b.key for b in blobs))

    def restore() -> None:
        for blob in blobs:
            if not store.exists(blob.key):
                log.warning("photo %s went missing before its report committed; stored again", blob.key)
                store.put(blob.data, visibility=blob.visibility, ext=blob.ext, sha256=blob.sha256)

    await asyncio.to_thread(restore)


async def discard_unreferenced(db: Database, store: PhotoStore, keys: Iterable[str]) -> int:
    """Delete those of `keys` that no row references (a failed submission's files)."""
    keys = sorted(set(keys))
    if not keys:
        return 0
    async with db.write_session() as session:
        await lock_keys(session, keys)
        orphans = [k for k in keys if k not in await referenced_keys(session, keys)]
        # Deleted while the locks are held, i.e. before commit releases them.
        await asyncio.to_thread(lambda: [store.delete(k) for k in orphans])
    return len(orphans)


async def sweep(db: Database, store: PhotoStore, *, grace_s: float, now: float | None = None) -> SweepResult:
    """Remove files no row references that are older than `grace_s`, and stale temp files."""
    cutoff = (time.time() if now is None else now) - grace_s
    candidates = await asyncio.to_thread(lambda: list(store.keys_older_than(cutoff)))
    deleted = 0
    for start in range(0, len(candidates), SWEEP_BATCH):
        deleted += await discard_unreferenced(db, store, candidates[start:start + SWEEP_BATCH])
    temp_deleted = await asyncio.to_thread(store.remove_temp_files_older_than, cutoff)
    if deleted or temp_deleted:
        log.info("photo sweep: %d unreferenced files and %d temp files removed", deleted, temp_deleted)
    return SweepResult(checked=len(candidates), deleted=deleted, temp_deleted=temp_deleted)
