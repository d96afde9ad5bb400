"""Queries: what reporters and staff read. Nothing here writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.departments import name_key
from accounts.models import Department
from accounts.scope import BUREAU, Scope
from core.clock import Clock
from core.db import Database
from core.errors import NotFound, ValidationFailed
from core.prepared import PreparedStatement
from core.ids import token_matches
from core.kit.bureau_time import BureauTime

from ..deadlines import due_at, is_overdue, overdue_clause
from ..followup import rating_label
from ..models import Category, DuplicateCandidate, Report, ReportEvent
from ..schemas import (
    MAX_PAGE,
    AuditEvent,
    CategoryOut,
    DuplicateOut,
    Page,
    PhotoInfo,
    PublicEvent,
    ReportDetail,
    ReporterInfo,
    ReporterView,
    ReportFilters,
    ReportSummary,
)
from ..staff_map import MAP_LIMIT, StaffMap, map_point
from ..stats import Dashboard, dashboard, to_csv
from ..workflow import PRIORITIES, Status, filter_statuses, status_label
from .records import (
    ChannelUser,
    Reporter,
    VerifiedPhone,
    report_by_number,
    report_for_reporter,
    report_for_token,
    report_not_found_for_token,
)

# Event kinds the reporter sees in their history.
PUBLIC_KINDS = frozenset({"created", "status", "reply", "merge", "extension", "rating", "reopen_requested",
                          "reopen_declined", "supplement"})
EXPORT_LIMIT = 50_000


class Queries:
    def __init__(self, db: Database, clock: Clock, bureau: BureauTime):
        self.db = db
        self.clock = clock
        self.bureau = bureau

    # --- the reporter's side -----------------------------------------------------------------
    async def reporter_view(self, tracking_number: str, token: str, lang: str = "zh") -> ReporterView:
        """The busiest read: one statement (the report, its category and its public events), no
        ORM objects and no transaction (see Database.read). A merged duplicate, whose status
        comes from its primary, takes the ORM path below."""
        rows = await self.db.fetch(_STATUS_READ, number=tracking_number.strip())
        if not rows or not token_matches(token, rows[0].status_token_hash):
            raise report_not_found_for_token()
        first = rows[0]
        if first.merged_into_id is not None:
            async with self.db.session() as session:
                report = await report_for_token(session, tracking_number, token)
                return await self._reporter_view(session, report, lang)
        category = CategoryOut(id=first.category_id, code=first.code, name_zh=first.name_zh,
                               name_en=first.name_en, default_department=first.department_name)
        history = [public_event(r.kind, r.to_value, r.public_message, r.event_at, lang)
                   for r in rows if r.kind is not None]
        return _view(first, first, category, history, lang)

    async def reporter_view_for_channel_user(
        self, tracking_number: str, channel: str, channel_user_id: str, lang: str = "zh"
    ) -> ReporterView:
        async with self.db.session() as session:
            report = await report_for_reporter(session, tracking_number, ChannelUser(channel, channel_user_id))
            return await self._reporter_view(session, report, lang)

    async def reports_of_channel_user(
        self, channel: str, channel_user_id: str, limit: int = 20, lang: str = "zh"
    ) -> list[ReporterView]:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(Report)
                .where(Report.channel == channel, Report.reporter_channel_id == channel_user_id)
                .order_by(Report.created_at.desc(), Report.id.desc())
                .limit(limit)
            )
            return [await self._reporter_view(session, r, lang) for r in rows]

    async def reports_of_phone(self, digits: str, limit: int = 50, lang: str = "zh") -> list[ReporterView]:
        """The reports given with a (verified, normalised) number, newest first."""
        async with self.db.session() as session:
            rows = await session.scalars(
                select(Report).where(Report.reporter_phone_digits == digits)
                .order_by(Report.created_at.desc(), Report.id.desc()).limit(limit)
            )
            return [await self._reporter_view(session, r, lang) for r in rows]

    async def reporter_view_for_phone(self, tracking_number: str, digits: str, lang: str = "zh") -> ReporterView:
        async with self.db.session() as session:
            report = await report_for_reporter(session, tracking_number.strip(), VerifiedPhone(digits))
            return await self._reporter_view(session, report, lang)

    async def count_reports_since(self, channel: str, channel_user_id: str, since: datetime) -> int:
        """How many reports one person sent since a moment (for per-person limits)."""
        async with self.db.session() as session:
            return await session.scalar(
                select(func.count(Report.id)).where(
                    Report.channel == channel, Report.reporter_channel_id == channel_user_id,
                    Report.created_at >= since,
                )
            ) or 0

    async def _reporter_view(self, session: AsyncSession, report: Report, lang: str) -> ReporterView:
        # A merged duplicate follows its primary: status, deadline and replies come from there.
        followed = report.merged_into or report
        report_ids = [report.id] if followed is report else [report.id, followed.id]
        events = await session.scalars(
            select(ReportEvent)
            .where(ReportEvent.report_id.in_(report_ids), ReportEvent.kind.in_(PUBLIC_KINDS))
            .order_by(ReportEvent.created_at, ReportEvent.id)
        )
        history = [_public_event(e, lang) for e in events if e.report_id == report.id or e.kind != "created"]
        return _view(report, followed, CategoryOut.model_validate(report.category), history, lang)

    async def public_photo(self, tracking_number: str, n: int, token: str | None,
                           scope: Scope = BUREAU) -> tuple[str, str]:
        """(storage key, mime) of a report's EXIF-free public copy; token required unless None
        is passed by a caller that has already authorised staff access (within `scope`)."""
        return await self._photo(tracking_number, n, token, public=True, scope=scope)

    async def public_photo_for_phone(self, tracking_number: str, n: int, digits: str) -> tuple[str, str]:
        """The public copy for whoever verified the number given with the report ("my reports")."""
        return await self._photo(tracking_number, n, VerifiedPhone(digits), public=True)

    async def original_photo(self, tracking_number: str, n: int, scope: Scope = BUREAU) -> tuple[str, str]:
        """Staff only: the original upload, EXIF and all."""
        return await self._photo(tracking_number, n, None, public=False, scope=scope)

    async def _photo(self, tracking_number: str, n: int, who: Reporter | None, public: bool,
                     scope: Scope = BUREAU) -> tuple[str, str]:
        async with self.db.session() as session:
            if who is None:  # staff, already authorised
                report = await report_by_number(session, tracking_number, with_photos=True, scope=scope)
            else:
                report = await report_for_reporter(session, tracking_number, who, with_photos=True)
            photo = next((p for p in report.photos if p.position == n), None)
            if photo is None:
                raise NotFound(f"该举报没有第 {n} 张照片", f"The report has no photo number {n}",
                               code="photo_not_found")
            return (photo.public_key, "image/jpeg") if public else (photo.original_key, photo.original_mime)

    # --- staff -------------------------------------------------------------------------------
    async def search(self, filters: ReportFilters, page: int = 1, per_page: int = 25,
                     scope: Scope = BUREAU) -> Page[ReportSummary]:
        page, per_page = max(page, 1), min(max(per_page, 1), 200)
        if page > MAX_PAGE:  # an offset the databases refuse (or take ages to skip to)
            raise ValidationFailed(f"页码不能超过 {MAX_PAGE}", f"page must be at most {MAX_PAGE}", code="page_out_of_range")
        now = self.clock.now()
        query = _filtered(select(Report), filters, now, scope)
        async with self.db.session() as session:
            total = await session.scalar(_filtered(select(func.count(Report.id)), filters, now, scope))
            rows = await session.scalars(_sorted(query, filters.sort).offset((page - 1) * per_page).limit(per_page))
            items = [_summary(r, now) for r in rows]
        return Page[ReportSummary](items=items, total=total or 0, page=page, per_page=per_page)

    async def dashboard(self, scope: Scope = BUREAU) -> Dashboard:
        now = self.clock.now()
        async with self.db.session() as session:
            return await dashboard(session, now, overdue_clause(now), self.bureau, scope_clause(scope))

    async def export_csv(self, filters: ReportFilters, limit: int = EXPORT_LIMIT, scope: Scope = BUREAU) -> str:
        """Every report matching the filters (up to `limit`), as CSV for Excel."""
        now = self.clock.now()
        query = _sorted(_filtered(select(Report), filters, now, scope), filters.sort).limit(limit)
        async with self.db.session() as session:
            rows = [_summary(r, now) for r in await session.scalars(query)]
        return to_csv(rows, self.bureau)

    async def map_reports(self, filters: ReportFilters, limit: int = MAP_LIMIT, scope: Scope = BUREAU) -> StaffMap:
        """The reports matching the filters that have a point (newest first, up to `limit`; 0: only
        the counts), and how many match in all and without a place."""
        now = self.clock.now()
        placed = and_(Report.lat.is_not(None), Report.lon.is_not(None))
        counts = _filtered(select(func.count(Report.id), func.count(case((placed, Report.id))),
                                  func.count(case((overdue_clause(now), Report.id)))), filters, now, scope)
        # Aliases: the filters' own subqueries on categories and departments must not correlate with these joins.
        category, department = aliased(Category), aliased(Department)
        columns = select(
            Report.tracking_number, category.code.label("category_code"), category.name_zh.label("category_zh"),
            category.name_en.label("category_en"), Report.status, Report.priority, department.name.label("department"),
            Report.address, Report.created_at, Report.attention, Report.lat, Report.lon, Report.acceptance_due_at,
            Report.handling_due_at,
        ).join(category, Report.category_id == category.id).outerjoin(department, Report.department_id == department.id)
        query = _filtered(columns.where(placed), filters, now, scope).order_by(Report.created_at.desc(),
                                                                               Report.id.desc()).limit(limit)
        async with self.db.session() as session:
            total, with_place, overdue = (await session.execute(counts)).one()
            points = [map_point(dict(row._mapping), now) for row in await session.execute(query)] if limit > 0 else []
        return StaffMap(points=points, total=total or 0, without_place=(total or 0) - (with_place or 0),
                        overdue=overdue or 0, limit=limit)

    async def overdue(self, limit: int = 500, scope: Scope = BUREAU) -> list[ReportSummary]:
        result = await self.search(ReportFilters(overdue=True, sort="due_at"), per_page=min(limit, 200), scope=scope)
        return result.items

    async def detail(self, tracking_number: str, scope: Scope = BUREAU) -> ReportDetail:
        async with self.db.session() as session:
            report = await report_by_number(session, tracking_number, with_photos=True, scope=scope)
            events = await session.scalars(
                select(ReportEvent).where(ReportEvent.report_id == report.id)
                .order_by(ReportEvent.created_at, ReportEvent.id)
            )
            candidates = await session.scalars(
                select(DuplicateCandidate).where(DuplicateCandidate.report_id == report.id)
                .order_by(DuplicateCandidate.distance_m)
            )
            merged = await session.scalars(
                select(Report.tracking_number).where(Report.merged_into_id == report.id).order_by(Report.id)
            )
            summary = _summary(report, self.clock.now())
            return ReportDetail(
                **dict(summary),
                lat=report.lat,
                lon=report.lon,
                location_hint=(report.hint_lat, report.hint_lon) if report.hint_lat is not None else None,
                accepted_at=report.accepted_at,
                resolved_at=report.resolved_at,
                closed_at=report.closed_at,
                acceptance_due_at=report.acceptance_due_at,
                handling_due_at=report.handling_due_at,
                extension_days=report.extension_days,
                reporter=ReporterInfo(
                    anonymous=report.anonymous,
                    channel=report.channel,
                    channel_user_id=None if report.anonymous else report.reporter_channel_id,
                    name=report.reporter_name,
                    phone=report.reporter_phone,
                ),
                photos=[
                    PhotoInfo(
                        n=p.position, filename=p.filename, mime=p.original_mime, width=p.width, height=p.height,
                        size=p.original_size, gps_lat=p.gps_lat, gps_lon=p.gps_lon, taken_at=p.taken_at,
                    )
                    for p in report.photos
                ],
                events=[AuditEvent.model_validate(e) for e in events],
                duplicate_candidates=[
                    DuplicateOut(
                        tracking_number=c.candidate.tracking_number, status=c.candidate.status,
                        distance_m=c.distance_m, created_at=c.candidate.created_at,
                        description=c.candidate.description[:200],
                    )
                    for c in candidates
                ],
                merged_reports=list(merged),
                public_outcome=report.public_outcome,
            )


def _summary(report: Report, now: datetime) -> ReportSummary:
    return ReportSummary(
        tracking_number=report.tracking_number,
        category=CategoryOut.model_validate(report.category),
        status=report.status,
        status_label=status_label(report.status),
        priority=report.priority,
        department=report.department,
        assignee=report.assignee,
        channel=report.channel,
        address=report.address,
        description=report.description,
        created_at=report.created_at,
        due_at=due_at(report.status, report.acceptance_due_at, report.handling_due_at),
        overdue=is_overdue(report.status, report.acceptance_due_at, report.handling_due_at, now),
        photo_count=report.photo_count,
        merged_into=report.merged_into.tracking_number if report.merged_into else None,
        attention=report.attention,
    )


def _view(report: Any, followed: Any, category: CategoryOut, history: list[PublicEvent], lang: str) -> ReporterView:
    """`report` and `followed` (its primary when merged, else itself) are ORM rows or result rows."""
    return ReporterView(
        tracking_number=report.tracking_number,
        category=category,
        description=report.description,
        address=report.address,
        lat=report.lat,
        lon=report.lon,
        status=followed.status,
        status_label=status_label(followed.status, lang),
        created_at=report.created_at,
        due_at=due_at(followed.status, followed.acceptance_due_at, followed.handling_due_at),
        photo_count=report.photo_count,
        merged_into=followed.tracking_number if followed is not report else None,
        history=history,
    )


def _public_event(event: ReportEvent, lang: str) -> PublicEvent:
    return public_event(event.kind, event.to_value, event.public_message, event.created_at, lang)


def public_event(kind: str, to_value: str | None, message: str | None, at: datetime, lang: str) -> PublicEvent:
    status = to_value if kind in ("created", "status") else None
    if kind == "merge":
        status = Status.MERGED.value
    label = status_label(status, lang) if status else None
    if kind == "rating" and to_value:
        label = rating_label(to_value, lang)
    return PublicEvent(at=at, kind=kind, status=status, status_label=label, message=message)


def _status_read() -> Select[Any]:
    """A report by tracking number with its category and public events, one row per event (an
    outer join, so a report without any still comes back). Built once: composing the select is
    a good part of a read's CPU otherwise."""
    department = aliased(Department)
    return (
        select(
            Report.tracking_number, Report.description, Report.address, Report.lat, Report.lon, Report.status,
            Report.created_at, Report.acceptance_due_at, Report.handling_due_at, Report.status_token_hash,
            Report.merged_into_id, Report.category_id, Report.photo_count.label("photo_count"),  # type: ignore[attr-defined]
            Category.code, Category.name_zh, Category.name_en, department.name.label("department_name"),
            ReportEvent.kind, ReportEvent.to_value, ReportEvent.public_message,
            ReportEvent.created_at.label("event_at"),
        )
        .join(Category, Category.id == Report.category_id)
        .outerjoin(department, department.id == Category.department_id)
        .outerjoin(ReportEvent, and_(ReportEvent.report_id == Report.id, ReportEvent.kind.in_(sorted(PUBLIC_KINDS))))
        .where(Report.tracking_number == bindparam("number"))
        .order_by(ReportEvent.created_at, ReportEvent.id)
    )


_STATUS_READ = PreparedStatement(_status_read())


def scope_clause(scope: Scope) -> Any:
    """The SQL form of `Scope.allows`, or None for the whole bureau."""
    if scope.department_ids is None:
        return None
    return Report.department_id.in_(sorted(scope.department_ids))


def _filtered(query: Select[Any], f: ReportFilters, now: datetime, scope: Scope = BUREAU) -> Select[Any]:
    conditions = []
    if (visible := scope_clause(scope)) is not None:
        conditions.append(visible)
    if f.status:
        conditions.append(Report.status.in_(filter_statuses(f.status)))
    if f.category:
        conditions.append(Report.category.has(or_(Category.code == f.category, Category.name_zh == f.category)))
    if f.department:
        conditions.append(Report.department_id.in_(
            select(Department.id).where(Department.name_key == name_key(f.department))))
    if f.assignee:
        conditions.append(Report.assignee == f.assignee)
    if f.priority:
        conditions.append(Report.priority == f.priority)
    if f.created_from:
        conditions.append(Report.created_at >= f.created_from)
    if f.created_to:
        conditions.append(Report.created_at < f.created_to)
    if not f.include_merged:
        conditions.append(Report.merged_into_id.is_(None))
    if f.q:
        pattern = "%" + f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            or_(
                Report.description.ilike(pattern, escape="\\"),
                Report.address.ilike(pattern, escape="\\"),
                Report.tracking_number.ilike(pattern, escape="\\"),
            )
        )
    if f.attention:
        conditions.append(Report.attention.is_not(None))
    if f.overdue is not None:
        late = overdue_clause(now)
        conditions.append(late if f.overdue else ~late)
    return query.where(and_(*conditions)) if conditions else query


_SORTS: dict[str, Any] = {
    "created_at": Report.created_at,
    "tracking_number": Report.tracking_number,
    "status": Report.status,
    # Most urgent first when sorted descending.
    "priority": case({p: i for i, p in enumerate(PRIORITIES)}, value=Report.priority, else_=1),
}


def _sorted(query: Select[Any], sort: str) -> Select[Any]:
    desc = sort.startswith("-")
    key = sort.lstrip("-")
    if key == "due_at":
        column: Any = func.coalesce(Report.handling_due_at, Report.acceptance_due_at)
    else:
        column = _SORTS[key]
    return query.order_by(column.desc() if desc else column.asc(), Report.id.desc() if desc else Report.id.asc())
