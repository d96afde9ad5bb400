"""Numbers for the staff dashboard and the CSV export of a filtered list."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import Department
from core.kit.bureau_time import BureauTime
from core.kit.csv import csv_text

from .followup import SATISFIED
from .models import Category, Report, ReportEvent, ReportRating
from .schemas import ReportSummary
from .workflow import status_label

WEEKS_SHOWN = 12


class WeekCount(BaseModel):
    week_start: str  # Monday, YYYY-MM-DD in the bureau's time zone
    count: int


class FollowupRow(BaseModel):
    """回访 per department or category: how reporters rated resolutions, how often one reopened."""

    name: str
    resolved: int  # reports resolved at least once
    rated: int
    satisfied: int  # 满意 + 基本满意
    satisfaction_rate: float | None  # satisfied / rated
    reopened: int  # reports reopened at least once
    reopen_rate: float | None  # reopened / resolved


class Dashboard(BaseModel):
    total: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_department: dict[str, int]
    new_today: int
    overdue: int
    median_days_to_acceptance: float | None
    per_week: list[WeekCount]
    attention: int = 0  # reports with a supplement or a reopening request staff have not acted on
    followup_by_department: list[FollowupRow] = []
    followup_by_category: list[FollowupRow] = []


async def dashboard(session: AsyncSession, now: datetime, overdue_clause: Any, bureau: BureauTime,
                    visible: Any = None) -> Dashboard:
    """The numbers over the reports `visible` selects (a scoped account's departments), or all."""
    def seen(query: Select[Any]) -> Select[Any]:
        return query.where(visible) if visible is not None else query

    async def grouped(column: Any, join: Any = None) -> dict[str, int]:
        query = select(column, func.count(Report.id))
        if join is not None:
            query = query.outerjoin(join)
        rows = await session.execute(seen(query).group_by(column))
        return {str(key) if key is not None else "": count for key, count in rows}

    by_status = await grouped(Report.status)
    by_category = await grouped(Category.name_zh, Report.category)
    by_department = await grouped(Department.name, Report.department_row)
    today = bureau.start_of_day(now)
    new_today = await session.scalar(seen(select(func.count(Report.id)).where(Report.created_at >= today))) or 0
    overdue = await session.scalar(seen(select(func.count(Report.id)).where(overdue_clause))) or 0

    # Median over the last year: old history should not hide how the bureau does now.
    since = now - timedelta(days=365)
    accepted = await session.execute(
        seen(select(Report.created_at, Report.accepted_at).where(Report.accepted_at.is_not(None),
                                                                  Report.created_at >= since))
    )
    durations = [(acc - created).total_seconds() / 86400 for created, acc in accepted]
    median = round(statistics.median(durations), 1) if durations else None

    this_monday = today - timedelta(days=today.weekday())
    first_week = this_monday - timedelta(weeks=WEEKS_SHOWN - 1)
    created = await session.scalars(seen(select(Report.created_at).where(Report.created_at >= first_week)))
    weeks = [first_week + timedelta(weeks=i) for i in range(WEEKS_SHOWN)]
    counts = [0] * WEEKS_SHOWN
    for value in created:
        index = (bureau.local(value) - first_week).days // 7
        if 0 <= index < WEEKS_SHOWN:
            counts[index] += 1
    return Dashboard(
        total=sum(by_status.values()),
        by_status=by_status,
        by_category=by_category,
        by_department=by_department,
        new_today=new_today,
        overdue=overdue,
        median_days_to_acceptance=median,
        per_week=[WeekCount(week_start=w.strftime("%Y-%m-%d"), count=c) for w, c in zip(weeks, counts, strict=True)],
        attention=await session.scalar(seen(select(func.count(Report.id)).where(Report.attention.is_not(None)))) or 0,
        followup_by_department=await followup_rates(session, Department.name, visible),
        followup_by_category=await followup_rates(session, Category.name_zh, visible),
    )


async def followup_rates(session: AsyncSession, group: Any, visible: Any = None) -> list[FollowupRow]:
    """Satisfaction (满意 + 基本满意 over every rating) and reopening (reports reopened over reports
    resolved) per value of `group` (Department.name or Category.name_zh), over the reports
    `visible` selects (a scoped account's departments), or all."""

    def reports_with_status(status: str) -> Any:
        return select(ReportEvent.report_id).where(ReportEvent.kind == "status", ReportEvent.to_value == status)

    async def counts(query: Any) -> dict[str, int]:
        query = query.join(Report.category).outerjoin(Report.department_row)
        rows = await session.execute((query.where(visible) if visible is not None else query).group_by(group))
        return {str(key or ""): n for key, n in rows}

    base = select(group, func.count(func.distinct(Report.id)))
    resolved = await counts(base.where(Report.id.in_(reports_with_status("resolved"))))
    reopened = await counts(base.where(Report.id.in_(reports_with_status("reopened"))))
    rating_query = (select(group, ReportRating.rating, func.count(ReportRating.id))
                    .join(Report, ReportRating.report_id == Report.id).join(Report.category)
                    .outerjoin(Report.department_row))
    if visible is not None:
        rating_query = rating_query.where(visible)
    ratings = await session.execute(rating_query.group_by(group, ReportRating.rating))
    rated: dict[str, int] = {}
    satisfied: dict[str, int] = {}
    for key, rating, n in ratings:
        name = str(key or "")
        rated[name] = rated.get(name, 0) + n
        if rating in SATISFIED:
            satisfied[name] = satisfied.get(name, 0) + n
    rows = []
    for name in sorted(set(resolved) | set(rated)):
        r, s, o, done = rated.get(name, 0), satisfied.get(name, 0), reopened.get(name, 0), resolved.get(name, 0)
        rows.append(FollowupRow(name=name, resolved=done, rated=r, satisfied=s,
                                satisfaction_rate=round(s / r, 3) if r else None, reopened=o,
                                reopen_rate=round(o / done, 3) if done else None))
    return rows


CSV_COLUMNS = ("编号 tracking_number", "类别 category", "状态 status", "优先级 priority", "承办部门 department",
               "承办人 assignee", "渠道 channel", "地址 address", "描述 description", "提交时间 created_at",
               "办理期限 due_at", "逾期 overdue", "照片 photos", "合并到 merged_into")


def to_csv(rows: Iterable[ReportSummary], bureau: BureauTime) -> str:
    """Excel-safe (core.kit.csv: citizens' text never runs as a formula); times in the bureau's zone."""
    local = bureau.text
    return csv_text(CSV_COLUMNS, (
        [
            r.tracking_number, r.category.name_zh, status_label(r.status), r.priority, r.department or "",
            r.assignee or "", r.channel, r.address, r.description, local(r.created_at), local(r.due_at),
            "是" if r.overdue else "", r.photo_count, r.merged_into or "",
        ]
        for r in rows
    ))
