"""Per-client limits on public writes (report submissions, open-day registrations): 429 with a
retry time, counted in memory or in Redis (shared by every process) when it is configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from civicdesk.container import Services
from core.ratelimit import MemoryRateLimiter, RedisRateLimiter
from tests.opendays.test_api import create_published

REDIS_URL = os.environ.get("CIVICDESK_TEST_REDIS_URL")


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def limited(request: pytest.FixtureRequest, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    from civicdesk.app import create_app

    redis = None
    if request.param == "redis":
        if not REDIS_URL:
            pytest.skip("CIVICDESK_TEST_REDIS_URL is not set; the Redis limiter test needs a server")
        from redis.asyncio import Redis

        redis = Redis.from_url(REDIS_URL)
        services.limiter = RedisRateLimiter(redis, prefix=f"test:{uuid.uuid4().hex}:")
    else:
        services.limiter = MemoryRateLimiter()
    services.settings = services.settings.model_copy(
        update={"reports_per_client_per_hour": 2, "registrations_per_client_per_hour": 2})
    transport = httpx.ASGITransport(app=create_app(services=services))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    if redis is not None:
        await redis.aclose()


async def test_report_submissions_are_limited_per_client(limited: httpx.AsyncClient) -> None:
    form = {"category": "dust", "description": "工地扬尘很大，没有洒水", "address": "城东工地"}
    codes = [(await limited.post("/api/v1/reports", data=form)).status_code for _ in range(2)]
    refused = await limited.post("/api/v1/reports", data=form)
    assert codes == [201, 201] and refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    page = await limited.get("/report")  # the portal shares the count
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    portal = await limited.post("/report", data={**form, "csrf_token": csrf})
    assert portal.status_code == 429 and portal.headers["content-type"].startswith("text/html")
    assert "Retry-After" in portal.headers


async def test_registrations_are_limited_per_client(limited: httpx.AsyncClient,
                                                    staff_tokens: dict[str, str]) -> None:
    event = await create_published(limited, staff_tokens["triager"], capacity=20)
    url = f"/api/v1/open-days/{event['id']}/registrations"
    made = [await limited.post(url, json={"name": f"访客{i}", "phone": f"1380013800{i}"}) for i in range(3)]
    assert [r.status_code for r in made] == [201, 201, 429]
    assert made[2].json()["error"]["messages"]["en"].startswith("Too many requests")
