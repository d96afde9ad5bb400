"""The web process's application: the FastAPI app of `public_api`, plus the Telegram webhook
when `CIVICDESK_TELEGRAM_WEBHOOK_URL` is set. Composed here so neither adapter imports the other."""

from __future__ import annotations

from fastapi import FastAPI

from core.settings import Settings
from public_api.app import create_app as create_api_app

from .container import Services


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """Build the app (see `public_api.app.create_app` for who owns `services`)."""
    settings = services.settings if services else (settings or Settings())
    app = create_api_app(settings, services)
    if settings.telegram_webhook_url:
        from bot.webhook import webhook_router

        app.include_router(webhook_router(settings))
    return app
