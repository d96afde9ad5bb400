"""Per-person limits: messages per minute (every update) and reports per hour (on "Submit").

Message counts live in Redis when it is configured (shared by every bot process), otherwise in the
process. Reports are counted in the database from the reports themselves, so the limit holds across
restarts and processes and a refused submission keeps the person's draft.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.types import CallbackQuery, Message, TelegramObject

from complaints.schemas import Channel
from complaints.service import ComplaintService
from core.clock import Clock

from .i18n import Texts

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
REPORT_FLAG = "submits_report"


class RateLimiter(Protocol):
    async def hit(self, key: str, window_s: int) -> int:
        """Count one event for `key`; return how many fell in the current window, this one included."""
        ...


class MemoryRateLimiter:
    """Sliding window of event times per key, in this process."""

    def __init__(self, max_keys: int = 100_000):
        self._events: dict[str, deque[float]] = {}
        self._max_keys = max_keys

    async def hit(self, key: str, window_s: int) -> int:
        now = time.monotonic()
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self._max_keys:
                self._prune(now, window_s)
            events = self._events[key] = deque()
        while events and events[0] <= now - window_s:
            events.popleft()
        events.append(now)
        return len(events)

    def _prune(self, now: float, window_s: int) -> None:
        for key in [k for k, v in self._events.items() if not v or v[-1] <= now - window_s]:
            del self._events[key]


class RedisRateLimiter:
    """Fixed windows counted with INCR in Redis, shared by every process."""

    def __init__(self, url: str, prefix: str = "civicdesk:tg-rate"):
        from redis.asyncio import Redis

        self.redis = Redis.from_url(url)
        self.prefix = prefix

    async def hit(self, key: str, window_s: int) -> int:
        bucket = int(time.time() // window_s)
        name = f"{self.prefix}:{key}:{bucket}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_s * 2)
            count, _ = await pipe.execute()
        return int(count)

    async def close(self) -> None:
        await self.redis.aclose()


class ThrottlingMiddleware(BaseMiddleware):
    """Drops a person's messages and button taps above `per_minute`, telling them once per window."""

    def __init__(self, limiter: RateLimiter, per_minute: int):
        self.limiter = limiter
        self.per_minute = per_minute

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        if user is None or self.per_minute <= 0:
            return await handler(event, data)
        count = await self.limiter.hit(f"msg:{user.id}", 60)
        if count <= self.per_minute:
            return await handler(event, data)
        tr: Texts = data["tr"]
        first_refusal = count == self.per_minute + 1
        if isinstance(event, CallbackQuery):
            await event.answer(tr.plain("throttle.messages") if first_refusal else None)
        elif isinstance(event, Message) and first_refusal:
            await event.answer(tr("throttle.messages"))
        return None


class ReportLimitMiddleware(BaseMiddleware):
    """Refuses a handler flagged `submits_report` once the person filed `per_hour` reports in an hour."""

    def __init__(self, complaints: ComplaintService, clock: Clock, per_hour: int):
        self.complaints = complaints
        self.clock = clock
        self.per_hour = per_hour

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        if user is None or self.per_hour <= 0 or not get_flag(data, REPORT_FLAG):
            return await handler(event, data)
        if await self.recent_reports(user.id) < self.per_hour:
            return await handler(event, data)
        tr: Texts = data["tr"]
        text = tr("throttle.reports", limit=self.per_hour)
        if isinstance(event, CallbackQuery):
            await event.answer()
            if event.message is not None:
                await event.bot.send_message(event.message.chat.id, text)  # type: ignore[union-attr]
        elif isinstance(event, Message):
            await event.answer(text)
        return None

    async def recent_reports(self, user_id: int) -> int:
        since = self.clock.now() - timedelta(hours=1)
        reports = await self.complaints.reports_of_channel_user(
            Channel.TELEGRAM.value, str(user_id), limit=self.per_hour
        )
        return sum(1 for r in reports if r.created_at >= since)
