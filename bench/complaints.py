"""Report submissions (one 1 MB photo) and status reads against a running server, over loopback,
on SQLite and on PostgreSQL. Targets on 2 cores, one server process: >= 100 submissions/s and
>= 500 status reads/s."""

from __future__ import annotations

import asyncio
import os

import aiohttp

from tests.imaging import jpeg_of_size

from .harness import Result, database, load, postgres_admin_url, server, table

SUBMISSIONS = int(os.environ.get("BENCH_SUBMISSIONS", "400"))
READS = int(os.environ.get("BENCH_READS", "4000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))


async def run(base: str, photo: bytes) -> list[Result]:
    connector = aiohttp.TCPConnector(limit=CONCURRENCY * 2)
    async with aiohttp.ClientSession(base, connector=connector) as http:
        # Warm up: first requests pay for imports and connection set-up.
        tokens: list[tuple[str, str]] = []

        async def submit(i: int) -> bool:
            form = aiohttp.FormData()
            form.add_field("category", "dust")
            form.add_field("description", f"基准测试举报 {i}：工地扬尘严重，未覆盖裸土")
            form.add_field("address", "城关镇人民路 18 号")
            form.add_field("lat", f"{30 + (i % 1000) * 0.01:.4f}")
            form.add_field("lon", "120.1551")
            form.add_field("photos", photo, filename="site.jpg", content_type="image/jpeg")
            async with http.post("/api/v1/reports", data=form) as response:
                if response.status != 201:
                    return False
                body = await response.json()
                tokens.append((body["tracking_number"], body["status_token"]))
                return True

        for i in range(10):
            await submit(i)
        submissions = await load("submit report + 1 MB photo", SUBMISSIONS, CONCURRENCY, submit)

        async def read(i: int) -> bool:
            number, token = tokens[i % len(tokens)]
            async with http.get(f"/api/v1/reports/{number}", params={"token": token}) as response:
                await response.read()
                return response.status == 200

        reads = await load("status read", READS, CONCURRENCY * 2, read)
        return [submissions, reads]


def main() -> None:
    photo = jpeg_of_size(1_000_000)
    backends = ["sqlite"] + (["postgres"] if postgres_admin_url() else [])
    rows = []
    # The targets are for one process; two show what `serve --workers 2` buys on two cores.
    for workers in (1, 2):
        for backend in backends:
            with database(backend) as url, server(url, workers=workers) as base:
                for result in asyncio.run(run(base, photo)):
                    rows.append([backend, workers, result.name, result.count, result.rate,
                                 result.quantile(0.5), result.quantile(0.99), result.errors])
    print(f"photo: {len(photo) / 1e6:.2f} MB JPEG; client concurrency {CONCURRENCY}\n")
    print(table(["backend", "processes", "operation", "requests", "per second", "p50 ms", "p99 ms", "errors"],
                rows))


if __name__ == "__main__":
    main()
