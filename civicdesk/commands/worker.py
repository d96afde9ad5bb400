"""`civicdesk worker`: the process kind for all background work (see `civicdesk/worker.py`)."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated

import typer

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker_command)


def worker_command(
    migrate: Annotated[bool, typer.Option(help="apply database migrations first")] = True,
) -> None:
    """Deliver the outbox to every configured channel, run the scheduled jobs and photo sweeps, and
    index uploaded documents (with a Chroma server), until SIGINT/SIGTERM. Run as many as you like:
    the work is leased, so nothing is done twice."""
    from civicdesk.logs import configure_logging
    from core.settings import Settings

    settings = Settings()
    configure_logging(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if migrate:
        from civicdesk.migrate import upgrade

        upgrade(settings.resolved_database_url)
    if settings.background_in_process:
        log.info("CIVICDESK_BACKGROUND is in-process: `civicdesk serve` hosts background work as well "
                 "(safe: the work is leased); set it to `worker` to leave it to workers")
    asyncio.run(run_worker(settings))


async def run_worker(settings, stop: asyncio.Event | None = None) -> None:  # type: ignore[no-untyped-def]
    from civicdesk.container import build_services
    from civicdesk.worker import Background, ingest_runs_here

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    services = build_services(settings)
    try:
        await services.complaints.ensure_seed_data()
        background = Background(services, ingest=ingest_runs_here(settings, worker=True))
        background.start()
        try:
            await stop.wait()
        finally:
            await background.stop()
    finally:
        await services.aclose()
