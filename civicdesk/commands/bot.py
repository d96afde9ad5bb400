"""`civicdesk bot`: run the Telegram bot by long polling, or register / remove the webhook."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    app.command("bot")(bot_command)


def bot_command(
    set_webhook: Annotated[
        bool,
        typer.Option("--set-webhook", help="register CIVICDESK_TELEGRAM_WEBHOOK_URL with Telegram and exit"),
    ] = False,
    delete_webhook: Annotated[
        bool, typer.Option("--delete-webhook", help="remove the webhook (back to polling) and exit")
    ] = False,
    migrate: Annotated[bool, typer.Option(help="apply database migrations first")] = True,
    webhook: Annotated[bool, typer.Option(
        "--webhook", help="receive updates at CIVICDESK_TELEGRAM_WEBHOOK_URL in this process (an HTTP server "
        "with only the webhook, /healthz and /metrics) instead of polling")] = False,
    host: Annotated[str, typer.Option(help="with --webhook: interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="with --webhook: TCP port")] = 8081,
) -> None:
    """Run the Telegram bot (long polling; token from CIVICDESK_TELEGRAM_TOKEN).

    With CIVICDESK_TELEGRAM_WEBHOOK_URL set, either `civicdesk bot --webhook` receives the updates
    (a process that only talks to Telegram) or `civicdesk serve` does (one process for everything);
    --set-webhook / --delete-webhook register or remove the webhook and exit.
    """
    from core.settings import Settings

    from civicdesk.logs import configure_logging

    settings = Settings()
    configure_logging(settings)
    if not settings.telegram_token:
        typer.echo(
            "CIVICDESK_TELEGRAM_TOKEN is not set: create a bot with @BotFather and set its token.", err=True
        )
        raise typer.Exit(code=1)
    if set_webhook and delete_webhook:
        typer.echo("choose one of --set-webhook and --delete-webhook", err=True)
        raise typer.Exit(code=2)
    if set_webhook or delete_webhook:
        asyncio.run(_webhook(settings, set_webhook))
        return
    if webhook and not settings.telegram_webhook_url:
        typer.echo("--webhook needs CIVICDESK_TELEGRAM_WEBHOOK_URL (the public address Telegram calls)", err=True)
        raise typer.Exit(code=1)
    if settings.telegram_webhook_url and not webhook:
        typer.echo(
            "CIVICDESK_TELEGRAM_WEBHOOK_URL is set: run `civicdesk bot --webhook` (or let `civicdesk serve` "
            "receive the updates). Unset it to poll, or run `civicdesk bot --delete-webhook` first.",
            err=True,
        )
        raise typer.Exit(code=1)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if migrate:
        from civicdesk.migrate import upgrade

        upgrade(settings.resolved_database_url)
    if webhook:
        import uvicorn

        from civicdesk.app import create_webhook_app
        from civicdesk.logs import uvicorn_log_config

        uvicorn.run(create_webhook_app(settings), host=host, port=port, log_level=settings.log_level.lower(),
                    proxy_headers=False, log_config=uvicorn_log_config(settings.log_format))
        return
    asyncio.run(run_polling(settings))


async def run_polling(settings, *, handle_signals: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Long polling until SIGINT/SIGTERM. In the single-process mode (`CIVICDESK_BACKGROUND`) the
    outbox delivery and the scheduled jobs run alongside; otherwise `civicdesk worker` does them and
    this process only talks to Telegram."""
    from civicdesk.container import build_services
    from civicdesk.worker import Background
    from core.kit.channels import ChannelName

    from bot.app import BotRuntime, allowed_updates, set_commands

    services = build_services(settings)
    await services.complaints.ensure_seed_data()
    runtime = BotRuntime.build(services)
    # The runtime's own loop delivers Telegram; the embedded knowledge index belongs to `serve`.
    background = Background(services, exclude_channels=(ChannelName.TELEGRAM.value,), ingest=False)
    in_process = settings.background_in_process
    try:
        await runtime.bot.delete_webhook(drop_pending_updates=False)
        await set_commands(runtime.bot)
        if in_process:
            runtime.delivery.start()
            background.start()
        me = await runtime.bot.get_me()
        log.info("polling as @%s", me.username)
        await runtime.dispatcher.start_polling(
            runtime.bot,
            handle_signals=handle_signals,
            close_bot_session=False,
            allowed_updates=allowed_updates(),
        )
    finally:
        await background.stop()
        await runtime.aclose()
        await services.aclose()


async def _webhook(settings, set_it: bool) -> None:  # type: ignore[no-untyped-def]
    from bot.app import build_bot
    from bot.webhook import WebhookConfig, register_webhook

    bot = build_bot(settings)
    try:
        if set_it:
            config = WebhookConfig.from_settings(settings)
            await register_webhook(bot, config)
            typer.echo(f"webhook set: {config.url.rsplit('/', 1)[0]}/<secret>")
        else:
            await bot.delete_webhook(drop_pending_updates=False)
            typer.echo("webhook removed; run `civicdesk bot` to poll")
    finally:
        await bot.session.close()
