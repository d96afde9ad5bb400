"""The bot's own state: FSM rows, update dedupe, coalesced reads."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import func, select

from bot.batching import Coalescer
from bot.dedupe import DatabaseDeduper, RedisDeduper
from bot.models import BotFsmRecord
from bot.storage import DatabaseStorage

REDIS_URL = os.environ.get("CIVICDESK_TEST_REDIS_URL")
KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)


async def fsm_rows(services) -> int:  # noqa: ANN001
    async with services.db.session() as session:
        return await session.scalar(select(func.count()).select_from(BotFsmRecord))


async def test_database_storage_writes_through_and_deletes_empty_conversations(services):
    storage = DatabaseStorage(services.db, services.clock)
    assert await storage.get_state(KEY) is None and await storage.get_data(KEY) == {}
    await storage.set_state(KEY, "ReportFlow:photos")
    await storage.set_data(KEY, {"photos": [{"file_id": "a"}]})
    merged = await storage.update_data(KEY, {"description": "扬尘"})
    assert merged == {"photos": [{"file_id": "a"}], "description": "扬尘"}
    merged["photos"].append("not stored")  # callers get copies
    # Another process (no cache) reads the same from the database.
    fresh = DatabaseStorage(services.db, services.clock, cache_size=0)
    assert await fresh.get_state(KEY) == "ReportFlow:photos"
    assert await fresh.get_data(KEY) == {"photos": [{"file_id": "a"}], "description": "扬尘"}
    assert await storage.get_data(KEY) == await fresh.get_data(KEY)
    await storage.set_state(KEY, None)
    await storage.set_data(KEY, {})
    assert await fsm_rows(services) == 0
    assert await fresh.get_state(KEY) is None


async def test_concurrent_reads_share_one_query(services):
    calls: list[list[int]] = []

    async def fetch(keys: list[int]) -> dict[int, int]:
        calls.append(keys)
        await asyncio.sleep(0.01)
        return {k: k * 10 for k in keys}

    batches = Coalescer(fetch)
    assert await asyncio.gather(*(batches.get(k) for k in (1, 2, 2, 3))) == [10, 20, 20, 30]
    assert calls == [[1, 2, 3]]
    # Keys asked while a batch is in flight go together in the next one.
    first = asyncio.gather(*(batches.get(k) for k in (4, 5)))
    await asyncio.sleep(0)
    second = asyncio.gather(*(batches.get(k) for k in (6, 7, 8)))
    assert (await first, await second) == ([40, 50], [60, 70, 80])
    assert calls[1:] == [[4, 5], [6, 7, 8]]


async def test_fetch_errors_reach_every_caller():
    async def broken(keys: list[int]) -> dict[int, int]:
        raise RuntimeError("database is down")

    batches = Coalescer(broken)
    results = await asyncio.gather(batches.get(1), batches.get(2), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)


async def test_database_dedupe_takes_each_update_once_even_within_one_batch(services):
    dedupe = DatabaseDeduper(services.db, services.clock)
    results = await asyncio.gather(*(dedupe.first_time(7, u) for u in (100, 101, 100, 102, 101)))
    assert results == [True, True, False, True, False]
    assert await dedupe.first_time(7, 100) is False
    assert await dedupe.first_time(8, 100) is True  # update ids are per bot


@pytest.mark.redis
async def test_redis_dedupe_is_shared_by_processes():
    if not REDIS_URL:
        pytest.skip("CIVICDESK_TEST_REDIS_URL is not set; the Redis dedupe test needs a server")
    from redis.asyncio import Redis

    prefix = f"civicdesk-test:{uuid.uuid4().hex}"
    one, two = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    try:
        assert await RedisDeduper(one, prefix).first_time(7, 555) is True
        assert await RedisDeduper(two, prefix).first_time(7, 555) is False
        assert 0 < await one.ttl(f"{prefix}:7:555") <= 2 * 24 * 3600
    finally:
        await one.delete(f"{prefix}:7:555")
        await one.aclose()
        await two.aclose()
