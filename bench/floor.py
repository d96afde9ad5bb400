"""The floors the complaints benchmark measures Civic Desk against, in the same run.

`status_floor_app()`: a minimal FastAPI app that answers the reporter's status read with the same
driver (aiosqlite or asyncpg, a pool of connections like the real server's), the same two indexed
selects (the report with its category, department and photo count by tracking number, then its
public events) and the same token check, and nothing else: no ORM, no middleware, no settings.
`bench.complaints` runs it under uvicorn with `civicdesk serve`'s own options beside the real
server, so the ratio says what the application costs on top of the driver and the framework.

`photo_floor(photo)`: the domain's photo intake alone (`complaints.photos.check_photo`, the same
bounded pool the server uses) on the benchmark's photo, with enough photos in flight to keep both
cores busy: the most submissions a second the photo work allows.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Query

PUBLIC_KINDS = ("created", "status", "reply", "merge", "extension", "rating", "reopen_requested",
                "reopen_declined", "supplement")
REPORT_SQL = """
SELECT r.id, r.tracking_number, r.description, r.address, r.lat, r.lon, r.status, r.created_at,
       r.acceptance_due_at, r.handling_due_at, r.status_token_hash, r.merged_into_id,
       c.code, c.name_zh, c.name_en, d.name,
       (SELECT count(p.id) FROM report_photos p WHERE p.report_id = r.id)
FROM reports r JOIN categories c ON c.id = r.category_id LEFT JOIN departments d ON d.id = c.department_id
WHERE r.tracking_number = {p1}
"""
EVENTS_SQL = """
SELECT kind, to_value, public_message, created_at FROM report_events
WHERE report_id = {p1} AND kind IN ({kinds}) ORDER BY created_at, id
"""
POOL_SIZE = 40  # core.db.create_engine's pool_size (kept connections, no overflow)


class _SqlitePool:
    """aiosqlite connections handed out one request at a time, opened as demand grows."""

    def __init__(self, path: str):
        self.path = path
        self.idle: asyncio.Queue[Any] = asyncio.Queue()
        self.opened = 0

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        import aiosqlite

        if self.idle.empty() and self.opened < POOL_SIZE:
            self.opened += 1
            conn = await aiosqlite.connect(self.path, timeout=30)
            await conn.execute("PRAGMA journal_mode=WAL")
        else:
            conn = await self.idle.get()
        try:
            yield conn
        finally:
            self.idle.put_nowait(conn)


def status_floor_app(database_url: str) -> FastAPI:
    sqlite = database_url.startswith("sqlite")
    marks = ["?"] * len(PUBLIC_KINDS) if sqlite else [f"${i + 2}" for i in range(len(PUBLIC_KINDS))]
    report_sql = REPORT_SQL.format(p1="?" if sqlite else "$1")
    events_sql = EVENTS_SQL.format(p1="?" if sqlite else "$1", kinds=", ".join(marks))
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if sqlite:
            state["pool"] = _SqlitePool(database_url.split(":///", 1)[1])
        else:
            import asyncpg

            dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
            state["pool"] = await asyncpg.create_pool(dsn, min_size=1, max_size=POOL_SIZE)
        yield
        if not sqlite:
            await state["pool"].close()

    async def fetch(number: str) -> tuple[Any, list[Any]]:
        pool = state["pool"]
        if sqlite:
            async with pool.connection() as conn:
                async with conn.execute(report_sql, (number,)) as cursor:
                    report = await cursor.fetchone()
                if report is None:
                    return None, []
                async with conn.execute(events_sql, (report[0], *PUBLIC_KINDS)) as cursor:
                    return report, list(await cursor.fetchall())
        async with pool.acquire() as conn:
            report = await conn.fetchrow(report_sql, number)
            if report is None:
                return None, []
            return report, list(await conn.fetch(events_sql, report[0], *PUBLIC_KINDS))

    app = FastAPI(lifespan=lifespan)

    @app.get("/api/v1/reports/{tracking_number}")
    async def status(tracking_number: str, token: str = Query(min_length=8)) -> dict[str, Any]:
        report, events = await fetch(tracking_number)
        expected = report[10] if report is not None else ""
        if report is None or not hmac.compare_digest(hashlib.sha256(token.encode()).hexdigest(), expected):
            raise HTTPException(404)
        return {
            "tracking_number": report[1], "description": report[2], "address": report[3],
            "lat": report[4], "lon": report[5], "status": report[6], "created_at": str(report[7]),
            "due_at": str(report[8]), "photo_count": report[16],
            "category": {"code": report[12], "name_zh": report[13], "name_en": report[14],
                         "default_department": report[15]},
            "history": [{"kind": e[0], "status": e[1], "message": e[2], "at": str(e[3])} for e in events],
        }

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def serve_status_floor(host: str, port: int) -> None:
    """Entry point of the floor process: uvicorn with `civicdesk serve`'s options."""
    import uvicorn

    from civicdesk.logs import uvicorn_log_config

    level = os.environ.get("CIVICDESK_LOG_LEVEL", "WARNING").lower()
    uvicorn.run(status_floor_app(os.environ["CIVICDESK_DATABASE_URL"]), host=host, port=port, log_level=level,
                proxy_headers=False, log_config=uvicorn_log_config())


async def photo_floor(photo: bytes, count: int, in_flight: int = 4) -> float:
    """Photos per second through the domain's photo intake alone (decode, checks, public copy)."""
    from complaints.photos import PhotoLimits, check_photo
    from core.settings import Settings

    from .harness import steady_window

    limits = PhotoLimits.from_settings(Settings())
    await check_photo(photo, limits, "warm.jpg")
    queue = iter(range(count))
    ends: list[float] = []

    async def worker() -> None:
        for _ in queue:
            await check_photo(photo, limits, "site.jpg")
            ends.append(time.perf_counter())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    window = steady_window(ends, in_flight)  # measured as the server's submissions are
    return window[0] / window[1] if window else count / (time.perf_counter() - started)


def main(argv: list[str]) -> None:
    """`python -m bench.floor status HOST PORT` or `python -m bench.floor photo COUNT` (prints photos/s
    for the benchmark photo read from stdin)."""
    if argv[0] == "status":
        serve_status_floor(argv[1], int(argv[2]))
    else:
        print(f"{asyncio.run(photo_floor(sys.stdin.buffer.read(), int(argv[1]))):.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
