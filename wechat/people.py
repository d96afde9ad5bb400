"""Who wrote to the account and what was already taken in.

`WeChatPeople` keeps each openid's language and the time of their last message (customer-service
messages are allowed for 48 hours after it). `Seen` makes a delivery count once: WeChat retries a
callback it got no answer to within 5 seconds up to three times, with the same MsgId (or, for
events, the same sender and CreateTime)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core.clock import Clock
from core.db import Database
from core.kit.language import normalize_language

from .models import WeChatSeen, WeChatUser

# Customer-service messages may be sent this long after the person's last message.
SERVICE_WINDOW = timedelta(hours=48)
SEEN_KEEP = timedelta(days=1)  # WeChat's retries come within seconds; a day is plenty


class WeChatPeople:
    def __init__(self, db: Database, clock: Clock, default_language: str = "zh"):
        self.db = db
        self.clock = clock
        self.default_language = default_language

    async def wrote(self, openid: str) -> str:
        """Record a message from the person (the 48-hour window starts again); their language."""
        now = self.clock.now()
        async with self.db.write_session() as session:
            user = await session.get(WeChatUser, openid)
            if user is None:
                user = WeChatUser(openid=openid, created_at=now)
                session.add(user)
            user.last_message_at = now
            user.unsubscribed_at = None
            return user.language or self.default_language

    async def language(self, openid: str) -> str | None:
        async with self.db.session() as session:
            user = await session.get(WeChatUser, openid)
            return user.language if user else None

    async def set_language(self, openid: str, lang: str) -> str:
        lang = normalize_language(lang, "zh")  # type: ignore[arg-type]
        async with self.db.write_session() as session:
            user = await session.get(WeChatUser, openid)
            if user is None:
                user = WeChatUser(openid=openid, created_at=self.clock.now())
                session.add(user)
            user.language = lang
        return lang

    async def unsubscribed(self, openid: str) -> None:
        async with self.db.write_session() as session:
            user = await session.get(WeChatUser, openid)
            if user is not None:
                user.unsubscribed_at = self.clock.now()

    async def reachable(self, openid: str) -> tuple[bool, bool]:
        """(subscribed, within the customer-service window)."""
        async with self.db.session() as session:
            user = await session.get(WeChatUser, openid)
        if user is None:
            return True, False
        window = user.last_message_at is not None and self.clock.now() - user.last_message_at < SERVICE_WINDOW
        return user.unsubscribed_at is None, window


class Seen:
    """First-time checks of delivery keys: Redis SET NX when configured, else the database."""

    def __init__(self, db: Database, clock: Clock, redis: Any = None, prefix: str = "civicdesk:wx-seen"):
        self.db = db
        self.clock = clock
        self.redis = redis
        self.prefix = prefix

    async def first_time(self, key: str) -> bool:
        if self.redis is not None:
            return bool(await self.redis.set(f"{self.prefix}:{key}", b"1", nx=True,
                                             ex=int(SEEN_KEEP.total_seconds())))
        now = self.clock.now()
        insert = sqlite_insert if self.db.is_sqlite else pg_insert
        stmt = (insert(WeChatSeen).values(key=key, received_at=now)
                .on_conflict_do_nothing(index_elements=[WeChatSeen.key]).returning(WeChatSeen.key))
        async with self.db.write_session() as session:
            new = (await session.execute(stmt)).first() is not None
            if new and now.second == 0:  # now and then, forget old keys
                await session.execute(delete(WeChatSeen).where(WeChatSeen.received_at < now - SEEN_KEEP))
        return new
