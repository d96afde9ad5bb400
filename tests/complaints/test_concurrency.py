"""Many reports at the same moment: every one stored, every tracking number distinct."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from civicdesk.container import Services
from complaints.models import Report
from complaints.schemas import ReportInput


async def test_simultaneous_submissions_get_distinct_numbers(services: Services) -> None:
    n = 100

    async def one(i: int) -> str:
        data = ReportInput(category="night_noise", description=f"第 {i} 位居民：凌晨两点还在施工",
                           address="城南工地", lat=30.0 + i * 0.01, lon=120.0)
        return (await services.complaints.submit(data)).tracking_number

    numbers = await asyncio.gather(*(one(i) for i in range(n)))
    assert len(set(numbers)) == n
    assert sorted(numbers) == [f"2026-{i:06d}" for i in range(1, n + 1)]
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Report)) == n


async def test_the_same_change_twice_at_once_is_made_once(services: Services) -> None:
    """Two staff (or two servers) accept the same report at the same moment: one wins, the other is
    told it is already accepted; one audit event, one message to the reporter. The report row is
    locked for the change (PostgreSQL; SQLite's writers take turns before they read)."""
    from complaints.schemas import Channel
    from core.errors import Conflict
    from core.outbox import OutboxMessage

    number = (await services.complaints.submit(ReportInput(
        category="dust", description="工地未覆盖裸土，扬尘很大", address="人民路 18 号",
        channel=Channel.TELEGRAM, reporter_channel_id="5150"))).tracking_number
    for to in ("accepted", "assigned"):
        results = await asyncio.gather(
            *(services.complaints.transition(number, f"staff{i}", to, public_message="已处理") for i in range(4)),
            return_exceptions=True)
        assert sum(not isinstance(r, BaseException) for r in results) == 1, results
        assert all(isinstance(r, Conflict) for r in results if isinstance(r, BaseException)), results
    detail = await services.complaints.detail(number)
    assert [e.to_value for e in detail.events if e.kind == "status"] == ["accepted", "assigned"]
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 2
