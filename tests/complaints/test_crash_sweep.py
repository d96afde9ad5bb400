"""`kill -9` of a real server in the middle of a burst of submissions: every acknowledged report
keeps its photos, and `civicdesk photos sweep` removes the orphans and temp files it left."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from complaints.models import Photo, Report
from core.db import Database
from tests import imaging
from tests.live import live_server, server_env

BURST = 40


async def _burst(url: str, process) -> list[str]:  # noqa: ANN001 - a Popen
    """Fire BURST submissions at once; kill the server once a few are acknowledged."""
    acknowledged: list[str] = []
    photos = [imaging.jpeg(900, 700, noise=True) for _ in range(BURST)]

    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        async def one(i: int) -> None:
            try:
                response = await client.post("/api/v1/reports", data={
                    "category": "dust", "description": f"第 {i} 份：工地扬尘很大", "address": "城关镇"},
                    files=[("photos", (f"{i}.jpg", photos[i], "image/jpeg"))])
            except httpx.TransportError:
                return
            if response.status_code == 201:
                acknowledged.append(response.json()["tracking_number"])
                if len(acknowledged) == 3:
                    process.send_signal(signal.SIGKILL)

        await asyncio.gather(*(one(i) for i in range(BURST)))
    return acknowledged


async def _photo_keys(url: str, numbers: list[str]) -> tuple[set[str], set[str]]:
    db = Database(url)
    try:
        async with db.session() as session:
            rows = (await session.execute(select(Photo.original_key, Photo.public_key))).all()
            stored_numbers = set(await session.scalars(select(Report.tracking_number)))
    finally:
        await db.dispose()
    return {k for row in rows for k in row}, stored_numbers


def _files(photos: Path) -> tuple[set[str], list[Path]]:
    keys = {p.relative_to(photos).as_posix() for p in photos.glob("*/*/*/*") if not p.name.startswith(".tmp-")}
    return keys, list(photos.glob("*/*/*/.tmp-*"))


@pytest.mark.slow
async def test_sweep_after_kill_mid_burst(tmp_path: Path, db_url: str) -> None:
    seed = tmp_path / "no-seed"
    seed.mkdir()
    env = server_env(tmp_path / "var", db_url, CIVICDESK_KNOWLEDGE_SEED_DIR=str(seed))
    photos = tmp_path / "var" / "photos"
    # Whether a kill finds a submission between its files and its commit depends on the moment (once
    # 74 of 80 files were orphans; on 2026-12-03 a kill found none): the same data dir and database
    # take up to four kills, every one of them checked, until one leaves orphans for the sweep.
    for _ in range(4):
        with live_server(env) as server:
            acknowledged = await _burst(server.url, server.process)
            assert server.process.wait(timeout=20) == -signal.SIGKILL
        referenced, numbers = await _photo_keys(db_url, acknowledged)
        files, temps = _files(photos)
        orphans = files - referenced
        print(f"acknowledged {len(acknowledged)}, stored {len(numbers)}, "
              f"orphans {len(orphans)}, temp files {len(temps)}")
        assert set(acknowledged) <= numbers  # nothing acknowledged is lost
        assert referenced <= files
        if orphans:
            break
    assert orphans, "four kills in the middle of a burst left no orphan to sweep"

    # A young orphan survives the default grace period; with no grace all are removed.
    kept = server.cli("photos", "sweep")
    assert kept.returncode == 0, kept.stderr
    assert _files(photos)[0] == files
    time.sleep(0.01)
    swept = server.cli("photos", "sweep", "--grace", "0")
    assert swept.returncode == 0, swept.stderr
    assert f"deleted {len(orphans)} unreferenced and {len(temps)} temporary files" in swept.stdout

    after, temps_after = _files(photos)
    assert after == referenced and temps_after == []
    for key in referenced:
        assert (photos / key).read_bytes()
