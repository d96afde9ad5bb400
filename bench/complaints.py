"""Report submissions (one 1 MB photo) and status reads against a running `civicdesk serve`, over
loopback (bench.rawhttp: a client that takes little of the two cores), on SQLite and on
PostgreSQL, each beside its floor measured in the same run:

- status reads beside a minimal FastAPI app doing the same two selects with the same driver on
  the same database (`bench.floor.status_floor_app`), under the same uvicorn options;
- submissions beside the photo intake alone on the same photo (`bench.floor.photo_floor`).

The machine is shared, so each measurement alternates with its floor in rounds and the rates are
summed over the rounds: a burst of someone else's load falls on both sides (the ratio column also
shows the lowest and highest round, each beside its own floor). Targets (ratios):
status reads >= 0.8 x floor; submissions >= 0.8 x floor with p99 < 1 s at 16 concurrent clients.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import httpx

from tests.imaging import jpeg_of_size
from tests.live import free_port

from .harness import Result, database, load, postgres_admin_url, server, table
from .rawhttp import RawHttp, run

SUBMISSIONS = int(os.environ.get("BENCH_SUBMISSIONS", "400"))
READS = int(os.environ.get("BENCH_READS", "4000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))
READ_TARGET = SUBMIT_TARGET = 0.8


@contextmanager
def status_floor(database_url: str) -> Iterator[str]:
    """The floor app in its own uvicorn process, on the real server's database."""
    port = free_port()
    env = {**os.environ, "CIVICDESK_DATABASE_URL": database_url, "CIVICDESK_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "bench.floor", "status", "127.0.0.1", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the status floor app did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def photo_floor_rate(photo: bytes, count: int) -> float:
    """Photos/s of the photo intake alone, in a fresh process (both cores, nothing else of ours)."""
    result = subprocess.run([sys.executable, "-m", "bench.floor", "photo", str(count)], input=photo,
                            capture_output=True, check=True)
    return float(result.stdout.decode().strip().splitlines()[-1])


def _merge(name: str, parts: list[Result]) -> Result:
    steady = [p.steady for p in parts]
    window = (sum(s[0] for s in steady if s), sum(s[1] for s in steady if s)) if all(steady) else None
    return Result(name, sum(p.count for p in parts), sum(p.seconds for p in parts),
                  [x for p in parts for x in p.latencies], sum(p.errors for p in parts), window)


BOUNDARY = "civicdesk-bench-7f3a9c"
FORM = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def submission_body(i: int, photo: bytes) -> list[bytes]:
    """Submission `i` as a multipart/form-data body in three parts (fields, the photo, the end)."""
    fields = {"category": "dust", "description": f"基准测试举报 {i}：工地扬尘严重，未覆盖裸土",
              "address": "城关镇人民路 18 号", "lat": f"{30 + (i % 1000) * 0.01:.4f}", "lon": "120.1551"}
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             for name, value in fields.items()]
    parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photos"; filename="site.jpg"\r\n'
                 "Content-Type: image/jpeg\r\n\r\n")
    return ["".join(parts).encode(), photo, f"\r\n--{BOUNDARY}--\r\n".encode()]


async def _submissions(base: str, photo: bytes, total: int, tokens: list[tuple[str, str]]) -> Result:
    http = RawHttp(base, CONCURRENCY)

    async def submit(i: int) -> bool:
        status, body = await http.request("POST", "/api/v1/reports", submission_body(i, photo), FORM)
        if status != 201:
            return False
        created = json.loads(body)
        tokens.append((created["tracking_number"], created["status_token"]))
        return True

    try:
        return await load("submit report + 1 MB photo", total, CONCURRENCY, submit)
    finally:
        await http.aclose()


async def _reads(base: str, total: int, tokens: list[tuple[str, str]], name: str) -> Result:
    http = RawHttp(base, CONCURRENCY * 2)

    async def read(i: int) -> bool:
        number, token = tokens[i % len(tokens)]
        status, _ = await http.request("GET", f"/api/v1/reports/{number}?token={quote(token)}")
        return status == 200

    try:
        await load(name, min(200, total), CONCURRENCY * 2, read)  # warm-up (connections, caches)
        return await load(name, total, CONCURRENCY * 2, read)
    finally:
        await http.aclose()


def measure(backend: str, photo: bytes, workers: int = 1) -> list[list[object]]:
    tokens: list[tuple[str, str]] = []
    submits: list[Result] = []
    reads: list[Result] = []
    floor_reads: list[Result] = []
    photo_rates: list[float] = []
    with tempfile.TemporaryDirectory(prefix="civicdesk-bench-seed-") as no_seed, database(backend) as url, \
            server(url, {"CIVICDESK_KNOWLEDGE_SEED_DIR": no_seed}, workers=workers) as base:
        run(_submissions(base, photo, 10, tokens))  # warm-up: imports, pools, caches
        for _ in range(ROUNDS):
            photo_rates.append(photo_floor_rate(photo, max(20, SUBMISSIONS // ROUNDS // 2)))
            submits.append(run(_submissions(base, photo, SUBMISSIONS // ROUNDS, tokens)))
        with status_floor(url) as floor_base:
            for _ in range(ROUNDS):
                floor_reads.append(run(_reads(floor_base, READS // ROUNDS, tokens, "floor")))
                reads.append(run(_reads(base, READS // ROUNDS, tokens, "status read")))
    submit, read, floor_read = (_merge("submit report + 1 MB photo", submits), _merge("status read", reads),
                                _merge("floor", floor_reads))
    photo_floor = sum(photo_rates) / len(photo_rates)
    return [
        [backend, workers, submit.name, submit.count, submit.rate, "photo intake alone", photo_floor,
         _ratio(submit.rate / photo_floor, [s.rate / f for s, f in zip(submits, photo_rates)]),
         submit.quantile(0.5), submit.quantile(0.99), submit.errors],
        [backend, workers, read.name, read.count, read.rate, "minimal FastAPI app", floor_read.rate,
         _ratio(read.rate / floor_read.rate, [r.rate / f.rate for r, f in zip(reads, floor_reads)]),
         read.quantile(0.5), read.quantile(0.99), read.errors],
    ]


def _ratio(overall: float, rounds: list[float]) -> str:
    """The run's ratio, and the lowest and highest of its rounds (each beside its own floor): how
    far the machine's noise moved it."""
    return f"{overall:.2f} ({min(rounds):.2f}-{max(rounds):.2f})" if len(rounds) > 1 else f"{overall:.2f}"


def main() -> None:
    photo = jpeg_of_size(1_000_000)
    backends = ["sqlite"] + (["postgres"] if postgres_admin_url() else [])
    workers = [int(w) for w in os.environ.get("BENCH_WORKERS", "1").split(",")]
    load_before = os.getloadavg()[0]
    rows = [row for w in workers for backend in backends for row in measure(backend, photo, w)]
    print(f"photo: {len(photo) / 1e6:.2f} MB JPEG; client concurrency {CONCURRENCY} (reads {CONCURRENCY * 2}); "
          f"{ROUNDS} alternating rounds; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n")
    print(table(["backend", "processes", "operation", "requests", "per second", "floor", "floor per second",
                 "ratio (rounds)", "p50 ms", "p99 ms", "errors"], rows))
    print(f"\ntargets: ratio >= {SUBMIT_TARGET} for both; submission p99 < 1,000 ms")


if __name__ == "__main__":
    main()
