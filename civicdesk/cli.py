"""The `civicdesk` command: serve, db, staff, and the commands each package registers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from core.settings import Settings

if TYPE_CHECKING:
    from accounts.service import NewAccount

app = typer.Typer(help="Civic Desk: county housing and construction bureau platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
photos_app = typer.Typer(help="Stored photos.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")
app.add_typer(photos_app, name="photos")


def _settings() -> Settings:
    return Settings()


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code=1)


def public_url(host: str, port: int) -> str:
    """The base URL of a server listening on host:port (loopback for the wildcard addresses)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else (f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    migrate: Annotated[bool, typer.Option(help="apply database migrations first")] = True,
    workers: Annotated[int, typer.Option(min=1, max=64, help="server processes (more use more cores)")] = 1,
) -> None:
    """Run the API and web pages (applies migrations first)."""
    import uvicorn

    from civicdesk.app import create_app
    from civicdesk.logs import configure_logging, uvicorn_log_config
    from civicdesk.migrate import upgrade

    settings = _settings()
    configure_logging(settings)
    if "public_base_url" not in settings.model_fields_set:
        # Links (status pages, calendar feeds, messages) point at where this server listens; set in
        # the environment so every worker process reads the same value.
        os.environ["CIVICDESK_PUBLIC_BASE_URL"] = public_url(host, port)
        settings = _settings()
        if host in ("0.0.0.0", "::"):
            logging.getLogger("civicdesk").warning(
                "listening on every interface: set CIVICDESK_PUBLIC_BASE_URL so links use the public address")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not settings.background_in_process:
        logging.getLogger("civicdesk").info(
            "background work (outbox delivery, jobs, sweeps) is left to `civicdesk worker` (CIVICDESK_BACKGROUND)")
    if migrate:
        upgrade(settings.resolved_database_url)
    from knowledge.service import build_knowledge

    build_knowledge(settings).seed_if_empty(progress=True)  # a fresh install answers questions at once
    # Forwarded headers are trusted only from CIVICDESK_TRUSTED_PROXIES, inside the app (uvicorn's
    # own default would trust them from loopback); tokens are kept out of the access log.
    options: dict[str, Any] = {"host": host, "port": port, "log_level": settings.log_level.lower(),
                               "proxy_headers": False, "log_config": uvicorn_log_config(settings.log_format)}
    with metrics_dir(workers):
        if workers == 1:
            tune_collector()
            uvicorn.run(create_app(settings), **options)
        else:
            # Each worker process builds its app (and services) from the same environment.
            uvicorn.run("civicdesk.cli:served_app", factory=True, workers=workers, **options)


# Python collects its youngest generation every 700 net allocations, every tenth of those also the
# middle one and every hundredth (roughly) the whole heap, which in a server holds the loaded
# models, the ORM's metadata and the parsers' tables. A status read allocates a few hundred
# objects: with the default, collections were a sixth of its CPU (400 -> 335 us per read at
# 7,000; garbage cycles live a few requests longer, which nothing here depends on).
GC_YOUNG_THRESHOLD = 7000


def tune_collector() -> None:
    """The threshold above; and what the process holds at start (modules, their tables) is frozen
    out of the collector's view, so a full collection no longer walks it."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)


def served_app() -> Any:
    """uvicorn's factory for `serve --workers N`: each worker process tunes its own collector."""
    from civicdesk.app import create_app

    tune_collector()
    return create_app()


@contextlib.contextmanager
def metrics_dir(workers: int) -> Iterator[None]:
    """Several worker processes count requests in files of one directory that /metrics adds up
    (prometheus_client's multi-process mode): PROMETHEUS_MULTIPROC_DIR if set (emptied of an
    earlier run's files), else a private temporary one removed at exit. Set before any worker
    imports prometheus_client, which picks its mode at import."""
    from civicdesk.metrics import MULTIPROC_ENV, prepare_multiprocess_dir

    configured = os.environ.get(MULTIPROC_ENV)
    if configured:
        prepare_multiprocess_dir(configured)
        yield
        return
    if workers == 1:
        yield
        return
    import shutil
    import tempfile

    path = tempfile.mkdtemp(prefix="civicdesk-metrics-")
    os.environ[MULTIPROC_ENV] = path
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(path, ignore_errors=True)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "heads") -> None:
    """Apply migrations up to REVISION (default: all heads)."""
    from civicdesk.migrate import upgrade

    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url, revision)
    typer.echo(f"database is up to date: {settings.resolved_database_url.split('@')[-1]}")


@staff_app.command("add")
def staff_add(
    name: Annotated[str, typer.Argument(help="username")],
    role: Annotated[str, typer.Option(help="admin | triager | viewer")] = "triager",
    display_name: Annotated[str, typer.Option(help="name shown in the console")] = "",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read a password from stdin")] = False,
    department: Annotated[list[str] | None, typer.Option(
        "--department", help="a department the account works for (repeatable; none: the whole bureau)")] = None,
) -> None:
    """Create a staff account; prints its API token once (it is stored hashed)."""
    from civicdesk.container import build_services
    from core.errors import DomainError

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None

    async def run() -> NewAccount:
        services = build_services(_settings())
        try:
            await services.complaints.ensure_seed_data()  # the departments named in the settings exist
            return await services.accounts.create(name, role, password=password, display_name=display_name,
                                                  departments=department or ())
        finally:
            await services.aclose()

    try:
        account = asyncio.run(run())
    except DomainError as exc:
        _fail(f"error: {exc.message_en} / {exc.message_zh}")
        return
    if account.temporary_password:
        typer.echo(f"temporary password (to be changed at the first sign-in): {account.temporary_password}")
    typer.echo(f"created {role} '{name}'. API token (shown once, keep it safe):")
    typer.echo(account.token)


@staff_app.command("passwd")
def staff_passwd(name: Annotated[str, typer.Argument(help="username")]) -> None:
    """Set an account's password, read from stdin (asked twice on a terminal); signs it out everywhere."""
    from civicdesk.container import build_services
    from core.errors import DomainError

    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass("new password: ")
        if getpass.getpass("repeat it: ") != password:
            _fail("error: the passwords differ / 两次输入的密码不一致")
    else:
        password = sys.stdin.readline().rstrip("\r\n")

    async def run() -> None:
        services = build_services(_settings())
        try:
            await services.accounts.set_password(name, password)
        finally:
            await services.aclose()

    try:
        asyncio.run(run())
    except DomainError as exc:
        _fail(f"error: {exc.message_en} / {exc.message_zh}")
    typer.echo(f"password of '{name}' changed; its browser sessions were signed out")


@staff_app.command("token")
def staff_token(name: Annotated[str, typer.Argument(help="username")], label: str = "") -> None:
    """Issue another API token for an existing account."""
    from civicdesk.container import build_services
    from core.errors import DomainError

    async def run() -> str:
        services = build_services(_settings())
        try:
            return await services.accounts.issue_token(name, label)
        finally:
            await services.aclose()

    try:
        typer.echo(asyncio.run(run()))
    except DomainError as exc:
        _fail(f"error: {exc.message_en} / {exc.message_zh}")


@staff_app.command("tokens")
def staff_tokens(name: Annotated[str | None, typer.Argument(help="username; all accounts if left out")] = None) -> None:
    """List API tokens: id, account, label, created, last used, revoked."""
    from civicdesk.container import build_services

    async def run() -> None:
        services = build_services(_settings())
        try:
            for t in await services.accounts.tokens(name):
                used = t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "never"
                typer.echo(f"{t.id}\t{t.username}\t{t.label or '-'}\t{t.created_at.isoformat(timespec='minutes')}"
                           f"\t{used}\t{'revoked' if t.revoked else 'active'}")
        finally:
            await services.aclose()

    asyncio.run(run())


@staff_app.command("revoke")
def staff_revoke(token_id: Annotated[int, typer.Argument(help="the token's id (see `staff tokens`)")]) -> None:
    """Revoke one API token; it stops working at once."""
    from civicdesk.container import build_services
    from core.errors import DomainError

    async def run() -> str:
        services = build_services(_settings())
        try:
            return (await services.accounts.revoke_token(token_id)).username
        finally:
            await services.aclose()

    try:
        typer.echo(f"token #{token_id} of '{asyncio.run(run())}' revoked")
    except DomainError as exc:
        _fail(f"error: {exc.message_en} / {exc.message_zh}")


@staff_app.command("list")
def staff_list() -> None:
    """List staff accounts."""
    from civicdesk.container import build_services

    async def run() -> None:
        services = build_services(_settings())
        try:
            for user in await services.accounts.list():
                scope = ",".join(user.departments) or "(whole bureau)"
                typer.echo(f"{user.username}\t{user.role.value}\t{user.display_name}\t{scope}")
        finally:
            await services.aclose()

    asyncio.run(run())


@photos_app.command("sweep")
def photos_sweep(
    grace: Annotated[int | None, typer.Option(help="seconds; default CIVICDESK_PHOTO_SWEEP_GRACE_S")] = None,
) -> None:
    """Delete photo files no report references (older than the grace period) and stale temp files."""
    from civicdesk.container import build_services
    from complaints.custody import sweep

    settings = _settings()

    async def run() -> None:
        services = build_services(settings)
        try:
            result = await sweep(services.db, services.photos,
                                 grace_s=settings.photo_sweep_grace_s if grace is None else grace)
        finally:
            await services.aclose()
        typer.echo(f"checked {result.checked} files older than the grace period; deleted "
                   f"{result.deleted} unreferenced and {result.temp_deleted} temporary files")

    asyncio.run(run())


def _register_packages() -> None:
    """Each group adds its own commands: ingest/ask/eval, bot, opendays, wechat, worker, backup/restore, open311."""
    from civicdesk.commands import backup, bot, knowledge, open311, opendays, wechat, worker

    for module in (knowledge, bot, opendays, wechat, worker, backup, open311):
        module.register(app)


_register_packages()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
