"""Where conversations are kept between messages (aiogram FSM storage).

Redis when `CIVICDESK_REDIS_URL` is set; otherwise the database, so a half-finished report
survives a restart of the bot on the embedded defaults too.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseEventIsolation,
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from aiogram.fsm.storage.memory import SimpleEventIsolation
from sqlalchemy import select

from core.clock import Clock
from core.db import Database
from core.settings import Settings

from .batching import Coalescer
from .models import BotFsmRecord

# Redis keeps a conversation this long after its last change (the bot itself clears unfinished
# reports earlier, with a message; see bot.middlewares.StaleFlowMiddleware).
REDIS_TTL = timedelta(days=30)
DEFAULT_PREFIX = "civicdesk:fsm"


def key_builder(prefix: str = DEFAULT_PREFIX) -> KeyBuilder:
    return DefaultKeyBuilder(prefix=prefix, with_bot_id=True, with_destiny=True)


class DatabaseStorage(BaseStorage):
    """FSM state and data in the `bot_fsm` table: one row per conversation, deleted when empty.

    Every change is written through to the database, so a conversation survives a restart; reads
    are served from a bounded in-process copy, which assumes one bot process per database (with
    several, configure Redis: the event isolation is per process too). `cache_size=0` reads the
    database every time.
    """

    def __init__(self, db: Database, clock: Clock, keys: KeyBuilder | None = None, cache_size: int = 10_000):
        self.db = db
        self.clock = clock
        self.keys = keys or key_builder()
        self.cache_size = cache_size
        self._cache: OrderedDict[str, tuple[str | None, dict[str, Any]]] = OrderedDict()
        self._loads: Coalescer[str, tuple[str | None, dict[str, Any]]] = Coalescer(self._load)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._change(key, lambda record: setattr(record, "state", value))

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._get(key))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._change(key, lambda record: setattr(record, "data", dict(data)))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return copy.deepcopy((await self._get(key))[1])

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        """Read and write in one transaction, so two updates of one conversation cannot interleave."""

        def merge(record: BotFsmRecord) -> None:
            record.data = {**(record.data or {}), **data}

        return copy.deepcopy((await self._change(key, merge))[1])

    async def close(self) -> None:
        """The database belongs to the services; nothing to close here."""

    async def _get(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        row_key = self.keys.build(key)
        cached = self._cache.get(row_key)
        if cached is not None:
            self._cache.move_to_end(row_key)
            return cached
        value = await self._loads.get(row_key)
        if row_key not in self._cache:  # else written meanwhile, and that is newer
            self._remember(row_key, value)
        return self._cache.get(row_key, value)

    async def _load(self, row_keys: list[str]) -> dict[str, tuple[str | None, dict[str, Any]]]:
        async with self.db.session() as session:
            rows = await session.execute(
                select(BotFsmRecord.key, BotFsmRecord.state, BotFsmRecord.data).where(
                    BotFsmRecord.key.in_(row_keys)
                )
            )
            found = {row.key: (row.state, dict(row.data or {})) for row in rows}
        return {key: found.get(key, (None, {})) for key in row_keys}

    async def _change(self, key: StorageKey, change: Any) -> tuple[str | None, dict[str, Any]]:
        row_key = self.keys.build(key)
        async with self.db.write_session() as session:
            record = await session.get(BotFsmRecord, row_key)
            if record is None:
                record = BotFsmRecord(key=row_key, state=None, data={}, updated_at=self.clock.now())
                session.add(record)
            change(record)
            record.updated_at = self.clock.now()
            value = (record.state, copy.deepcopy(dict(record.data or {})))
            if record.state is None and not record.data:
                if record in session.new:
                    session.expunge(record)
                else:
                    await session.delete(record)
        self._remember(row_key, value)
        return value

    def _remember(self, row_key: str, value: tuple[str | None, dict[str, Any]]) -> None:
        if self.cache_size <= 0:
            return
        self._cache[row_key] = value
        self._cache.move_to_end(row_key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)


def make_storage(
    settings: Settings, db: Database, clock: Clock, *, prefix: str = DEFAULT_PREFIX
) -> tuple[BaseStorage, BaseEventIsolation]:
    """The configured storage and a matching isolation (one update per conversation at a time)."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        storage = RedisStorage.from_url(
            settings.redis_url, key_builder=key_builder(prefix), state_ttl=REDIS_TTL, data_ttl=REDIS_TTL
        )
        return storage, storage.create_isolation()
    return DatabaseStorage(db, clock, key_builder(prefix)), SimpleEventIsolation()
