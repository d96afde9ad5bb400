"""Public results (行政执法公示): resolved cases as the public may see them, and monthly figures.
What may be shown is decided in `complaints/publication.py`; this module only reads, and builds
every public case field by field, so nothing of the reporter, the description, notes or replies
can reach it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.departments import name_key
from accounts.models import Department
from core.clock import Clock
from core.db import Database
from core.errors import ValidationFailed
from core.kit.bureau_time import BureauTime

from ..deadlines import resolved_in_time, resolved_in_time_clause
from ..followup import SATISFIED
from ..models import Category, Report, ReportRating
from ..publication import PUBLISHED_STATUSES, coarse_address, coarse_point
from ..schemas import (
    MAX_PAGE,
    MonthFigures,
    PublicCase,
    PublicCategory,
    ResultFilters,
    ResultsPage,
    SatisfactionFigures,
)

FIGURE_MONTHS = 12  # without a month filter: this month and the eleven before
MAX_PER_PAGE = 50
_PUBLISHED = sorted(s.value for s in PUBLISHED_STATUSES)


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def public_place(report: Report, department: str | None) -> dict[str, Any]:
    """The fields of `PublicPlace`, the place coarsened by the publication rule (every public view
    builds on these: results, Open311, the open-data feeds)."""
    point = coarse_point(report.lat, report.lon)
    return {
        "tracking_number": report.tracking_number,
        "category": PublicCategory(code=report.category.code, name_zh=report.category.name_zh,
                                   name_en=report.category.name_en),
        "department": department,
        "area": coarse_address(report.address),
        "lat": point[0] if point else None,
        "lon": point[1] if point else None,
    }


def public_case(report: Report) -> PublicCase:
    return PublicCase(
        **public_place(report, report.department),
        status=report.status,
        received_at=report.created_at,
        accepted_at=report.accepted_at,
        resolved_at=report.resolved_at,  # type: ignore[arg-type] - published reports have one
        within_deadline=resolved_in_time(report.resolved_at, report.handling_due_at),
        outcome=report.public_outcome,
    )


class PublicResults:
    def __init__(self, db: Database, clock: Clock, bureau: BureauTime):
        self.db = db
        self.clock = clock
        self.bureau = bureau

    def _months(self, filters: ResultFilters) -> list[date]:
        if filters.month:
            year, month = (int(part) for part in filters.month.split("-"))
            return [date(year, month, 1)]
        today = self.bureau.local(self.clock.now())
        return [_month_start(today.year, today.month - back) for back in range(FIGURE_MONTHS - 1, -1, -1)]

    def _bounds(self, months: list[date]) -> tuple[datetime, datetime]:
        last = months[-1]
        return self.bureau.day_start(months[0]), self.bureau.day_start(_month_start(last.year, last.month + 1))

    async def page(self, filters: ResultFilters, page: int = 1, per_page: int = 20) -> ResultsPage:
        page, per_page = max(page, 1), min(max(per_page, 1), MAX_PER_PAGE)
        if page > MAX_PAGE:
            raise ValidationFailed(f"页码不能超过 {MAX_PAGE}", f"page must be at most {MAX_PAGE}", code="page_out_of_range")
        months = self._months(filters)
        start, end = self._bounds(months)
        conditions = [Report.status.in_(_PUBLISHED), Report.merged_into_id.is_(None), *_filters(filters)]
        if filters.month:
            conditions += [Report.resolved_at >= start, Report.resolved_at < end]
        async with self.db.session() as session:
            total = await session.scalar(select(func.count(Report.id)).where(*conditions)) or 0
            rows = await session.scalars(select(Report).where(*conditions)
                                         .order_by(Report.resolved_at.desc(), Report.id.desc())
                                         .offset((page - 1) * per_page).limit(per_page))
            items = [public_case(r) for r in rows]
            figures = await self._figures(session, filters, months, start, end)
        return ResultsPage(items=items, total=total, page=page, per_page=per_page, figures=figures)

    async def _figures(self, session: AsyncSession, filters: ResultFilters, months: list[date], start: datetime,
                       end: datetime) -> list[MonthFigures]:
        """Received (every report that came in), accepted, resolved (now resolved or closed, by the
        time of the resolution), resolved within the deadline, and 回访 satisfaction (ratings given
        in the month; 满意 and 基本满意 count as satisfied), per bureau-time month."""
        keys = [m.strftime("%Y-%m") for m in months]
        scoped = _filters(filters)

        async def per_month(column: Any, *conditions: Any) -> dict[str, int]:
            counted = dict.fromkeys(keys, 0)
            for value in await session.scalars(select(column).where(column >= start, column < end, *scoped,
                                                                    *conditions)):
                key = self.bureau.local(value).strftime("%Y-%m")
                if key in counted:
                    counted[key] += 1
            return counted

        received = await per_month(Report.created_at)
        accepted = await per_month(Report.accepted_at)
        published = (Report.status.in_(_PUBLISHED),)
        resolved = await per_month(Report.resolved_at, *published)
        in_time = await per_month(Report.resolved_at, *published, resolved_in_time_clause())
        rated, satisfied = dict.fromkeys(keys, 0), dict.fromkeys(keys, 0)
        ratings = await session.execute(
            select(ReportRating.created_at, ReportRating.rating).join(Report, ReportRating.report_id == Report.id)
            .where(ReportRating.created_at >= start, ReportRating.created_at < end, *scoped))
        for at, rating in ratings:
            key = self.bureau.local(at).strftime("%Y-%m")
            if key in rated:
                rated[key] += 1
                satisfied[key] += rating in SATISFIED
        return [
            MonthFigures(month=k, received=received[k], accepted=accepted[k], resolved=resolved[k],
                         resolved_within_deadline=in_time[k],
                         satisfaction=SatisfactionFigures(rated=rated[k], satisfied=satisfied[k],
                                                          rate=round(satisfied[k] / rated[k], 3) if rated[k] else None))
            for k in keys
        ]


def _filters(filters: ResultFilters) -> list[Any]:
    conditions: list[Any] = []
    if filters.category:
        conditions.append(Report.category_id.in_(select(Category.id).where(
            or_(Category.code == filters.category, Category.name_zh == filters.category))))
    if filters.department:
        conditions.append(Report.department_id.in_(select(Department.id).where(
            Department.name_key == name_key(filters.department))))
    return conditions
