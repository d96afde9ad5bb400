"""The complaints tracker: submission, the reporter's view, and staff triage.

All rules live here; the API and the bot only translate to and from their own formats.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core import outbox
from core.clock import SHANGHAI, Clock
from core.db import Database
from core.errors import NotFound, ValidationFailed
from core.ids import new_token, token_hash, token_matches

from . import custody
from .categories import ensure_categories
from .deadlines import DeadlinePolicy, due_at, is_overdue
from .geo import bounding_box, haversine_m
from .models import Category, DuplicateCandidate, Photo, Report, ReportEvent, TrackingCounter
from .photos import PhotoLimits, ProcessedPhoto, process_photo
from .schemas import (
    AuditEvent,
    CategoryOut,
    DuplicateOut,
    Page,
    PhotoInfo,
    PhotoUpload,
    PublicEvent,
    ReportDetail,
    ReporterInfo,
    ReporterView,
    ReportFilters,
    ReportInput,
    ReportSummary,
    SubmitResult,
    TriageUpdate,
)
from .stats import Dashboard, dashboard, to_csv
from .storage import PhotoStore
from .workflow import HANDLING_STATUSES, OPEN_STATUSES, PRIORITIES, Status, check_transition, status_label

REPORTER = "reporter"
SYSTEM = "system"
# Event kinds the reporter sees in their history.
PUBLIC_KINDS = frozenset({"created", "status", "reply", "merge", "extension"})
EXPORT_LIMIT = 50_000
# A busy site can draw many reports; staff need the nearest recent ones, not all of them.
MAX_DUPLICATE_CANDIDATES = 50
# Channels that can push a message back to the reporter (through the outbox).
PUSH_CHANNELS = frozenset({"telegram"})


@dataclass(frozen=True)
class ComplaintPolicy:
    deadlines: DeadlinePolicy
    photo_limits: PhotoLimits
    max_photos: int
    duplicate_radius_m: float
    duplicate_window_days: int
    category_departments: dict[str, str]

    @classmethod
    def from_settings(cls, settings: Any) -> ComplaintPolicy:
        return cls(
            deadlines=DeadlinePolicy.from_settings(settings),
            photo_limits=PhotoLimits.from_settings(settings),
            max_photos=settings.max_photos_per_report,
            duplicate_radius_m=settings.duplicate_radius_m,
            duplicate_window_days=settings.duplicate_window_days,
            category_departments=dict(settings.category_departments),
        )


class ComplaintService:
    def __init__(self, db: Database, store: PhotoStore, policy: ComplaintPolicy, clock: Clock):
        self.db = db
        self.store = store
        self.policy = policy
        self.clock = clock
        # Active categories by code and by Chinese name. They change rarely (seeding, settings at
        # start-up), and every submission needs one, so they are read once and again on a miss.
        self._category_cache: dict[str, CategoryOut] = {}

    # --- set-up ------------------------------------------------------------------------------
    async def ensure_seed_data(self) -> None:
        async with self.db.write_session() as session:
            await ensure_categories(session, self.policy.category_departments)
        self._category_cache = {}

    async def categories(self) -> list[CategoryOut]:
        if not self._category_cache:
            await self._load_categories()
        return list({c.code: c for c in self._category_cache.values()}.values())

    async def _load_categories(self) -> None:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(Category).where(Category.active.is_(True)).order_by(Category.sort_order, Category.id)
            )
            categories = [CategoryOut.model_validate(c) for c in rows]
        cache: dict[str, CategoryOut] = {}
        for category in categories:
            cache[category.code] = cache[category.name_zh] = category
        self._category_cache = cache

    async def _category_ref(self, value: str) -> CategoryOut:
        """The active category with this code or Chinese name, else a clear error listing them."""
        value = value.strip()
        if value not in self._category_cache:
            await self._load_categories()
        category = self._category_cache.get(value)
        if category is None:
            names = "、".join(c.name_zh for c in await self.categories())
            raise ValidationFailed(
                f"未知的举报类别“{value}”。可选类别：{names}",
                f"Unknown category '{value}'. See GET /api/v1/categories for the list",
                code="unknown_category",
            )
        return category

    # --- submission --------------------------------------------------------------------------
    async def submit(self, data: ReportInput, photos: Sequence[PhotoUpload | ProcessedPhoto] = ()) -> SubmitResult:
        """Store a report and its photos as one unit: on any failure nothing half-written remains.

        Photos are raw uploads, or ones a channel already ran through `process_photo` when they
        arrived (the bot checks each photo as it comes, so it is not decoded twice)."""
        if len(photos) > self.policy.max_photos:
            raise ValidationFailed(
                f"每份举报最多上传 {self.policy.max_photos} 张照片，本次收到 {len(photos)} 张",
                f"At most {self.policy.max_photos} photos per report; got {len(photos)}",
                code="too_many_photos",
            )
        category = await self._category_ref(data.category)
        # One photo at a time: a request holds at most one decoded image (see PhotoDecoder).
        processed = [await self._processed(p) for p in photos]
        created_keys: list[str] = []
        try:
            blobs = [b for p in processed for b in await asyncio.to_thread(self._store_photo, p, created_keys)]
            stored = [(blobs[i].key, blobs[i + 1].key) for i in range(0, len(blobs), 2)]
            token = new_token()
            async with self.db.write_session() as session:
                # Locks the photos' keys and puts back any that a failed twin deleted meanwhile.
                await custody.hold(session, self.store, blobs)
                report = await self._insert_report(session, data, category, processed, stored, token)
                candidates = await self._record_duplicates(session, report)
            return SubmitResult(
                tracking_number=report.tracking_number,
                status=report.status,
                status_token=token,
                acceptance_due_at=report.acceptance_due_at,
                photo_count=len(processed),
                duplicate_candidates=candidates,
            )
        except BaseException:
            # Files this submission created, unless a committed report uses the same bytes.
            await asyncio.shield(custody.discard_unreferenced(self.db, self.store, created_keys))
            raise

    async def _processed(self, photo: PhotoUpload | ProcessedPhoto) -> ProcessedPhoto:
        if isinstance(photo, ProcessedPhoto):
            return photo
        return await asyncio.to_thread(process_photo, photo.data, self.policy.photo_limits, photo.filename)

    def _store_photo(self, photo: ProcessedPhoto, created: list[str]) -> list[custody.PhotoBlob]:
        original = self.store.put(photo.original, visibility="private", ext=photo.original_format)
        if original.created:
            created.append(original.key)
        public = self.store.put(photo.public, visibility="public", ext="jpg")
        if public.created:
            created.append(public.key)
        return [
            custody.PhotoBlob(original.key, photo.original, "private", photo.original_format),
            custody.PhotoBlob(public.key, photo.public, "public", "jpg"),
        ]

    async def _insert_report(
        self,
        session: AsyncSession,
        data: ReportInput,
        category: CategoryOut,
        processed: Sequence[ProcessedPhoto],
        stored: Sequence[tuple[str, str]],
        token: str,
    ) -> Report:
        now = self.clock.now()
        number = await self._next_tracking_number(session, now)
        hint = next((p.gps for p in processed if p.gps), None) if data.lat is None else None
        anonymous = data.anonymous
        report = Report(
            tracking_number=number,
            category_id=category.id,
            description=data.description,
            address=data.address,
            lat=data.lat,
            lon=data.lon,
            hint_lat=hint[0] if hint else None,
            hint_lon=hint[1] if hint else None,
            channel=data.channel.value,
            reporter_channel_id=data.reporter_channel_id,
            reporter_name=None if anonymous else data.contact_name,
            reporter_phone=None if anonymous else data.contact_phone,
            anonymous=anonymous,
            language="en" if data.language.startswith("en") else "zh",
            status=Status.SUBMITTED.value,
            priority="normal",
            department=category.default_department,
            status_token_hash=token_hash(token),
            created_at=now,
            updated_at=now,
            acceptance_due_at=self.policy.deadlines.acceptance_due(now),
            extension_days=0,
        )
        report.photos = []
        for position, (photo, (original_key, public_key)) in enumerate(zip(processed, stored, strict=True)):
            report.photos.append(
                Photo(
                    position=position + 1,
                    filename=photo.filename,
                    original_key=original_key,
                    original_mime=photo.original_mime,
                    original_sha256=photo.original_sha256,
                    original_size=len(photo.original),
                    public_key=public_key,
                    width=photo.width,
                    height=photo.height,
                    gps_lat=photo.gps[0] if photo.gps else None,
                    gps_lon=photo.gps[1] if photo.gps else None,
                    taken_at=photo.taken_at,
                    created_at=now,
                )
            )
        session.add(report)
        await session.flush()
        self._event(session, report, "created", REPORTER, to_value=Status.SUBMITTED.value)
        return report

    async def _next_tracking_number(self, session: AsyncSession, now: datetime) -> str:
        """YYYY-NNNNNN, sequential per (Shanghai) year. The upsert is atomic on both backends:
        PostgreSQL locks the counter row until commit, SQLite holds the write lock."""
        year = now.astimezone(SHANGHAI).year
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        stmt = (
            insert(TrackingCounter)
            .values(year=year, last=1)
            .on_conflict_do_update(index_elements=[TrackingCounter.year], set_={"last": TrackingCounter.last + 1})
            .returning(TrackingCounter.last)
        )
        last = (await session.execute(stmt)).scalar_one()
        return f"{year}-{last:06d}"

    async def _record_duplicates(self, session: AsyncSession, report: Report) -> int:
        """Earlier open reports of the same category nearby and recent become candidates."""
        if report.lat is None or report.lon is None:
            return 0
        radius = self.policy.duplicate_radius_m
        min_lat, max_lat, min_lon, max_lon = bounding_box(report.lat, report.lon, radius)
        since = report.created_at - timedelta(days=self.policy.duplicate_window_days)
        rows = await session.scalars(
            select(Report).where(
                Report.category_id == report.category_id,
                Report.id != report.id,
                Report.created_at >= since,
                Report.status.in_([s.value for s in OPEN_STATUSES]),
                Report.merged_into_id.is_(None),
                Report.lat.between(min_lat, max_lat),
                Report.lon.between(min_lon, max_lon),
            )
            .order_by(Report.created_at.desc())
            .limit(MAX_DUPLICATE_CANDIDATES)
        )
        count = 0
        for other in rows:
            distance = haversine_m(report.lat, report.lon, other.lat, other.lon)  # type: ignore[arg-type]
            if distance <= radius:
                session.add(
                    DuplicateCandidate(
                        report_id=report.id, candidate_id=other.id, distance_m=round(distance, 1),
                        created_at=report.created_at,
                    )
                )
                count += 1
        return count

    # --- the reporter's side -----------------------------------------------------------------
    async def reporter_view(self, tracking_number: str, token: str, lang: str = "zh") -> ReporterView:
        async with self.db.session() as session:
            report = await self._report_for_token(session, tracking_number, token)
            return await self._reporter_view(session, report, lang)

    async def _report_for_token(
        self, session: AsyncSession, tracking_number: str, token: str, with_photos: bool = False
    ) -> Report:
        report = await self._report_or_none(session, tracking_number, with_photos)
        # The same answer for an unknown number and a wrong token: numbers are sequential,
        # so telling them apart would let anyone probe which reports exist.
        if report is None or not token_matches(token, report.status_token_hash):
            raise NotFound(
                "找不到该举报，或查询码不正确",
                "No report with that tracking number and token",
                code="report_not_found",
            )
        return report

    async def reporter_view_for_channel_user(
        self, tracking_number: str, channel: str, channel_user_id: str, lang: str = "zh"
    ) -> ReporterView:
        async with self.db.session() as session:
            report = await self._report_or_none(session, tracking_number)
            if report is None or report.channel != channel or report.reporter_channel_id != channel_user_id:
                raise NotFound(
                    "找不到您提交的这份举报", "You have no report with that tracking number", code="report_not_found"
                )
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
        return ReporterView(
            tracking_number=report.tracking_number,
            category=CategoryOut.model_validate(report.category),
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

    async def public_photo(self, tracking_number: str, n: int, token: str | None) -> tuple[str, str]:
        """(storage key, mime) of a report's EXIF-free public copy; token required unless None
        is passed by a caller that has already authorised staff access."""
        return await self._photo(tracking_number, n, token, public=True)

    async def original_photo(self, tracking_number: str, n: int) -> tuple[str, str]:
        """Staff only: the original upload, EXIF and all."""
        return await self._photo(tracking_number, n, None, public=False)

    async def _photo(self, tracking_number: str, n: int, token: str | None, public: bool) -> tuple[str, str]:
        async with self.db.session() as session:
            if token is None:  # staff, already authorised
                report = await self._report(session, tracking_number, with_photos=True)
            else:
                report = await self._report_for_token(session, tracking_number, token, with_photos=True)
            photo = next((p for p in report.photos if p.position == n), None)
            if photo is None:
                raise NotFound(f"该举报没有第 {n} 张照片", f"The report has no photo number {n}",
                               code="photo_not_found")
            return (photo.public_key, "image/jpeg") if public else (photo.original_key, photo.original_mime)

    # --- staff: reading ----------------------------------------------------------------------
    async def search(self, filters: ReportFilters, page: int = 1, per_page: int = 25) -> Page[ReportSummary]:
        page, per_page = max(page, 1), min(max(per_page, 1), 200)
        now = self.clock.now()
        query = self._filtered(select(Report), filters, now)
        async with self.db.session() as session:
            total = await session.scalar(
                self._filtered(select(func.count(Report.id)), filters, now)
            )
            rows = await session.scalars(
                _sorted(query, filters.sort).offset((page - 1) * per_page).limit(per_page)
            )
            items = [self._summary(r, now) for r in rows]
        return Page[ReportSummary](items=items, total=total or 0, page=page, per_page=per_page)

    async def dashboard(self) -> Dashboard:
        async with self.db.session() as session:
            return await dashboard(session, self.clock.now(), _overdue_clause(self.clock.now()))

    async def export_csv(self, filters: ReportFilters, limit: int = EXPORT_LIMIT) -> str:
        """Every report matching the filters (up to `limit`), as CSV for Excel."""
        now = self.clock.now()
        query = _sorted(self._filtered(select(Report), filters, now), filters.sort).limit(limit)
        async with self.db.session() as session:
            rows = [self._summary(r, now) for r in await session.scalars(query)]
        return to_csv(rows)

    async def overdue(self, limit: int = 500) -> list[ReportSummary]:
        result = await self.search(ReportFilters(overdue=True, sort="due_at"), per_page=min(limit, 200))
        return result.items

    def _filtered(self, query: Select[Any], f: ReportFilters, now: datetime) -> Select[Any]:
        conditions = []
        if f.status:
            conditions.append(Report.status.in_(f.status))
        if f.category:
            conditions.append(Report.category.has(or_(Category.code == f.category, Category.name_zh == f.category)))
        if f.department:
            conditions.append(Report.department == f.department)
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
        if f.overdue is not None:
            late = _overdue_clause(now)
            conditions.append(late if f.overdue else ~late)
        return query.where(and_(*conditions)) if conditions else query

    async def detail(self, tracking_number: str) -> ReportDetail:
        async with self.db.session() as session:
            report = await self._report(session, tracking_number, with_photos=True)
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
            now = self.clock.now()
            summary = self._summary(report, now)
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
            )

    def _summary(self, report: Report, now: datetime) -> ReportSummary:
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
        )

    # --- staff: changing ---------------------------------------------------------------------
    async def transition(
        self, tracking_number: str, actor: str, to: str, note: str | None = None, public_message: str | None = None
    ) -> ReportDetail:
        async with self.db.write_session() as session:
            report = await self._report(session, tracking_number)
            if report.status == Status.MERGED:
                raise ValidationFailed(
                    f"该举报已合并到 {report.merged_into.tracking_number if report.merged_into else ''}，请在主举报上操作",
                    "This report was merged into another; act on the primary report",
                    code="report_merged",
                )
            target = check_transition(report.status, to)
            public_message = (public_message or "").strip() or None
            if target is Status.REJECTED and not public_message:
                raise ValidationFailed(
                    "不予受理时必须告知举报人理由（public_message）",
                    "Rejecting a report needs a reason for the reporter (public_message)",
                    code="reason_required",
                )
            if target is Status.ASSIGNED and not report.department:
                raise ValidationFailed(
                    "交办前请先设置承办部门", "Set a department before assigning the report", code="department_required"
                )
            now = self.clock.now()
            previous = report.status
            report.status = target.value
            report.updated_at = now
            if target is Status.ACCEPTED:
                report.accepted_at = now
                report.handling_due_at = self.policy.deadlines.handling_due(now, report.extension_days)
            elif target is Status.RESOLVED:
                report.resolved_at = now
            elif target is Status.CLOSED:
                report.closed_at = now
            self._event(session, report, "status", actor, previous, target.value, note, public_message)
            await self._notify(session, report, "status", public_message, now)
        return await self.detail(tracking_number)

    async def update_triage(self, tracking_number: str, actor: str, changes: TriageUpdate) -> ReportDetail:
        async with self.db.write_session() as session:
            report = await self._report(session, tracking_number)
            now = self.clock.now()
            changed = False
            if changes.category is not None:
                category = await self._category(changes.category, session)
                if category.id != report.category_id:
                    old = report.category
                    self._event(session, report, "category", actor, old.code, category.code, changes.note)
                    # Follow the new category's default department unless staff chose one by hand.
                    if changes.department is None and report.department == old.default_department:
                        changes = changes.model_copy(update={"department": category.default_department})
                    report.category_id, report.category = category.id, category
                    changed = True
            for field in ("department", "priority", "assignee"):
                value = getattr(changes, field)
                if value is None:
                    continue
                value = value or None  # "" clears department / assignee (TriageUpdate checked priority)
                if getattr(report, field) != value:
                    self._event(session, report, field, actor, getattr(report, field), value, changes.note)
                    setattr(report, field, value)
                    changed = True
            if not changed and changes.note:
                self._event(session, report, "note", actor, note=changes.note)
            report.updated_at = now
        return await self.detail(tracking_number)

    async def add_note(self, tracking_number: str, actor: str, text: str, public: bool = False) -> ReportDetail:
        text = (text or "").strip()
        if not text:
            raise ValidationFailed("内容不能为空", "The text must not be empty", code="empty_note")
        async with self.db.write_session() as session:
            report = await self._report(session, tracking_number)
            now = self.clock.now()
            if public:
                self._event(session, report, "reply", actor, public_message=text)
                await self._notify(session, report, "reply", text, now)
            else:
                self._event(session, report, "note", actor, note=text)
            report.updated_at = now
        return await self.detail(tracking_number)

    async def extend_deadline(self, tracking_number: str, actor: str, days: int, reason: str) -> ReportDetail:
        async with self.db.write_session() as session:
            report = await self._report(session, tracking_number)
            self.policy.deadlines.check_extension(report.status, report.extension_days, days, reason)
            now = self.clock.now()
            old_due = report.handling_due_at
            report.extension_days += days
            report.handling_due_at = self.policy.deadlines.handling_due(report.accepted_at, report.extension_days)  # type: ignore[arg-type]
            report.updated_at = now
            reason = reason.strip()
            self._event(
                session, report, "extension", actor,
                old_due.isoformat() if old_due else None, report.handling_due_at.isoformat(), reason, reason,
            )
            await self._notify(session, report, "extension", reason, now)
        return await self.detail(tracking_number)

    async def merge(self, duplicate_number: str, primary_number: str, actor: str, note: str | None = None) -> ReportDetail:
        """Fold a duplicate into a primary report; the duplicate's reporter then follows the primary."""
        if duplicate_number == primary_number:
            raise ValidationFailed("不能把举报合并到它自己", "A report cannot be merged into itself", code="merge_self")
        async with self.db.write_session() as session:
            duplicate = await self._report(session, duplicate_number)
            primary = await self._report(session, primary_number)
            if duplicate.merged_into_id is not None:
                raise ValidationFailed("该举报已经合并过", "This report is already merged", code="already_merged")
            if primary.merged_into_id is not None:
                raise ValidationFailed(
                    f"目标举报已合并到 {primary.merged_into.tracking_number if primary.merged_into else ''}，请合并到最终的主举报",
                    "The target was itself merged; merge into its primary report instead",
                    code="target_merged",
                )
            if Status(duplicate.status) not in OPEN_STATUSES or Status(primary.status) in (Status.REJECTED,):
                raise ValidationFailed(
                    "只能合并仍在办理中的举报，且主举报不能是不予受理状态",
                    "Only open reports can be merged, and not into a rejected report",
                    code="merge_not_allowed",
                )
            now = self.clock.now()
            # Reports already merged into the duplicate move to the primary: no chains.
            for child in await session.scalars(select(Report).where(Report.merged_into_id == duplicate.id)):
                child.merged_into_id = primary.id
            previous = duplicate.status
            duplicate.status = Status.MERGED.value
            duplicate.merged_into_id = primary.id
            duplicate.merged_into = primary
            duplicate.updated_at = now
            self._event(session, duplicate, "merge", actor, previous, primary.tracking_number, note)
            self._event(session, primary, "merged_in", actor, None, duplicate.tracking_number, note)
            await self._notify_one(session, duplicate, primary, "merge", None, now)
        return await self.detail(primary_number)

    # --- helpers -----------------------------------------------------------------------------
    async def _category(self, value: str, session: AsyncSession) -> Category:
        ref = await self._category_ref(value)
        category = await session.scalar(select(Category).where(Category.code == ref.code))
        assert category is not None  # the cache only holds rows that exist
        return category

    async def _report_or_none(
        self, session: AsyncSession, tracking_number: str, with_photos: bool = False
    ) -> Report | None:
        query = select(Report).where(Report.tracking_number == tracking_number.strip())
        if with_photos:
            query = query.options(selectinload(Report.photos))
        return await session.scalar(query)

    async def _report(self, session: AsyncSession, tracking_number: str, with_photos: bool = False) -> Report:
        report = await self._report_or_none(session, tracking_number, with_photos)
        if report is None:
            raise NotFound(
                f"找不到编号为 {tracking_number} 的举报",
                f"No report with tracking number {tracking_number}",
                code="report_not_found",
            )
        return report

    def _event(
        self,
        session: AsyncSession,
        report: Report,
        kind: str,
        actor: str,
        from_value: str | None = None,
        to_value: str | None = None,
        note: str | None = None,
        public_message: str | None = None,
    ) -> None:
        session.add(
            ReportEvent(
                report_id=report.id, kind=kind, actor=actor, from_value=from_value, to_value=to_value,
                note=note, public_message=public_message, created_at=self.clock.now(),
            )
        )

    async def _notify(
        self, session: AsyncSession, report: Report, event: str, message: str | None, now: datetime
    ) -> None:
        """Tell the reporter, and the reporters of duplicates merged into this report."""
        await self._notify_one(session, report, report, event, message, now)
        for child in await session.scalars(select(Report).where(Report.merged_into_id == report.id)):
            await self._notify_one(session, child, report, event, message, now)

    async def _notify_one(
        self, session: AsyncSession, recipient_report: Report, primary: Report, event: str,
        message: str | None, now: datetime,
    ) -> None:
        if recipient_report.channel not in PUSH_CHANNELS or not recipient_report.reporter_channel_id:
            return
        outbox.enqueue(
            session,
            channel=recipient_report.channel,
            recipient=recipient_report.reporter_channel_id,
            kind="report_update",
            payload={
                "event": event,
                "tracking_number": recipient_report.tracking_number,
                "primary_tracking_number": primary.tracking_number,
                "status": primary.status,
                "message": message,
                "language": recipient_report.language,
            },
            now=now,
        )


def _public_event(event: ReportEvent, lang: str) -> PublicEvent:
    status = event.to_value if event.kind in ("created", "status") else None
    if event.kind == "merge":
        status = Status.MERGED.value
    return PublicEvent(
        at=event.created_at,
        kind=event.kind,
        status=status,
        status_label=status_label(status, lang) if status else None,
        message=event.public_message,
    )


def _overdue_clause(now: datetime) -> Any:
    return or_(
        and_(Report.status == Status.SUBMITTED.value, Report.acceptance_due_at < now),
        and_(Report.status.in_([s.value for s in HANDLING_STATUSES]), Report.handling_due_at < now),
    )


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
