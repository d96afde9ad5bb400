"""Public reports: every report as anyone may see it, for Open311 and the open-data feeds. What is
withheld and how places are coarsened is decided in `complaints/publication.py` and applied in
one place (`results.public_place`); each public report is built field by field
(`public_report`), so nothing of the reporter, the description, photos or internal notes can
reach it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from core.db import Database
from core.errors import NotFound
from core.ids import token_hash

from ..deadlines import due_at
from ..models import Category, Report, ReportEvent
from ..open311 import STAFF_REPLY_KINDS
from ..schemas import PublicReport
from .records import REPORTER, CategoryBook
from .results import public_place

MAX_NUMBERS = 1000  # tracking numbers asked for at once


@dataclass(frozen=True)
class PublicReportQuery:
    """Which reports: by tracking number (then nothing else filters, as GeoReport says; merged
    duplicates included), or by category codes, workflow statuses and a received-at window."""

    numbers: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    statuses: frozenset[str] | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None


def public_report(report: Report, notes: dict[int, str]) -> PublicReport:
    """A merged duplicate is shown as its primary's case: status, department, deadline, notes."""
    case = report.merged_into or report
    return PublicReport(
        **public_place(report, case.department),
        status=case.status,
        received_at=report.created_at,
        updated_at=max(report.updated_at, case.updated_at),
        resolved_at=case.resolved_at,
        due_at=due_at(case.status, case.acceptance_due_at, case.handling_due_at),
        status_notes=notes.get(case.id),
        outcome=case.public_outcome,
        merged_into=report.merged_into.tracking_number if report.merged_into else None,
    )


class PublicReports:
    def __init__(self, db: Database, categories: CategoryBook):
        self.db = db
        self.categories = categories

    async def _conditions(self, query: PublicReportQuery) -> list[Any]:
        if query.numbers:
            return [Report.tracking_number.in_(sorted(set(query.numbers))[:MAX_NUMBERS])]
        conditions: list[Any] = [Report.merged_into_id.is_(None)]
        if query.categories:
            codes = sorted({(await self.categories.ref(code)).code for code in query.categories})
            conditions.append(Report.category_id.in_(select(Category.id).where(Category.code.in_(codes))))
        if query.statuses is not None:
            conditions.append(Report.status.in_(sorted(query.statuses)))
        if query.received_from is not None:
            conditions.append(Report.created_at >= query.received_from)
        if query.received_to is not None:
            conditions.append(Report.created_at <= query.received_to)
        return conditions

    async def search(self, query: PublicReportQuery, offset: int = 0, limit: int = 1000,
                     count: bool = False) -> tuple[list[PublicReport], int | None]:
        """Newest first; the total matching when `count` is asked for."""
        conditions = await self._conditions(query)
        async with self.db.session() as session:
            total = (await session.scalar(select(func.count(Report.id)).where(*conditions)) or 0) if count else None
            rows = list(await session.scalars(select(Report).where(*conditions)
                                              .order_by(Report.created_at.desc(), Report.id.desc())
                                              .offset(offset).limit(limit)))
            notes = await _latest_notes(session, {(r.merged_into or r).id for r in rows})
        return [public_report(r, notes) for r in rows], total

    async def get(self, tracking_number: str) -> PublicReport:
        found, _ = await self.search(PublicReportQuery(numbers=(tracking_number.strip(),)), limit=1)
        if not found:
            raise NotFound(f"找不到编号为 {tracking_number} 的举报", f"No report with tracking number {tracking_number}",
                           code="report_not_found")
        return found[0]

    async def number_for_token(self, token: str, channel: str) -> str:
        """The tracking number of a report sent through `channel` with this status token."""
        async with self.db.session() as session:
            number = await session.scalar(select(Report.tracking_number).where(
                Report.status_token_hash == token_hash(token), Report.channel == channel))
        if number is None:
            raise NotFound("找不到该令牌对应的举报", "No request with that token", code="token_not_found")
        return number


async def _latest_notes(session: Any, report_ids: Sequence[int] | set[int]) -> dict[int, str]:
    """The latest message staff sent each report's reporter."""
    if not report_ids:
        return {}
    rows = await session.execute(
        select(ReportEvent.report_id, ReportEvent.public_message)
        .where(ReportEvent.report_id.in_(sorted(report_ids)), ReportEvent.kind.in_(STAFF_REPLY_KINDS),
               ReportEvent.public_message.is_not(None), ReportEvent.actor != REPORTER)
        .order_by(ReportEvent.created_at, ReportEvent.id))
    return {report_id: message for report_id, message in rows}
