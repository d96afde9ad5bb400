"""`civicdesk backup` and `civicdesk restore` on each database: a report with a photo and a policy
document go in through the API and the index, the backup is restored into an empty data dir and an
empty database (PostgreSQL: one created and dropped here), and the report, its photo and an answer
from the document come back through the API."""

from __future__ import annotations

import asyncio
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from civicdesk.app import create_app
from civicdesk.cli import app as cli
from civicdesk.container import build_services
from core.settings import Settings
from tests import imaging
from tests.complaints.test_api import FORM
from tests.conftest import POSTGRES_URL, _postgres_database_url
from tests.knowledge.conftest import EMBEDDINGS_CACHE, TEST_LAW
from tests.knowledge.test_api import NIGHT_QUESTION
from tests.support import TEST_MODELS_DIR, pg_execute

ENV = ("CIVICDESK_DATA_DIR", "CIVICDESK_DATABASE_URL", "CIVICDESK_MODELS_DIR", "CIVICDESK_EMBEDDINGS_CACHE_PATH",
       "CIVICDESK_SECRET_KEY")


def settings_for(data_dir: Path, url: str) -> Settings:
    return Settings(_env_file=None, environment="test", data_dir=data_dir, database_url=url,  # type: ignore[call-arg]
                    models_dir=TEST_MODELS_DIR, embeddings_cache_path=EMBEDDINGS_CACHE, background="worker",
                    reports_per_client_per_hour=0)


def civicdesk(monkeypatch: pytest.MonkeyPatch, settings: Settings, *args: str) -> Any:
    """The CLI as a user runs it, configured by the environment only."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CIVICDESK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CIVICDESK_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("CIVICDESK_MODELS_DIR", str(TEST_MODELS_DIR))
    monkeypatch.setenv("CIVICDESK_EMBEDDINGS_CACHE_PATH", str(EMBEDDINGS_CACHE))
    return CliRunner().invoke(cli, list(args))


async def fill(settings: Settings) -> dict[str, Any]:
    """A report with a photo through the API, a law in the index; what a reader sees of them."""
    services = build_services(settings)
    await services.complaints.ensure_seed_data()
    await asyncio.to_thread(services.knowledge.ingest, [TEST_LAW])
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services=services)),
                                     base_url="http://testserver") as client:
            created = await client.post("/api/v1/reports", data=FORM,
                                        files=[("photos", ("site.jpg", imaging.jpeg(gps=(30.27, 120.15)),
                                                           "image/jpeg"))])
            assert created.status_code == 201, created.text
            return {**created.json(), **await read_back(client, created.json())}
    finally:
        await services.aclose()


async def read_back(client: httpx.AsyncClient, created: dict[str, Any]) -> dict[str, Any]:
    number, token = created["tracking_number"], created["status_token"]
    report = await client.get(f"/api/v1/reports/{number}?token={token}")
    photo = await client.get(f"/api/v1/reports/{number}/photos/1?token={token}")
    answer = await client.post("/api/v1/ask", json={"question": NIGHT_QUESTION, "k": 3})
    assert report.status_code == photo.status_code == answer.status_code == 200, (report.text, answer.text)
    top = answer.json()["sources"][0]
    return {"description": report.json()["description"], "photo": photo.content,
            "answer": (answer.json()["abstained"], top["law"], top["article"])}


async def read_restored(settings: Settings, created: dict[str, Any]) -> dict[str, Any]:
    services = build_services(settings)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services=services)),
                                     base_url="http://testserver") as client:
            return await read_back(client, created)
    finally:
        await services.aclose()


@pytest.fixture
def empty_database(db_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as db_url, to restore into."""
    if db_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path}/restored/civicdesk.db"
        return
    assert POSTGRES_URL
    name = f"civicdesk_restore_{uuid.uuid4().hex[:8]}"
    asyncio.run(pg_execute(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    yield _postgres_database_url(name)
    asyncio.run(pg_execute(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_backup_and_restore_into_an_empty_data_dir(
    tmp_path: Path, db_url: str, empty_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = settings_for(tmp_path / "var", db_url)
    before = asyncio.run(fill(source))
    assert before["answer"] == (False, "示范县建筑工地文明施工管理办法", "第七条")
    archive = tmp_path / "backups" / "civicdesk.tar"

    done = civicdesk(monkeypatch, source, "backup", str(archive))
    assert done.exit_code == 0, done.output
    assert "1 reports, 2 photo files, 1 knowledge documents" in done.output  # the original and its public copy
    assert (archive.stat().st_mode & 0o777) == 0o600
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert {"manifest.json", "knowledge/catalog.sqlite", "knowledge/vectors.npy"} <= set(names)
    assert ("database.sqlite" if db_url.startswith("sqlite") else "database.pgdump") in names
    assert not any(".tmp-" in name for name in names)

    target = settings_for(tmp_path / "restored", empty_database)
    done = civicdesk(monkeypatch, target, "restore", str(archive))
    assert done.exit_code == 0, done.output
    after = asyncio.run(read_restored(target, before))
    assert after["description"] == before["description"] == FORM["description"]
    assert after["photo"] == before["photo"] and after["photo"][:3] == b"\xff\xd8\xff"
    assert after["answer"] == before["answer"]
    private = next(p for p in (tmp_path / "restored" / "photos" / "private").rglob("*") if p.is_file())
    assert private.stat().st_mode & 0o777 == 0o600

    # A database that holds data is not overwritten by accident; --force replaces it.
    again = civicdesk(monkeypatch, target, "restore", str(archive))
    assert again.exit_code == 1 and "not empty" in again.output
    forced = civicdesk(monkeypatch, target, "restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    assert asyncio.run(read_restored(target, before))["photo"] == before["photo"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_restore_refuses_what_is_not_a_backup(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    target = settings_for(tmp_path / "var", f"sqlite+aiosqlite:///{tmp_path}/new.db")
    missing = civicdesk(monkeypatch, target, "restore", str(tmp_path / "nothing.tar"))
    assert missing.exit_code == 1 and "no backup file" in missing.output
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar file at all")
    refused = civicdesk(monkeypatch, target, "restore", str(junk))
    assert refused.exit_code == 1 and "is not a civicdesk backup" in refused.output
    assert not (tmp_path / "new.db").exists()
