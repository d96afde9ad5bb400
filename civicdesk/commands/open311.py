"""`civicdesk open311 keys add|list|revoke`: API keys of Open311 clients (accounts/client_keys.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from . import run_with_services

app = typer.Typer(help="Open311 GeoReport v2.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys of Open311 clients (stored hashed; effective at once).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="open311")


@keys_app.command("add")
def add(name: Annotated[str, typer.Argument(help="the client's name, e.g. 12345平台")]) -> None:
    """Make a key; prints it once, as the last word of the output."""
    new = run_with_services(lambda s: s.client_keys.add(name))
    typer.echo(f"Open311 API key for '{new.name}' (shown once, stored hashed): {new.key}")


@keys_app.command("list")
def list_keys() -> None:
    """name, key prefix, created, last used, active or revoked."""
    for k in run_with_services(lambda s: s.client_keys.list()):
        used = k.last_used_at.isoformat(timespec="minutes") if k.last_used_at else "never"
        state = f"revoked {k.revoked_at.isoformat(timespec='minutes')}" if k.revoked_at else "active"
        typer.echo(f"{k.name}\t{k.prefix}…\t{k.created_at.isoformat(timespec='minutes')}\t{used}\t{state}")


@keys_app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="the client's name")]) -> None:
    """Revoke a key; running servers refuse it from the next request."""
    run_with_services(lambda s: s.client_keys.revoke(name))
    typer.echo(f"Open311 API key of '{name}' revoked")
