"""Shared fixtures: every database test runs on SQLite, and on PostgreSQL too when
CIVICDESK_TEST_POSTGRES_URL is set (CI sets it). Each test gets a database of its own, cloned
from one migrated per run, so tests and parallel runs never see each other's rows."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from civicdesk.container import Services, build_services
from core.clock import FrozenClock
from civicdesk.migrate import upgrade
from core.settings import Settings
from tests.support import TEST_MODELS_DIR, pg_execute

POSTGRES_URL = os.environ.get("CIVICDESK_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("CIVICDESK_TEST_REDIS_URL")
RUN_ID = uuid.uuid4().hex[:8]


# --- parallel workers (pytest-xdist, `make test` runs `-n 2 --dist loadgroup`) ----------------------------
# Tests are spread over the workers one by one, except those with an xdist_group mark: a group runs on one
# worker. These fixtures are expensive to set up per worker, so their tests are grouped here rather than
# in each module (new tests that use them are grouped too):
#  - `browser` (one Chromium per module): each browser module's tests share a worker;
#  - `subset_service` (four laws ingested once per session): one worker embeds them.
WORKER_GROUPED_FIXTURES = {"browser": None, "subset_service": "knowledge-subset"}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, group in WORKER_GROUPED_FIXTURES.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.xdist_group(group or item.module.__name__))
                break


def pytest_collection_finish(session: pytest.Session) -> None:
    """On a loadgroup worker, a grouped test's id ends in @group; if it does not, groups are silently
    ignored (as with pytest 9.2 and pytest-xdist 3.8, pytest-xdist#1386): say so rather than run unsafely."""
    if not session.config.getoption("loadgroup", False):
        return
    for item in session.items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
            raise pytest.UsageError("this pytest and pytest-xdist ignore xdist_group marks (pytest-xdist#1386); "
                                    "use the versions pyproject.toml pins")


def _run(coro):  # noqa: ANN001, ANN202 - tiny helper for sync fixtures
    """Run a coroutine from sync code even if a loop is running in this thread."""
    result: list[object] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:  # noqa: BLE001
            error.append(exc)

    import threading

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0] if result else None


def _postgres_database_url(name: str) -> str:
    """The test server's URL with the asyncpg driver and database `name`."""
    assert POSTGRES_URL
    url = make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg", database=name)
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("CIVICDESK_TEST_POSTGRES_URL is not set; PostgreSQL tests need a server")
    name = f"civicdesk_tpl_{RUN_ID}"
    _run(pg_execute(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'))
    upgrade(_postgres_database_url(name))
    yield name
    _run(pg_execute(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _backends() -> list[object]:
    return ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database of each backend."""
    if request.param == "sqlite":
        path = tmp_path / "civicdesk.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"civicdesk_t_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    _run(pg_execute(POSTGRES_URL, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _postgres_database_url(name)
    _run(pg_execute(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 10, 2, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        data_dir=tmp_path / "var",
        database_url=db_url,
        secret_key="test-secret-key",
        public_base_url="http://testserver",
        # Every test client is one address; the per-client limits have tests of their own.
        reports_per_client_per_hour=0,
        registrations_per_client_per_hour=0,
        models_dir=TEST_MODELS_DIR,
        # The single-process mode on both databases: the app hosts the background work that tests
        # drive (tests of the worker mode set it themselves).
        background="in_process",
    )


@pytest.fixture
async def services(settings: Settings, clock: FrozenClock) -> AsyncIterator[Services]:
    built = build_services(settings, clock)
    await built.complaints.ensure_seed_data()
    yield built
    await built.aclose()


@pytest.fixture
def app(services: Services):  # noqa: ANN201
    from civicdesk.app import create_app

    return create_app(services=services)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # noqa: ANN001
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def staff_tokens(services: Services) -> dict[str, str]:
    """An API token for one account of each role."""
    tokens = {}
    for role in ("admin", "triager", "viewer"):
        tokens[role] = (await services.accounts.create(f"{role}1", role, password="correct horse battery")).token
    return tokens
