"""/metrics: request counters by route template, the shared state read from the database, who may
read it. The multi-process mode of `civicdesk serve --workers 2` (every worker's counts, whichever
worker answers the scrape) is tested with the other two-worker checks in tests/test_server.py."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from civicdesk.app import create_app
from civicdesk.container import Services
from complaints.messages import ReportUpdate
from core import outbox
from tests.complaints.test_api import submit

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient, **headers: str) -> Samples:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse(response.text)


def app_with(services: Services, **settings: object) -> httpx.AsyncClient:
    base = services.extras.setdefault("base_settings", services.settings)
    services.settings = base.model_copy(update=settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services=services)),
                             base_url="http://testserver")


async def test_requests_by_route_template_and_state(client: httpx.AsyncClient, services: Services) -> None:
    # Request counters live in the process (every test's requests add to them): compare differences.
    before = await scrape(client)
    created = await submit(client)
    assert created.status_code == 201
    number, token = created.json()["tracking_number"], created.json()["status_token"]
    assert (await client.get(f"/api/v1/reports/{number}?token={token}")).status_code == 200
    assert (await client.get(f"/api/v1/reports/2026-999999?token={token}")).status_code == 404
    assert (await client.get("/no/such/page")).status_code == 404
    assert (await client.post("/api/v1/ask", json={"question": ""})).status_code == 422
    # Outbox state: three Telegram messages, one retrying, one given up.
    async with services.db.write_session() as session:
        rows = [outbox.enqueue(session, channel="telegram", recipient=str(i), now=services.clock.now(),
                               message=ReportUpdate(event="status", tracking_number=number,
                                                    primary_tracking_number=number, status="accepted"))
                for i in range(3)]
        await session.flush()
        await outbox.mark_retry(session, rows[0].id, services.clock.now(), timedelta(minutes=1), "HTTP 502", 12)
        await outbox.mark_retry(session, rows[1].id, services.clock.now(), timedelta(0), "chat not found", 0)
    services.clock.advance(timedelta(minutes=3))

    after = await scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # requests: one series per route template, whatever number or token the path carried
    requests, route = "civicdesk_http_requests_total", "/api/v1/reports/{tracking_number}"
    assert grew(requests, method="GET", route=route, status="200") == 1
    assert grew(requests, method="GET", route=route, status="404") == 1
    assert grew(requests, method="POST", route="/api/v1/reports", status="201") == 1
    assert grew(requests, method="GET", route="unmatched", status="404") == 1
    assert grew(requests, method="POST", route="/api/v1/ask", status="422") == 1
    assert grew(requests, method="GET", route="/metrics", status="200") == 1  # the first scrape
    assert not any(number in dict(labels).get("route", "") for _, labels in after)
    latency = "civicdesk_http_request_duration_seconds"
    assert grew(f"{latency}_count", method="POST", route="/api/v1/reports") == 1
    assert grew(f"{latency}_bucket", method="POST", route="/api/v1/reports", le="+Inf") == 1
    # state from the database
    assert value(after, "civicdesk_reports_submitted_total", channel="api") == 1
    assert value(after, "civicdesk_outbox_backlog", channel="telegram") == 2
    assert value(after, "civicdesk_outbox_retrying", channel="telegram") == 1
    assert value(after, "civicdesk_outbox_messages", channel="telegram", status="failed") == 1
    assert value(after, "civicdesk_outbox_oldest_pending_age_seconds", channel="telegram") == 180
    assert value(after, "civicdesk_ingest_jobs", state="queued") == 0


async def test_questions_and_ingest_jobs(client: httpx.AsyncClient, services: Services) -> None:
    from tests.knowledge.conftest import EMBEDDINGS_CACHE

    services.knowledge.embeddings_cache = EMBEDDINGS_CACHE
    asked = await client.post("/api/v1/ask", json={"question": "红烧肉怎么做才不腻？"})
    assert asked.status_code == 200 and asked.json()["abstained"] is True  # nothing is indexed
    await services.knowledge.upload("guide.txt", "第一条 施工工地应当设置围挡。".encode())
    samples = await scrape(client)
    assert value(samples, "civicdesk_questions_total", channel="api", outcome="abstained") == 1
    assert value(samples, "civicdesk_questions_total", channel="api", outcome="answered") == 0
    assert value(samples, "civicdesk_ingest_jobs", state="queued") + \
        value(samples, "civicdesk_ingest_jobs", state="indexing") + \
        value(samples, "civicdesk_ingest_jobs", state="ready") == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_who_may_read(services: Services) -> None:
    # production without a token or an allow list: off
    async with app_with(services, environment="production") as c:
        assert (await c.get("/metrics")).status_code == 404
    # a token: required from anywhere not allowed, compared in constant time
    async with app_with(services, environment="production", metrics_token="s3cret-metrics") as c:
        assert (await c.get("/metrics")).status_code == 401
        assert (await c.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        assert "civicdesk_http_requests_total" in (
            await c.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})).text
    # an allow list that does not hold the client (the test client is 127.0.0.1)
    async with app_with(services, environment="production", metrics_allow=["10.0.0.0/8"]) as c:
        assert (await c.get("/metrics")).status_code == 403
    async with app_with(services, environment="production", metrics_allow=["127.0.0.0/8"]) as c:
        assert (await c.get("/metrics")).status_code == 200
    # outside production, loopback by default
    async with app_with(services, environment="development", metrics_allow=None) as c:
        assert (await c.get("/metrics")).status_code == 200


def test_allow_list_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.settings import Settings

    monkeypatch.setenv("CIVICDESK_METRICS_ALLOW", "10.0.0.0/8, 192.168.1.5")
    assert Settings(_env_file=None).metrics_allow == ["10.0.0.0/8", "192.168.1.5"]  # type: ignore[call-arg]
