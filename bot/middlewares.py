"""Middlewares that run for every update: the person's language, and clearing abandoned reports."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import TelegramObject

from conversations.report import FLOW as REPORT_FLOW
from core.conversation import is_stale

from . import keyboards
from .context import BotContext
from .i18n import texts

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
FLOW_PREFIX = f"{REPORT_FLOW}:"


class LanguageMiddleware(BaseMiddleware):
    """Puts `lang` and `tr` (the catalog of the person's language) into the handler data."""

    def __init__(self, ctx: BotContext):
        self.ctx = ctx

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        lang = self.ctx.users.default_language
        if user is not None:
            prefs = await self.ctx.users.prefs(user.id)
            lang = prefs.language or lang
            if prefs.blocked:
                await self.ctx.users.seen(user.id)
        data["lang"] = lang
        data["tr"] = texts(lang)
        return await handler(event, data)


class StaleFlowMiddleware(BaseMiddleware):
    """A report left unfinished is kept; one untouched for longer than `ctx.flow_ttl` is cleared
    when its author comes back, and they are told so before their message is handled."""

    def __init__(self, ctx: BotContext):
        self.ctx = ctx

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        raw_state = data.get("raw_state")
        state: FSMContext | None = data.get("state")
        if state is not None and isinstance(raw_state, str) and raw_state.startswith(FLOW_PREFIX):
            if is_stale(await state.get_data(), self.ctx.now(), self.ctx.flow_ttl):
                await state.clear()
                data["raw_state"] = None
                chat = data.get("event_chat")
                if chat is not None:
                    tr = data["tr"]
                    hours = int(self.ctx.flow_ttl.total_seconds() // 3600)
                    await data["bot"].send_message(
                        chat.id, tr("report.expired", hours=hours), reply_markup=keyboards.main_menu(tr)
                    )
        return await handler(event, data)
