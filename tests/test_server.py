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
    seed = tmp_path / "no-seed"  # indexing the sample guide is not what this test is about
    seed.mkdir()
    env = server_env(tmp_path / "var", f"sqlite+aiosqlite:///{tmp_path}/workers.db",
                     CIVICDESK_KNOWLEDGE_SEED_DIR=str(seed))
    with live_server(env, 180, "--workers", "2") as live:
        numbers = set()
        with httpx.Client(base_url=live.url, timeout=30) as client:
            for i in range(6):
                response = client.post("/api/v1/reports", data={
                    "category": "dust", "description": f"第 {i} 份：工地扬尘很大", "address": "城关镇"})
                assert response.status_code == 201, response.text
                numbers.add(response.json()["tracking_number"])
            # /metrics adds up both workers' counters (multi-process mode), whichever answers
            totals = set()
            for _ in range(6):
                scraped = client.get("/metrics").text
                totals.add(next(line for line in scraped.splitlines() if line.startswith(
                    'civicdesk_http_requests_total{method="POST",route="/api/v1/reports",status="201"}')))
            assert totals == {'civicdesk_http_requests_total{method="POST",route="/api/v1/reports",status="201"} 6.0'}
            assert 'civicdesk_reports_submitted_total{channel="api"} 6.0' in scraped
        year = min(numbers)[:4]
        assert sorted(numbers) == [f"{year}-{n:06d}" for n in range(1, 7)]


def test_readme_staff_add_gives_an_account_that_signs_in(server: LiveServer) -> None:
    """`civicdesk staff add NAME --role triager` (no password) prints a temporary password; the
    console asks for a new one at the first sign-in; `civicdesk staff passwd` sets one from stdin."""
    added = server.cli("staff", "add", "zhangsan", "--role", "triager")
    assert added.returncode == 0, added.stderr
    temporary = added.stdout.split("temporary password (to be changed at the first sign-in): ")[1].split()[0]
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        browser.get("/staff/login")
        signed_in = browser.post("/staff/login", data={"username": "zhangsan", "password": temporary,
                                                       "csrf_token": browser.cookies["cd_csrf"]})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/staff/password"
    weak = server.cli("staff", "passwd", "zhangsan", stdin="password123\n")
    assert weak.returncode == 1 and "common" in weak.stderr
    changed = server.cli("staff", "passwd", "zhangsan", stdin="a long chosen password\n")
    assert changed.returncode == 0, changed.stderr
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        browser.get("/staff/login")
        signed_in = browser.post("/staff/login", data={"username": "zhangsan", "password": "a long chosen password",
                                                       "csrf_token": browser.cookies["cd_csrf"]})
        assert signed_in.headers["location"] == "/staff"
    missing = server.cli("staff", "passwd", "nobody", stdin="a long chosen password\n")
    assert missing.returncode == 1 and "No user" in missing.stderr


def test_the_serving_process_tunes_its_collector() -> None:
    """`serve` (and each of its workers) collects the young generation ten times less often and
    freezes what it holds at start; run in a process of its own (a frozen test process would keep
    every test's leftovers)."""
    import subprocess
    import sys

    code = ("import gc; from civicdesk.cli import tune_collector, GC_YOUNG_THRESHOLD; tune_collector(); "
            "print(gc.get_threshold() == (GC_YOUNG_THRESHOLD, 10, 10), gc.get_freeze_count() > 10_000)")
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ran.stdout.split() == ["True", "True"]
