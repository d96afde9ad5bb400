"""Where conversations are kept between messages (aiogram FSM storage).

Redis when `CIVICDESK_REDIS_URL` is set; otherwise the database, so a half-finished report
survives a restart of the bot on the embedded defaults too.
"""

from __future__ import annotations

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
from core.clock import Clock
from core.db import Database
from core.settings import Settings

from .models import BotFsmRecord

# Redis keeps a conversation this long after its last change (the bot itself clears unfinished
# reports earlier, with a message; see bot.middlewares.StaleFlowMiddleware).
REDIS_TTL = timedelta(days=30)
DEFAULT_PREFIX = "civicdesk:fsm"


def key_builder(prefix: str = DEFAULT_PREFIX) -> KeyBuilder:
    return DefaultKeyBuilder(prefix=prefix, with_bot_id=True, with_destiny=True)


class DatabaseStorage(BaseStorage):
    """FSM state and data in the `bot_fsm` table: one row per conversation, deleted when empty."""

    def __init__(self, db: Database, clock: Clock, keys: KeyBuilder | None = None):
        self.db = db
        self.clock = clock
        self.keys = keys or key_builder()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._change(key, lambda record: setattr(record, "state", value))

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._get(key)
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._change(key, lambda record: setattr(record, "data", dict(data)))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._get(key)
        return dict(record.data) if record else {}

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        """Read and write in one transaction, so two updates of one conversation cannot interleave."""
        result: dict[str, Any] = {}

        def merge(record: BotFsmRecord) -> None:
            record.data = {**(record.data or {}), **data}
            result.update(record.data)

        await self._change(key, merge)
        return result

    async def close(self) -> None:
        """The database belongs to the services; nothing to close here."""

    async def _get(self, key: StorageKey) -> BotFsmRecord | None:
        async with self.db.session() as session:
            return await session.get(BotFsmRecord, self.keys.build(key))

    async def _change(self, key: StorageKey, change: Any) -> None:
        row_key = self.keys.build(key)
        async with self.db.write_session() as session:
            record = await session.get(BotFsmRecord, row_key)
            if record is None:
                record = BotFsmRecord(key=row_key, state=None, data={}, updated_at=self.clock.now())
                session.add(record)
            change(record)
            record.updated_at = self.clock.now()
            if record.state is None and not record.data:
                if record in session.new:
                    session.expunge(record)
                else:
                    await session.delete(record)


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
