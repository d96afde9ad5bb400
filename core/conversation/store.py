"""Conversation state for channels without a framework of their own (WeChat): one row per person
in `conversations`, or a Redis key when `CIVICDESK_REDIS_URL` is set, so a half-finished report
survives a restart and is shared by every process."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import Clock
from core.db import Base, Database

# Redis forgets a conversation this long after its last change (the flows expire theirs sooner).
REDIS_TTL = timedelta(days=30)


class ConversationRecord(Base):
    __tablename__ = "conversations"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(120))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


class ConversationStore(Protocol):
    async def load(self, key: str) -> tuple[str | None, dict[str, Any]]: ...

    async def save(self, key: str, state: str | None, data: dict[str, Any]) -> None: ...


class DatabaseConversations:
    def __init__(self, db: Database, clock: Clock):
        self.db = db
        self.clock = clock

    async def load(self, key: str) -> tuple[str | None, dict[str, Any]]:
        async with self.db.session() as session:
            record = await session.get(ConversationRecord, key)
            return (record.state, dict(record.data or {})) if record else (None, {})

    async def save(self, key: str, state: str | None, data: dict[str, Any]) -> None:
        async with self.db.write_session() as session:
            record = await session.get(ConversationRecord, key)
            if state is None and not data:
                if record is not None:
                    await session.delete(record)
                return
            if record is None:
                record = ConversationRecord(key=key)
                session.add(record)
            record.state, record.data, record.updated_at = state, copy.deepcopy(data), self.clock.now()


class RedisConversations:
    def __init__(self, redis: Any, prefix: str = "civicdesk:conv"):
        self.redis = redis  # redis.asyncio.Redis, owned by the services
        self.prefix = prefix

    async def load(self, key: str) -> tuple[str | None, dict[str, Any]]:
        raw = await self.redis.get(f"{self.prefix}:{key}")
        if raw is None:
            return None, {}
        value = json.loads(raw)
        return value.get("state"), value.get("data") or {}

    async def save(self, key: str, state: str | None, data: dict[str, Any]) -> None:
        if state is None and not data:
            await self.redis.delete(f"{self.prefix}:{key}")
            return
        body = json.dumps({"state": state, "data": data}, ensure_ascii=False)
        await self.redis.set(f"{self.prefix}:{key}", body, ex=int(REDIS_TTL.total_seconds()))


class KeyedState:
    """`StateAccess` over one key of a store. Read-modify-write: the channel handles one person's
    messages one at a time (a per-person lock), as aiogram's event isolation does for Telegram."""

    def __init__(self, store: ConversationStore, key: str):
        self.store = store
        self.key = key

    async def get_state(self) -> str | None:
        return (await self.store.load(self.key))[0]

    async def set_state(self, state: Any = None) -> None:
        _, data = await self.store.load(self.key)
        await self.store.save(self.key, getattr(state, "state", state), data)

    async def get_data(self) -> dict[str, Any]:
        return (await self.store.load(self.key))[1]

    async def set_data(self, data: Mapping[str, Any]) -> None:
        state, _ = await self.store.load(self.key)
        await self.store.save(self.key, state, dict(data))

    async def update_data(self, data: Mapping[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        state, current = await self.store.load(self.key)
        current = {**current, **(data or {}), **kwargs}
        await self.store.save(self.key, state, current)
        return copy.deepcopy(current)

    async def clear(self) -> None:
        await self.store.save(self.key, None, {})
