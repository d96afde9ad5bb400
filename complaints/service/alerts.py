"""Alerts to staff phones through the outbox: a report raised to high or urgent priority (written
with the change, in its transaction), and the scheduled ones the job runner calls: deadlines
drawing near, and the daily overdue digest. The rules are in `complaints/alerts.py`; who hears is
`accounts.links.audience`; each scheduled alert is recorded in `staff_alerts_sent` in the same
transaction as its outbox rows, so it goes out once however often the job runs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.links import Recipient, audience
from accounts.models import StaffChannelLink, StaffUser
from core import outbox
from core.clock import Clock
from core.db import Database
from core.kit.bureau_time import BureauTime
from core.outbox import OutboxPayload

from ..alerts import DIGEST_LIMIT, AlertPolicy, deadline_key, digest_key, raises_alert
from ..deadlines import deadline_field, due_at, due_within_clause, overdue_clause
from ..messages import AlertReport, DeadlineAlert, OverdueDigest, UrgentReportAlert
from ..models import Report, StaffAlertSent

# A scheduled round looks at this many reports at most (the most pressing first); the rest wait
# for the next round.
ROUND_LIMIT = 500


@dataclass(frozen=True)
class AlertRound:
    deadline_alerts: int = 0
    digests: int = 0


def alert_report(report: Report) -> AlertReport:
    return AlertReport(
        tracking_number=report.tracking_number, category_zh=report.category.name_zh,
        category_en=report.category.name_en, department=report.department, priority=report.priority,
        due_at=due_at(report.status, report.acceptance_due_at, report.handling_due_at),
        deadline=deadline_field(report.status),
    )


def _send(session: AsyncSession, chats: list[Recipient], message: OutboxPayload, now: datetime) -> int:
    for chat in chats:
        outbox.enqueue(session, channel=chat.channel, recipient=chat.address, message=message, now=now)
    return len(chats)


async def alert_priority(session: AsyncSession, report: Report, old_priority: str | None, actor: str,
                         now: datetime) -> int:
    """Within the triage change's transaction: tell the report's department it became high or
    urgent (not whoever raised it). Returns the number of chats told."""
    if not raises_alert(old_priority, report.priority):
        return 0
    chats = [c for c in await audience(session) if c.scope.allows(report.department_id)]
    mine = set(await session.scalars(_linked_addresses(actor)))
    return _send(session, [c for c in chats if c.address not in mine],
                 UrgentReportAlert(report=alert_report(report), actor=actor), now)


def _linked_addresses(username: str) -> Select[tuple[str]]:
    return select(StaffChannelLink.address).join(StaffUser).where(StaffUser.username == username)


async def _first_time(session: AsyncSession, key: str, report_id: int | None, now: datetime) -> bool:
    """Record a scheduled alert; False when it was recorded before (by this or another process)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(insert(StaffAlertSent).values(key=key, report_id=report_id, created_at=now)
                                   .on_conflict_do_nothing())
    return result.rowcount == 1  # type: ignore[attr-defined]


class StaffAlerts:
    def __init__(self, db: Database, policy: AlertPolicy, clock: Clock, bureau: BureauTime):
        self.db = db
        self.policy = policy
        self.clock = clock
        self.bureau = bureau

    async def due(self, now: datetime | None = None) -> AlertRound:
        """Both scheduled checks, as one job would run them."""
        now = now or self.clock.now()
        return AlertRound(await self.deadline_alerts(now), await self.overdue_digest(now))

    async def deadline_alerts(self, now: datetime | None = None) -> int:
        """Alert on every open report whose deadline is `deadline_days` away or nearer, once per
        report, deadline and due time. Returns the number of messages queued."""
        now = now or self.clock.now()
        if self.policy.deadline_days <= 0:
            return 0
        sent = 0
        async with self.db.write_session() as session:
            chats = await audience(session)
            if not chats:
                return 0  # nobody listens yet: the alerts wait for someone to link a chat
            rows = await session.scalars(
                select(Report).where(due_within_clause(now, self.policy.deadline_window),
                                     Report.merged_into_id.is_(None))
                .order_by(Report.id).limit(ROUND_LIMIT))
            for report in rows:
                field = deadline_field(report.status)
                due = due_at(report.status, report.acceptance_due_at, report.handling_due_at)
                listeners = [c for c in chats if c.scope.allows(report.department_id)]
                if field is None or due is None or not listeners:
                    continue
                if not await _first_time(session, deadline_key(report.id, field, due), report.id, now):
                    continue
                days_left = max(1, math.ceil((due - now).total_seconds() / 86400))
                sent += _send(session, listeners, DeadlineAlert(report=alert_report(report), days_left=days_left), now)
        return sent

    async def overdue_digest(self, now: datetime | None = None) -> int:
        """Once a bureau day, from `digest_hour`: each chat gets the overdue reports of its scope
        (none: no message). Returns the number of digests queued."""
        now = now or self.clock.now()
        local = self.bureau.local(now)
        if not self.policy.digest_due(local):
            return 0
        sent = 0
        async with self.db.write_session() as session:
            chats = await audience(session)
            if not chats or not await _first_time(session, digest_key(local.date()), None, now):
                return 0
            overdue = list(await session.scalars(
                select(Report).where(overdue_clause(now), Report.merged_into_id.is_(None))
                .order_by(Report.acceptance_due_at, Report.id).limit(50 * ROUND_LIMIT)))
            for chat in chats:
                mine = sorted((r for r in overdue if chat.scope.allows(r.department_id)),
                              key=lambda r: (due_at(r.status, r.acceptance_due_at, r.handling_due_at) or now,
                                             r.tracking_number))
                if not mine:
                    continue
                digest = OverdueDigest(day=local.date(), total=len(mine),
                                       reports=[alert_report(r) for r in mine[:DIGEST_LIMIT]])
                sent += _send(session, [chat], digest, now)
        return sent
