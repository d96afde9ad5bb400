"""Webhook updates are taken in once: Telegram re-delivers an update when our answer is late or
lost, and a proxy may retry, but a report must not be filed twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from civicdesk.container import Services
from core.clock import Clock
from core.db import Database

from .batching import Coalescer
from .models import BotUpdateSeen

# Telegram keeps re-delivering an unanswered update for at most 24 hours.
KEEP = timedelta(days=2)
PRUNE_EVERY = 1000


class UpdateDeduper(Protocol):
    async def first_time(self, bot_id: int, update_id: int) -> bool:
        """True the first time an update is seen, False for every repeat."""
        ...

    async def close(self) -> None: ...


class DatabaseDeduper:
    """Seen update ids in the `bot_updates_seen` table; concurrent checks share one
    INSERT ... ON CONFLICT DO NOTHING RETURNING, which says which ids were new."""

    def __init__(self, db: Database, clock: Clock):
        self.db = db
        self.clock = clock
        self._inserted = 0
        self._batches: Coalescer[tuple[int, int], bool] = Coalescer(self._insert, repeat=False)

    async def first_time(self, bot_id: int, update_id: int) -> bool:
        return await self._batches.get((bot_id, update_id))

    async def _insert(self, keys: list[tuple[int, int]]) -> dict[tuple[int, int], bool]:
        now = self.clock.now()
        insert = sqlite_insert if self.db.is_sqlite else pg_insert
        stmt = (
            insert(BotUpdateSeen)
            .values([{"bot_id": b, "update_id": u, "received_at": now} for b, u in keys])
            .on_conflict_do_nothing(index_elements=[BotUpdateSeen.bot_id, BotUpdateSeen.update_id])
            .returning(BotUpdateSeen.bot_id, BotUpdateSeen.update_id)
        )
        async with self.db.write_session() as session:
            inserted = {(row[0], row[1]) for row in await session.execute(stmt)}
            before, self._inserted = self._inserted, self._inserted + len(inserted)
            if before // PRUNE_EVERY != self._inserted // PRUNE_EVERY:
                await session.execute(delete(BotUpdateSeen).where(BotUpdateSeen.received_at < now - KEEP))
        return {key: key in inserted for key in keys}

    async def close(self) -> None:
        await self._batches.close()


class RedisDeduper:
    """SET NX with a TTL: atomic across every process that shares the Redis."""

    def __init__(self, redis: Any, prefix: str = "civicdesk:tg-update"):
        self.redis = redis  # redis.asyncio.Redis, owned by the services
        self.prefix = prefix

    async def first_time(self, bot_id: int, update_id: int) -> bool:
        key = f"{self.prefix}:{bot_id}:{update_id}"
        return bool(await self.redis.set(key, b"1", nx=True, ex=int(KEEP.total_seconds())))

    async def close(self) -> None:
        """The connection belongs to the services."""


def make_deduper(services: Services) -> UpdateDeduper:
    if services.redis is not None:
        return RedisDeduper(services.redis)
    return DatabaseDeduper(services.db, services.clock)
