"""Building the bot: the aiogram `Bot` (pointed at Telegram or a self-hosted Bot API server), the
`Dispatcher` with its storage, middlewares and routers, and the command menu."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.types import BotCommand, Update

from civicdesk.container import Services
from core.ratelimit import RateLimiter
from core.settings import Settings

from .context import BotContext
from .delivery import OutboxDelivery
from .handlers import routers
from .i18n import texts
from .middlewares import LanguageMiddleware, StaleFlowMiddleware
from .storage import make_storage
from .throttling import ReportLimitMiddleware, ThrottlingMiddleware

log = logging.getLogger(__name__)

COMMANDS = ("start", "report", "status", "opendays", "language", "cancel", "help")


class BotNotConfigured(RuntimeError):
    pass


def build_bot(settings: Settings, *, timeout: float = 60.0) -> Bot:
    """The Bot API client; `telegram_api_url` points it at a self-hosted Bot API server."""
    if not settings.telegram_token:
        raise BotNotConfigured("CIVICDESK_TELEGRAM_TOKEN is not set; get a token from @BotFather")
    session = AiohttpSession(timeout=timeout)
    if settings.telegram_api_url:
        session.api = TelegramAPIServer.from_base(settings.telegram_api_url)
    return Bot(
        settings.telegram_token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )


def build_dispatcher(
    ctx: BotContext,
    *,
    storage: BaseStorage | None = None,
    isolation: BaseEventIsolation | None = None,
    limiter: RateLimiter | None = None,
) -> Dispatcher:
    services = ctx.services
    settings = services.settings
    if storage is None:
        storage, made_isolation = make_storage(settings, services.db, services.clock)
        isolation = isolation or made_isolation
    dp = Dispatcher(storage=storage, events_isolation=isolation, ctx=ctx)
    dp.update.outer_middleware(LanguageMiddleware(ctx))
    dp.update.outer_middleware(StaleFlowMiddleware(ctx))
    throttle = ThrottlingMiddleware(limiter or services.limiter, settings.bot_messages_per_minute)
    dp.message.outer_middleware(throttle)
    dp.callback_query.outer_middleware(throttle)
    dp.callback_query.middleware(
        ReportLimitMiddleware(services.complaints, services.clock, settings.bot_reports_per_hour)
    )
    dp.include_routers(*routers())
    return dp


async def set_commands(bot: Bot) -> None:
    """The command menu in Chinese (the default, for every language) and in English."""
    zh, en = texts("zh"), texts("en")
    await bot.set_my_commands([BotCommand(command=c, description=zh.plain(f"cmd.{c}")) for c in COMMANDS])
    await bot.set_my_commands(
        [BotCommand(command=c, description=en.plain(f"cmd.{c}")) for c in COMMANDS], language_code="en"
    )


def allowed_updates() -> list[str]:
    """The update types the bot's handlers use (what Telegram is asked to send)."""
    dp = Dispatcher()
    dp.include_routers(*routers())
    return dp.resolve_used_update_types()


@dataclass
class BotRuntime:
    """One bot: client, dispatcher, context and outbox delivery, closed together."""

    bot: Bot
    dispatcher: Dispatcher
    ctx: BotContext
    delivery: OutboxDelivery
    _background: set[asyncio.Task[Any]] = field(default_factory=set)
    _closed: bool = False

    @classmethod
    def build(cls, services: Services, bot: Bot | None = None, **dispatcher_options: Any) -> BotRuntime:
        ctx = BotContext.build(services)
        bot = bot or build_bot(services.settings)
        return cls(
            bot, build_dispatcher(ctx, **dispatcher_options), ctx, OutboxDelivery(services, bot, ctx.users)
        )

    async def feed(self, update: Update) -> None:
        await self.dispatcher.feed_update(self.bot, update)

    def feed_in_background(self, update: Update) -> None:
        task = asyncio.create_task(self._feed_logged(update))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _feed_logged(self, update: Update) -> None:
        try:
            await self.feed(update)
        except Exception:
            log.exception("update %s failed", update.update_id)

    async def drain(self) -> None:
        """Until every update taken in (and every album they started) has been handled."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
        await self.ctx.albums.wait_all()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.drain()
        await self.delivery.stop()
        await self.ctx.aclose()
        await self.dispatcher.storage.close()
        await self.dispatcher.fsm.events_isolation.close()
        await self.bot.session.close()
