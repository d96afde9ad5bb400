"""Webhook mode: Telegram POSTs updates to the FastAPI app instead of the bot polling for them.

Mounted by `civicdesk.app.create_app` when `CIVICDESK_TELEGRAM_WEBHOOK_URL` is set. The path ends in
a secret derived from the configured secrets, and Telegram's `X-Telegram-Bot-Api-Secret-Token`
header must match too; an update delivered twice (a retry after a slow answer) is handled once.
The app registers the webhook and the command menu with Telegram at start-up and, in the
single-process mode (`CIVICDESK_BACKGROUND`), also runs the Telegram outbox delivery loop;
otherwise `civicdesk worker` delivers.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiogram import Bot
from aiogram.types import Update
from fastapi import APIRouter, FastAPI, HTTPException, Request
from pydantic import ValidationError

from civicdesk.container import Services
from core.ids import secrets_equal
from core.settings import Settings

from .app import BotRuntime, allowed_updates, set_commands
from .dedupe import UpdateDeduper, make_deduper

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_PATH = "/telegram/webhook"


@dataclass(frozen=True)
class WebhookConfig:
    route: str  # path the app serves, secret included
    url: str  # what Telegram is told to call
    header_secret: str

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookConfig:
        if not settings.telegram_webhook_url:
            raise ValueError("CIVICDESK_TELEGRAM_WEBHOOK_URL is not set")
        base = settings.telegram_webhook_url.rstrip("/")
        root = settings.telegram_webhook_secret or settings.resolved_secret_key()
        path_secret = _derive(root, "telegram-webhook-path")
        header = settings.telegram_webhook_secret or _derive(root, "telegram-webhook-header")
        path = urlsplit(base).path.rstrip("/")
        if not path:  # only a host was given
            path, base = DEFAULT_PATH, base + DEFAULT_PATH
        return cls(route=f"{path}/{path_secret}", url=f"{base}/{path_secret}", header_secret=header)


def _derive(secret: str, purpose: str) -> str:
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).hexdigest()[:40]


class WebhookEndpoint:
    """The bot behind the webhook, built on first use (or at start-up when the lifespan runs)."""

    def __init__(self, config: WebhookConfig):
        self.config = config
        self.runtime: BotRuntime | None = None
        self.deduper: UpdateDeduper | None = None
        self._lock = asyncio.Lock()

    async def ensure(self, services: Services) -> BotRuntime:
        if self.runtime is None:
            async with self._lock:
                if self.runtime is None:
                    self.deduper = make_deduper(services)
                    self.runtime = BotRuntime.build(services)
        return self.runtime

    async def handle(self, request: Request, path_secret: str) -> dict[str, object]:
        expected_path = self.config.route.rsplit("/", 1)[1]
        if not secrets_equal(path_secret, expected_path):
            raise HTTPException(status_code=404, detail="Not Found")
        header = request.headers.get(SECRET_HEADER, "")
        if not secrets_equal(header, self.config.header_secret):
            raise HTTPException(status_code=403, detail="wrong secret token")
        runtime = await self.ensure(request.app.state.services)
        try:
            update = Update.model_validate(await request.json(), context={"bot": runtime.bot})
        except (ValueError, ValidationError) as exc:
            raise HTTPException(status_code=400, detail="not a Telegram update") from exc
        assert self.deduper is not None
        if not await self.deduper.first_time(runtime.bot.id, update.update_id):
            return {"ok": True, "duplicate": True}
        # Answer Telegram at once; the update is handled in the background.
        runtime.feed_in_background(update)
        return {"ok": True}

    async def start(self, services: Services) -> None:
        runtime = await self.ensure(services)
        if services.settings.background_in_process:
            runtime.delivery.start()
        task = asyncio.create_task(self._register(runtime))
        runtime._background.add(task)
        task.add_done_callback(runtime._background.discard)

    async def _register(self, runtime: BotRuntime) -> None:
        """Tell Telegram where to send updates; a failure is logged, the API keeps serving."""
        try:
            await register_webhook(runtime.bot, self.config)
            log.info("Telegram webhook set")
        except Exception as exc:  # noqa: BLE001
            log.warning("could not register the Telegram webhook: %s", exc)

    async def close(self) -> None:
        if self.runtime is not None:
            await self.runtime.aclose()
            self.runtime = None
        if self.deduper is not None:
            await self.deduper.close()
            self.deduper = None


async def register_webhook(bot: Bot, config: WebhookConfig) -> None:
    await bot.set_webhook(config.url, secret_token=config.header_secret, allowed_updates=allowed_updates())
    await set_commands(bot)


def webhook_router(settings: Settings) -> APIRouter:
    config = WebhookConfig.from_settings(settings)
    endpoint = WebhookEndpoint(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.telegram_webhook = endpoint
        await endpoint.start(app.state.services)
        try:
            yield
        finally:
            await endpoint.close()

    router = APIRouter(lifespan=lifespan)
    base_path = config.route.rsplit("/", 1)[0]

    @router.post(base_path + "/{path_secret}", include_in_schema=False)
    async def telegram_update(path_secret: str, request: Request) -> dict[str, object]:
        request.app.state.telegram_webhook = endpoint
        return await endpoint.handle(request, path_secret)

    return router
