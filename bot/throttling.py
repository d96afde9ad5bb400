"""Per-person limits: messages per minute (every update) and reports per hour (on "Submit").

Messages are counted by the services' rate limiter (`core.ratelimit`: Redis when configured, so every
bot process shares the count, otherwise in the process). Reports are counted in the database from
the reports themselves, so the limit holds across restarts and processes, and a refused submission
keeps the person's draft.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.types import CallbackQuery, Message, TelegramObject

from complaints.schemas import Channel
from complaints.service import ComplaintService
from core.clock import Clock
from core.ratelimit import RateLimiter

from .i18n import Texts

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
REPORT_FLAG = "submits_report"


class ThrottlingMiddleware(BaseMiddleware):
    """Drops a person's messages and button taps above `per_minute`, telling them once per window."""

    def __init__(self, limiter: RateLimiter, per_minute: int):
        self.limiter = limiter
        self.per_minute = per_minute

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        if user is None or self.per_minute <= 0:
            return await handler(event, data)
        if await self.limiter.hit(f"tg-msg:{user.id}", self.per_minute, 60):
            return await handler(event, data)
        tr: Texts = data["tr"]
        first_refusal = await self.limiter.hit(f"tg-msg-told:{user.id}", 1, 60)
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
        return await self.complaints.count_reports_since(Channel.TELEGRAM.value, str(user_id), since)
