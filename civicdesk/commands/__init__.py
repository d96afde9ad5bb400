"""The `civicdesk` command's groups, one module each; `civicdesk/cli.py` registers them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer

T = TypeVar("T")


def run_with_services(work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work(services)` with the configured services, closed afterwards; domain errors exit 1."""
    from civicdesk.container import build_services
    from core.errors import DomainError
    from core.settings import Settings

    async def run() -> T:
        services = build_services(Settings())
        try:
            return await work(services)
        finally:
            await services.aclose()

    try:
        return asyncio.run(run())
    except DomainError as exc:
        typer.echo(f"error: {exc.message_zh} / {exc.message_en}", err=True)
        raise typer.Exit(code=1) from None
