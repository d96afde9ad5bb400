"""Prometheus metrics at `/metrics`.

Two kinds:
- per process, counted as requests pass (`MetricsMiddleware`): requests by method, route template
  and status, and their latency. Under `civicdesk serve --workers N` each worker process writes its
  own values to files in `PROMETHEUS_MULTIPROC_DIR` (serve sets a fresh one up) and `/metrics`,
  whichever worker answers, adds them all up (prometheus_client's multi-process mode).
- the shared state, read from the database at scrape time (`state_metrics`): reports submitted by
  channel, the outbox by channel and status (backlog, retrying, given up), questions answered and
  abstained, ingest jobs by state. Read, not counted, so every API process reports the same totals
  whoever did the work (an API, a worker, the bot) and a restart loses nothing.

Who may read it (`CIVICDESK_METRICS_TOKEN`, `CIVICDESK_METRICS_ALLOW`): a bearer token, or a client
address in the allowed networks; unset, loopback outside production and nobody in production, where
`/metrics` is then a plain 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import REGISTRY, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import case, func, select

from complaints.models import Report
from core.outbox import BLOCKED, FAILED, PENDING, SENT, OutboxMessage
from core.settings import Settings
from knowledge.models import KnowledgeQuestion

if TYPE_CHECKING:
    from .container import Services

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter("civicdesk_http_requests", "HTTP requests by method, route template and status",
                   ["method", "route", "status"])
LATENCY = Histogram("civicdesk_http_request_duration_seconds", "HTTP request latency by method and route template",
                    ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))


def _route_label(scope: dict[str, Any]) -> str:
    """The matched route's template (`/api/v1/reports/{number}`), never the raw path: one series per
    route, whatever numbers and tokens people send."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(template) if template else "unmatched"


class MetricsMiddleware:
    """Pure ASGI (no buffering of bodies): times each HTTP request to its last byte."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [500]  # what the client gets when the app raises before answering
        started = time.perf_counter()

        async def counting_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            route, method = _route_label(scope), scope.get("method", "GET")
            REQUESTS.labels(method, route, str(status[0])).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - started)


# --- who may read ---------------------------------------------------------------------------------
def allowed_networks(settings: Settings) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    if settings.metrics_allow is not None:
        entries: Iterable[str] = settings.metrics_allow
    else:  # default: loopback outside production, nobody in production
        entries = () if settings.environment == "production" else ("127.0.0.1/8", "::1")
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def _address_allowed(host: str | None, networks: list[Any]) -> bool:
    if not host or not networks:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address.version == net.version and address in net for net in networks)


def _token_matches(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


# --- the shared state, read at scrape time --------------------------------------------------------
async def state_metrics(services: Services) -> list[Metric]:
    reports = CounterMetricFamily("civicdesk_reports_submitted", "Reports submitted, by channel", labels=["channel"])
    messages = GaugeMetricFamily("civicdesk_outbox_messages", "Outbox messages by channel and status "
                                 f"({PENDING}, {SENT}, {FAILED}: given up, {BLOCKED}: the recipient blocked us)",
                                 labels=["channel", "status"])
    backlog = GaugeMetricFamily("civicdesk_outbox_backlog", "Outbox messages waiting to be sent", labels=["channel"])
    retrying = GaugeMetricFamily("civicdesk_outbox_retrying", "Waiting messages whose last attempt failed",
                                 labels=["channel"])
    oldest = GaugeMetricFamily("civicdesk_outbox_oldest_pending_age_seconds",
                               "Age of the oldest waiting message", labels=["channel"])
    questions = CounterMetricFamily("civicdesk_questions", "Policy questions by channel and outcome "
                                    "(answered, abstained)", labels=["channel", "outcome"])
    now = services.clock.now()
    async with services.db.read() as conn:
        for channel, count in await conn.execute(select(Report.channel, func.count()).group_by(Report.channel)):
            reports.add_metric([channel], count)
        rows = await conn.execute(
            select(OutboxMessage.channel, OutboxMessage.status, func.count(),
                   func.sum(case((OutboxMessage.attempts > 0, 1), else_=0)), func.min(OutboxMessage.created_at))
            .group_by(OutboxMessage.channel, OutboxMessage.status))
        for channel, status, count, attempted, first in rows:
            messages.add_metric([channel, status], count)
            if status == PENDING:
                backlog.add_metric([channel], count)
                retrying.add_metric([channel], attempted or 0)
                first = _aware(first)
                oldest.add_metric([channel], max(0.0, (now - first).total_seconds()) if first else 0.0)
        for channel, abstained, count in await conn.execute(
                select(KnowledgeQuestion.channel, KnowledgeQuestion.abstained, func.count())
                .group_by(KnowledgeQuestion.channel, KnowledgeQuestion.abstained)):
            questions.add_metric([channel, "abstained" if abstained else "answered"], count)
    jobs = GaugeMetricFamily("civicdesk_ingest_jobs", "Knowledge ingest jobs by state", labels=["state"])
    for state, count in (await services.knowledge.job_counts()).items():
        jobs.add_metric([state], count)
    return [reports, messages, backlog, retrying, oldest, questions, jobs]


def _aware(moment: Any) -> Any:
    """SQLite hands back an ISO string or a naive datetime from an aggregate; both mean UTC."""
    from datetime import UTC, datetime

    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if isinstance(moment, datetime) and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


class _Fixed:
    """A collector that yields metric families computed beforehand (the async database reads)."""

    def __init__(self, families: list[Metric]):
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return iter(self.families)


def exposition(families: list[Metric]) -> bytes:
    """The text format: this process's counters (or every worker's, in multi-process mode) and the state."""
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.MultiProcessCollector(registry)
        output = generate_latest(registry)
    else:
        output = generate_latest(REGISTRY)
    registry = CollectorRegistry()
    registry.register(_Fixed(families))  # type: ignore[arg-type]
    return output + generate_latest(registry)


def metrics_router(settings: Settings) -> APIRouter:
    router = APIRouter()
    networks = allowed_networks(settings)
    token = settings.metrics_token

    @router.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if not token and not networks:
            return Response(status_code=404)  # off: nobody may read it (production's default)
        host = request.client.host if request.client else None
        if not (_address_allowed(host, networks) or (token and _token_matches(request, token))):
            if token:
                return Response("指标需要令牌 / metrics need a bearer token\n", status_code=401, media_type="text/plain",
                                headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
            return Response("此地址不能读取指标 / metrics are not served to this address\n", status_code=403, media_type="text/plain")
        services: Services = request.app.state.services
        body = exposition(await state_metrics(services))
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router


def prepare_multiprocess_dir(path: str) -> None:
    """A multi-process directory must start empty (files of a previous run would be added in)."""
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.unlink(os.path.join(path, name))
