"""`civicdesk backup PATH` and `civicdesk restore PATH` (see `civicdesk/backup.py`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)


def backup_command(
    path: Annotated[Path, typer.Argument(help="the tar file to write (replaced atomically)")],
) -> None:
    """Back up the database, the photo store and the knowledge index into one tar file, while the
    services run (SQLite's online backup API, or pg_dump)."""
    from civicdesk.backup import BackupError, backup
    from core.settings import Settings

    try:
        summary = asyncio.run(backup(Settings(), path))
    except BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"backed up {summary.line()} to {path}")


def restore_command(
    path: Annotated[Path, typer.Argument(help="a tar file written by `civicdesk backup`")],
    force: Annotated[bool, typer.Option("--force", help="replace a database and photo store that hold data")] = False,
) -> None:
    """Restore a backup into the configured database and data dir (stop the services first). Refuses
    a database or photo store that already holds data unless --force."""
    from civicdesk.backup import BackupError, restore
    from core.settings import Settings

    try:
        summary = asyncio.run(restore(Settings(), path, force=force))
    except BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"restored {summary.line()} (backup of {summary.created_at}); "
               "`civicdesk serve` applies newer migrations at start")
