"""People the bot has met: the language they chose and whether they blocked the bot.

Looked up on every update, so answers are cached in the process for a short while; a change made
here updates the cache at once (other processes see it after the TTL).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core.clock import Clock
from core.db import Database

from .batching import Coalescer
from .i18n import normalize
from .models import BotUser

CACHE_TTL_S = 60.0
CACHE_MAX = 50_000


@dataclass(frozen=True)
class UserPrefs:
    language: str | None  # None: never chose, the default applies
    blocked: bool


class BotUsers:
    def __init__(self, db: Database, clock: Clock, default_language: str = "zh"):
        self.db = db
        self.clock = clock
        self.default_language = normalize(default_language)
        self._cache: dict[int, tuple[float, UserPrefs]] = {}
        self._loads: Coalescer[int, UserPrefs] = Coalescer(self._load)

    async def prefs(self, user_id: int) -> UserPrefs:
        cached = self._cache.get(user_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        prefs = await self._loads.get(user_id)
        current = self._cache.get(user_id)
        if current is None or current[0] <= time.monotonic():  # else changed meanwhile: that is newer
            self._remember(user_id, prefs)
        return prefs

    async def _load(self, user_ids: list[int]) -> dict[int, UserPrefs]:
        async with self.db.session() as session:
            rows = await session.execute(
                select(BotUser.user_id, BotUser.language, BotUser.blocked_at).where(
                    BotUser.user_id.in_(user_ids)
                )
            )
            found = {row.user_id: UserPrefs(row.language, row.blocked_at is not None) for row in rows}
        return {user_id: found.get(user_id, UserPrefs(None, False)) for user_id in user_ids}

    async def language(self, user_id: int) -> str:
        return (await self.prefs(user_id)).language or self.default_language

    async def set_language(self, user_id: int, language: str) -> str:
        language = normalize(language, self.default_language)
        await self._upsert(user_id, language=language, blocked_at=None)
        self._remember(user_id, UserPrefs(language, False))
        return language

    async def seen(self, user_id: int) -> None:
        """A message from someone who had blocked the bot means they unblocked it."""
        prefs = await self.prefs(user_id)
        if prefs.blocked:
            await self._upsert(user_id, blocked_at=None)
            self._remember(user_id, UserPrefs(prefs.language, False))

    async def mark_blocked(self, user_id: int) -> None:
        now = self.clock.now()
        await self._upsert(user_id, blocked_at=now)
        prefs = await self.prefs(user_id)
        self._remember(user_id, UserPrefs(prefs.language, True))

    async def is_blocked(self, user_id: int) -> bool:
        return (await self.prefs(user_id)).blocked

    async def _upsert(self, user_id: int, **values: object) -> None:
        now = self.clock.now()
        async with self.db.write_session() as session:
            insert = sqlite_insert if self.db.is_sqlite else pg_insert
            stmt = insert(BotUser).values(
                user_id=user_id,
                language=values.get("language"),
                blocked_at=values.get("blocked_at"),
                created_at=now,
                updated_at=now,
            )
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=[BotUser.user_id], set_={**values, "updated_at": now}
                )
            )

    def _remember(self, user_id: int, prefs: UserPrefs) -> None:
        if len(self._cache) >= CACHE_MAX:
            self._cache.clear()
        self._cache[user_id] = (time.monotonic() + CACHE_TTL_S, prefs)
