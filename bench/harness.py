"""Shared benchmark plumbing: a real `civicdesk serve` process, databases, timing, tables."""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.live import live_server, server_env
from tests.support import pg_execute

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def postgres_admin_url() -> str | None:
    """The PostgreSQL to benchmark against, if one answers."""
    url = os.environ.get("CIVICDESK_BENCH_POSTGRES_URL") or os.environ.get("CIVICDESK_TEST_POSTGRES_URL") or DEFAULT_PG
    try:
        asyncio.run(pg_execute(url, timeout=3))
        return url
    except Exception:  # noqa: BLE001 - no server: that backend is left out of the table
        return None


@contextmanager
def database(backend: str) -> Iterator[str]:
    """A fresh empty database URL for `backend` ("sqlite" or "postgres"), dropped afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="civicdesk-bench-") as tmp:
            yield f"sqlite+aiosqlite:///{tmp}/bench.db"
        return
    from sqlalchemy.engine import make_url

    admin = postgres_admin_url()
    if admin is None:
        raise RuntimeError("PostgreSQL is not reachable")
    name = f"civicdesk_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(pg_execute(admin, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(pg_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def server(database_url: str, extra_env: dict[str, str] | None = None, workers: int = 1) -> Iterator[str]:
    """`civicdesk serve` in its own process(es), on a free loopback port."""
    with tempfile.TemporaryDirectory(prefix="civicdesk-bench-data-") as data_dir:
        env = server_env(Path(data_dir), database_url, **(extra_env or {}))
        with live_server(env, 300, "--workers", str(workers)) as live:
            yield live.url


@dataclass
class Result:
    name: str
    count: int
    seconds: float
    latencies: list[float]
    errors: int
    # (completions, seconds) of the steady part of the run: see steady_window
    steady: tuple[int, float] | None = None

    @property
    def rate(self) -> float:
        if self.steady and self.steady[1] > 0:
            return self.steady[0] / self.steady[1]
        return self.count / self.seconds if self.seconds else 0.0

    def quantile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def steady_window(ends: list[float], concurrency: int) -> tuple[int, float] | None:
    """The completions between the `concurrency`-th and the last-but-`concurrency` one, and the
    time they took: the rate of a closed loop with all its clients busy. A run's start (the first
    answers all wait a whole latency) and its drain (the last clients finish with cores idle) are
    not throughput; they cost the server's 100-submission rounds (16 clients at ~200 ms) about 3%
    of their rate and the photo floor (4 in flight at ~20 ms) less. None when the run is too short
    to have a steady part."""
    if len(ends) <= 3 * concurrency:
        return None
    ordered = sorted(ends)
    first, last = ordered[concurrency - 1], ordered[-concurrency - 1]
    return len(ordered) - 2 * concurrency, last - first


async def load(name: str, total: int, concurrency: int, request: Callable[[int], Awaitable[bool]]) -> Result:
    """Run `request(i)` for i in range(total) with `concurrency` in flight; time each call."""
    latencies: list[float] = []
    ends: list[float] = []
    errors = 0
    counter = iter(range(total))

    async def worker() -> None:
        nonlocal errors
        for i in counter:
            started = time.perf_counter()
            ok = await request(i)
            ends.append(time.perf_counter())
            latencies.append(ends[-1] - started)
            errors += 0 if ok else 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(name, total, time.perf_counter() - started, latencies, errors, steady_window(ends, concurrency))


def table(headers: list[str], rows: list[list[object]]) -> str:
    def fmt(value: object) -> str:
        return f"{value:,.1f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
