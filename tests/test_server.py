"""The real thing over loopback: `civicdesk db upgrade`, `staff add` and `serve` as a user runs them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import imaging
from tests.live import LiveServer, live_server, server_env


@pytest.fixture
def server(tmp_path: Path, db_url: str) -> Iterator[LiveServer]:
    with live_server(server_env(tmp_path / "var", db_url)) as live:
        yield live


def test_serve_migrates_and_handles_a_report_over_http(server: LiveServer) -> None:
    created = httpx.post(
        f"{server.url}/api/v1/reports",
        data={"category": "拖欠农民工工资", "description": "包工头拖欠我们十二个人三个月工资", "address": "县城北工地"},
        files=[("photos", ("a.jpg", imaging.jpeg(), "image/jpeg"))],
        timeout=30,
    )
    assert created.status_code == 201, created.text
    number = created.json()["tracking_number"]

    token = server.staff("zhang", "triager", "a long enough password")
    headers = {"Authorization": f"Bearer {token}"}
    detail = httpx.get(f"{server.url}/api/v1/staff/reports/{number}", headers=headers, timeout=10).json()
    assert detail["department"] == "县人力资源和社会保障局"
    duplicate = server.cli("staff", "add", "zhang", "--role", "viewer")
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    bad_role = server.cli("staff", "add", "li", "--role", "boss")
    assert bad_role.returncode == 1 and "Role must be" in bad_role.stderr


def test_serve_with_two_workers(tmp_path: Path) -> None:
    """Several processes share one database (SQLite in WAL mode here) and number reports in turn."""
    env = server_env(tmp_path / "var", f"sqlite+aiosqlite:///{tmp_path}/workers.db")
    with live_server(env, 90, "--workers", "2") as live:
        numbers = set()
        with httpx.Client(base_url=live.url, timeout=30) as client:
            for i in range(6):
                response = client.post("/api/v1/reports", data={
                    "category": "dust", "description": f"第 {i} 份：工地扬尘很大", "address": "城关镇"})
                assert response.status_code == 201, response.text
                numbers.add(response.json()["tracking_number"])
        year = min(numbers)[:4]
        assert sorted(numbers) == [f"{year}-{n:06d}" for n in range(1, 7)]
