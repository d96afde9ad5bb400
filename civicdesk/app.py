"""The web process's application: the FastAPI app of `public_api`, the Telegram webhook when
`CIVICDESK_TELEGRAM_WEBHOOK_URL` is set, the WeChat callback (`/wechat/callback`) when
`CIVICDESK_WECHAT_TOKEN` is set, and, in the single-process mode (`CIVICDESK_BACKGROUND`, the default
on SQLite), the background work (`civicdesk/worker.py`). Otherwise the app is stateless and
`civicdesk worker` does that work. Composed here so neither adapter imports the other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from core.kit.channels import ChannelName
from core.settings import Settings
from public_api.app import create_app as create_api_app
from public_api.app import hold_services
from public_api.routes import health

from .container import Services
from .metrics import MetricsMiddleware, metrics_router
from .worker import Background, ingest_runs_here


def background_router(settings: Settings) -> APIRouter:
    """Hosts background work while the app is up: all of it in the single-process mode (leased in
    the database, so several server processes, and a bot process, can all host it); otherwise only
    the ingest jobs when the knowledge index is an embedded store, which belongs to this process."""
    in_process = settings.background_in_process
    ingest = ingest_runs_here(settings, worker=False)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        background = Background(
            app.state.services,
            jobs=None if in_process else (),
            # the webhook's own bot runtime delivers Telegram messages in this process
            exclude_channels=(ChannelName.TELEGRAM.value,) if settings.telegram_webhook_url else (),
            ingest=ingest,
            deliver=in_process,
        )
        app.state.background = background
        app.state.jobs = background.jobs
        background.start()
        try:
            yield
        finally:
            await background.stop()

    return APIRouter(lifespan=lifespan)


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """Build the app (see `public_api.app.create_app` for who owns `services`)."""
    settings = services.settings if services else (settings or Settings())
    app = create_api_app(settings, services)
    app.include_router(background_router(settings))
    if settings.telegram_webhook_url:
        from bot.webhook import webhook_router

        app.include_router(webhook_router(settings))
    if settings.wechat_token:
        from wechat.callback import wechat_router

        app.include_router(wechat_router(settings))
    app.include_router(metrics_router(settings))
    app.add_middleware(MetricsMiddleware)  # outermost: it times every response, 500s included
    return app


def create_webhook_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """`civicdesk bot --webhook`: a process that only talks to Telegram (updates in, replies out),
    with `/healthz` and `/metrics`; no public API, no pages. The API processes then run without
    `CIVICDESK_TELEGRAM_WEBHOOK_URL`, and `civicdesk worker` delivers the outbox (in the
    single-process mode this process delivers Telegram's itself, like `civicdesk bot` polling)."""
    from bot.webhook import webhook_router

    settings = services.settings if services else (settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with hold_services(app, settings, services):
            background = Background(app.state.services, exclude_channels=(ChannelName.TELEGRAM.value,), ingest=False)
            if settings.background_in_process:
                background.start()
            try:
                yield
            finally:
                await background.stop()

    app = FastAPI(title="Civic Desk Telegram webhook", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    if services is not None:
        app.state.services = services

    app.include_router(health.router)  # liveness and the database, as on the API
    app.include_router(webhook_router(settings))
    app.include_router(metrics_router(settings))
    app.add_middleware(MetricsMiddleware)
    return app
