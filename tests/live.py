"""A real `civicdesk serve` process on a free loopback port, for tests that need the whole stack."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support import TEST_MODELS_DIR

BIN = Path(sys.executable).parent
LIVE_EMBEDDINGS_CACHE = TEST_MODELS_DIR.parent / "live-embeddings.sqlite"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _OutputReader(threading.Thread):
    """Reads a server's output as it comes. Left in the pipe unread until the end (as it was), 64 kB
    of it would block the server's next write, and with it every request: a module's long-lived
    server that logs warnings, or any at INFO, would hang its tests."""

    def __init__(self, stream: object) -> None:
        super().__init__(daemon=True, name="live-server-output")
        self.stream = stream
        self.lines: list[str] = []

    def run(self) -> None:
        for line in self.stream:  # type: ignore[attr-defined]
            self.lines.append(line)

    def text(self, timeout_s: float = 10) -> str:
        self.join(timeout_s)  # to the end of the output once the process has exited
        return "".join(self.lines)


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[str] | None = None  # to kill it mid-request
    reader: _OutputReader | None = field(default=None, repr=False)

    def output(self) -> str:
        """What the server printed (stdout and stderr); all of it once the process has exited."""
        return self.reader.text() if self.reader else ""

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "civicdesk"), *args], env=self.env, input=stdin, capture_output=True,
                              text=True, timeout=120)

    def staff(self, username: str, role: str, password: str) -> str:
        """Create a staff account with a password; returns its API token."""
        result = self.cli("staff", "add", username, "--role", role, "--password-stdin", stdin=password + "\n")
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]


def server_env(data_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    """A fresh install's environment in `data_dir`, except that the derived e5 graph and the document
    vectors come from the test cache (building the graph takes ~30 s per data dir; a server's own
    start-up, migrations and sample seeding still run as on a fresh install)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICDESK_")}
    env.update(CIVICDESK_MODELS_DIR=str(TEST_MODELS_DIR), CIVICDESK_EMBEDDINGS_CACHE_PATH=str(LIVE_EMBEDDINGS_CACHE))
    env.update(CIVICDESK_DATA_DIR=str(data_dir), CIVICDESK_DATABASE_URL=database_url,
               CIVICDESK_LOG_LEVEL="WARNING", CIVICDESK_REPORTS_PER_CLIENT_PER_HOUR="0",
               CIVICDESK_REGISTRATIONS_PER_CLIENT_PER_HOUR="0", **extra)
    return env


@contextmanager
def live_server(env: dict[str, str], timeout_s: float = 90, *args: str) -> Iterator[LiveServer]:
    """`civicdesk serve` with `args` (e.g. "--workers", "2") until the context ends."""
    port = free_port()
    proc = subprocess.Popen([str(BIN / "civicdesk"), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    reader = _OutputReader(proc.stdout)
    reader.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{reader.text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not become healthy in {timeout_s} s")
            time.sleep(0.2)
        yield LiveServer(base, env, proc, reader)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def served_backend(backend: str, tmp: Path, timeout_s: float = 90, **extra: str) -> Iterator[LiveServer]:
    """`civicdesk serve` on a database of its own, `sqlite` or `postgres` (a database created for
    it and dropped afterwards; skipped without CIVICDESK_TEST_POSTGRES_URL), without the knowledge
    seed (quick to start)."""
    import asyncio
    import uuid

    import pytest

    from tests.conftest import POSTGRES_URL, _postgres_database_url
    from tests.support import pg_execute

    seed = tmp / "no-seed"
    seed.mkdir(exist_ok=True)
    name = None
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp}/civicdesk.db"
    else:
        if not POSTGRES_URL:
            pytest.skip("CIVICDESK_TEST_POSTGRES_URL is not set; PostgreSQL tests need a server")
        name = f"civicdesk_live_{uuid.uuid4().hex[:8]}"
        asyncio.run(pg_execute(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
        url = _postgres_database_url(name)
    env = server_env(tmp / "var", url, CIVICDESK_KNOWLEDGE_SEED_DIR=str(seed), **extra)
    try:
        with live_server(env, timeout_s) as server:
            yield server
    finally:
        if name:
            asyncio.run(pg_execute(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

