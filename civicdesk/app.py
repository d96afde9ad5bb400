"""The web process's application: the FastAPI app of `public_api`, the scheduled-job runner, and
the Telegram webhook when `CIVICDESK_TELEGRAM_WEBHOOK_URL` is set, and the WeChat callback
(`/wechat/callback`) when `CIVICDESK_WECHAT_TOKEN` is set. Composed here so neither
adapter imports the other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from core.settings import Settings
from public_api.app import create_app as create_api_app

from .container import Services
from .jobs import JobRunner


def jobs_router() -> APIRouter:
    """Runs the scheduled domain jobs while the app is up (leased in the database, so several
    server processes, and a bot process, can all host it)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner = JobRunner(app.state.services)
        app.state.jobs = runner
        runner.start()
        try:
            yield
        finally:
            await runner.stop()

    return APIRouter(lifespan=lifespan)


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """Build the app (see `public_api.app.create_app` for who owns `services`)."""
    settings = services.settings if services else (settings or Settings())
    app = create_api_app(settings, services)
    app.include_router(jobs_router())
    if settings.telegram_webhook_url:
        from bot.webhook import webhook_router

        app.include_router(webhook_router(settings))
    if settings.wechat_token:
        from wechat.callback import wechat_router

        app.include_router(wechat_router(settings))
    return app
