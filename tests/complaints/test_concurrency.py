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
