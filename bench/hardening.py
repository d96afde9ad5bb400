"""`python -m bench hardening`: what one hostile request costs a real `civicdesk serve`.

Five small PNGs that decode huge (the issue's decompression request: 6320x6320 RGBA at 16 bits,
about 300 KB each) and five that stay within the decode budget (6000x6000 RGB at 8 bits) are sent
in one report while a second client keeps submitting normal reports (one 1 MB photo each). The
table gives the server's peak RSS growth during the request (VmHWM after resetting it, minus RSS
before), the growth it keeps once the request is answered (what a burst of huge photos leaves
behind), and the normal submissions' latency beside the floor measured first in the same run.
"""

from __future__ import annotations

import asyncio
import io
import statistics
import struct
import tempfile
import time
import zlib
from pathlib import Path

import httpx
from PIL import Image

from tests import imaging
from tests.live import live_server, server_env

from .harness import table

FORM = {"category": "dust", "description": "工地扬尘很大，没有洒水", "address": "城东工地"}


def _png_16bit_rgba(side: int) -> bytes:
    """A real 16-bit RGBA PNG of zeros (deflate makes 320 MB of pixels about 300 KB)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + side * 8)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 16, 6, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def _png_rgb(side: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), (90, 120, 60)).save(out, "PNG", compress_level=9)
    return out.getvalue()


def _kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


async def _normal(client: httpx.AsyncClient, photo: bytes) -> float:
    started = time.perf_counter()
    response = await client.post("/api/v1/reports", data=FORM, files=[("photos", ("n.jpg", photo, "image/jpeg"))])
    assert response.status_code == 201, response.text
    return time.perf_counter() - started


async def _attack(base: str, pid: int, photos: list[bytes], normal_photo: bytes) -> list[object]:
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := current RSS
        before = _kb(pid, "VmRSS")
        started = time.perf_counter()
        request = asyncio.ensure_future(client.post(
            "/api/v1/reports", data=FORM,
            files=[("photos", (f"{i}.png", p, "image/png")) for i, p in enumerate(photos)]))
        latencies = []
        while not request.done() or len(latencies) < 5:
            latencies.append(await _normal(client, normal_photo))
        response = await request
        took = time.perf_counter() - started
        peak, after = _kb(pid, "VmHWM"), _kb(pid, "VmRSS")
    code = response.json().get("error", {}).get("code", "") if response.status_code != 201 else ""
    return [f"{response.status_code} {code}".strip(), round(took, 2), round((peak - before) / 1024, 1),
            round((after - before) / 1024, 1), round(statistics.median(latencies) * 1000, 1),
            round(max(latencies) * 1000, 1), len(latencies)]


async def run(base: str, pid: int) -> list[list[object]]:
    normal_photo = imaging.jpeg(1413, 1059, noise=True)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for _ in range(3):  # warm-up
            await _normal(client, normal_photo)
        floor = [await _normal(client, normal_photo) for _ in range(15)]
    rows: list[list[object]] = [["none (floor)", "", "", "", "", round(statistics.median(floor) * 1000, 1),
                                 round(max(floor) * 1000, 1), len(floor)]]
    bomb = _png_16bit_rgba(6320)
    rows.append([f"5 x 6320x6320 RGBA 16-bit PNG ({len(bomb) // 1024} KB each)",
                 *await _attack(base, pid, [bomb] * 5, normal_photo)])
    big = _png_rgb(6000)
    rows.append([f"5 x 6000x6000 RGB 8-bit PNG ({len(big) // 1024} KB each; within budget)",
                 *await _attack(base, pid, [big] * 5, normal_photo)])
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="civicdesk-bench-hard-") as tmp:
        seed = Path(tmp) / "no-seed"
        seed.mkdir()
        env = server_env(Path(tmp) / "var", f"sqlite+aiosqlite:///{tmp}/bench.db",
                         CIVICDESK_KNOWLEDGE_SEED_DIR=str(seed))
        with live_server(env, 120) as server:
            assert server.process is not None
            rows = asyncio.run(run(server.url, server.process.pid))
    print(table(["hostile request", "answer", "request s", "peak RSS growth MB", "RSS growth kept MB",
                 "normal submit p50 ms", "normal submit max ms", "normal submits"], rows))
    print("\ntargets: peak RSS growth < 600 MB; a normal submission meanwhile < 1 s (floor: first row)")
