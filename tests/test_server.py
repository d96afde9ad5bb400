"""The real thing over loopback: `civicdesk db upgrade`, `staff add` and `serve` as a user runs them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import imaging

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "civicdesk"), *args], env=env, input=stdin, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def server_env(tmp_path: Path, db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICDESK_")}
    env.update(CIVICDESK_DATA_DIR=str(tmp_path / "var"), CIVICDESK_DATABASE_URL=db_url,
               CIVICDESK_LOG_LEVEL="WARNING")
    return env


@pytest.fixture
def server(server_env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([str(BIN / "civicdesk"), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=server_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{proc.stdout.read() if proc.stdout else ''}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not become healthy in 60 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_migrates_and_handles_a_report_over_http(server: str, server_env: dict[str, str]) -> None:
    created = httpx.post(
        f"{server}/api/v1/reports",
        data={"category": "拖欠农民工工资", "description": "包工头拖欠我们十二个人三个月工资", "address": "县城北工地"},
        files=[("photos", ("a.jpg", imaging.jpeg(), "image/jpeg"))],
        timeout=30,
    )
    assert created.status_code == 201, created.text
    number = created.json()["tracking_number"]

    result = cli(server_env, "staff", "add", "zhang", "--role", "triager", "--password-stdin",
                 stdin="a long enough password\n")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    detail = httpx.get(f"{server}/api/v1/staff/reports/{number}", headers=headers, timeout=10).json()
    assert detail["department"] == "县人力资源和社会保障局"
    duplicate = cli(server_env, "staff", "add", "zhang", "--role", "viewer")
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    bad_role = cli(server_env, "staff", "add", "li", "--role", "boss")
    assert bad_role.returncode == 1 and "Role must be" in bad_role.stderr
