"""`civicdesk opendays` against a migrated SQLite database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicdesk.cli import app
from civicdesk.container import build_services
from civicdesk.migrate import upgrade
from core.settings import Settings

from .support import event_input


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("CIVICDESK_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CIVICDESK_SECRET_KEY", "test")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    upgrade(settings.resolved_database_url)
    return settings


def test_list_send_due_and_export(env: Settings, tmp_path: Path) -> None:
    async def seed() -> int:
        services = build_services(env)
        try:
            event = await services.opendays.create(event_input(starts_at=event_input().starts_at.replace(year=2099),
                                                               ends_at=event_input().ends_at.replace(year=2099)), "cli")
            await services.opendays.publish(event.id, "cli")
            return event.id
        finally:
            await services.aclose()

    event_id = asyncio.run(seed())
    runner = CliRunner()
    listed = runner.invoke(app, ["opendays", "list"])
    assert listed.exit_code == 0, listed.output
    assert f"{event_id}\tpublished\t2099-03-20 09:00\t0/20 seats\t0 waitlisted\t城南保障房项目工地开放日" in listed.output
    due = runner.invoke(app, ["opendays", "send-due"])
    assert due.exit_code == 0 and "reminders 0, feedback requests 0, finished events 0" in due.output
    out = tmp_path / "regs.csv"
    exported = runner.invoke(app, ["opendays", "export", str(event_id), "-o", str(out)])
    assert exported.exit_code == 0 and out.read_bytes().startswith(b"\xef\xbb\xbf")
    missing = runner.invoke(app, ["opendays", "export", "999", "-o", str(out)])
    assert missing.exit_code == 1 and "找不到编号为 999 的开放日活动" in missing.output
