"""Companies: the register, the watch and black listings, each company's record and the CSV."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.scope import BUREAU, Scope
from complaints.schemas import MAX_PAGE, Page
from core.clock import Clock
from core.db import Database
from core.errors import Conflict, NotFound, ValidationFailed
from core.kit.bureau_time import BureauTime
from core.kit.csv import csv_text

from ..codes import valid_uscc
from ..listings import ListKind, check_listing, last_day, list_label, parse_kind
from ..models import Company, CompanyEvent, CompanyListing, Project
from ..record import DEFINITION_EN, DEFINITION_ZH, Record, summarize
from ..schemas import (
    CompanyDetail,
    CompanyEventOut,
    CompanyIn,
    CompanyPatch,
    CompanySummary,
    ListingIn,
    ListingOut,
    MonthOut,
    ProjectRole,
    RecordOut,
)
from .common import (
    like,
    page_bounds,
    ROLE_COLUMNS,
    active_listing_clause,
    add_company_event,
    company_row,
    linked_report,
    linked_report_out,
    linked_reports,
    listing_out,
    project_out,
    projects_of_company,
    roles_in,
)

RECENT_REPORTS = 50
CSV_HEADER = ("企业名称", "统一社会信用代码", "地址", "在列名单", "名单到期", "项目数", "关联举报", "查实", "不予受理",
              "未结", "逾期", "逾期占比")


def record_out(record: Record) -> RecordOut:
    return RecordOut(
        linked=record.linked, substantiated=record.substantiated, rejected=record.rejected, open=record.open,
        overdue=record.overdue, overdue_share=record.overdue_share, substantiated_share=record.substantiated_share,
        months=[MonthOut(**vars(m)) for m in record.months], definition_zh=DEFINITION_ZH, definition_en=DEFINITION_EN,
    )


class Companies:
    def __init__(self, db: Database, clock: Clock, bureau: BureauTime):
        self.db = db
        self.clock = clock
        self.bureau = bureau

    async def _unique_uscc(self, session: AsyncSession, uscc: str, company_id: int | None = None) -> None:
        other = await session.scalar(select(Company).where(Company.uscc == uscc))
        if other is not None and other.id != company_id:
            raise Conflict(f"统一社会信用代码 {uscc} 已登记为“{other.name}”", f"Credit code {uscc} is already "
                           f"registered to '{other.name}'", code="uscc_taken", company_id=other.id)

    async def create(self, data: CompanyIn, actor: str) -> CompanySummary:
        uscc = valid_uscc(data.uscc)
        now = self.clock.now()
        async with self.db.write_session() as session:
            await self._unique_uscc(session, uscc)
            company = Company(name=data.name, uscc=uscc, address=data.address, contact=data.contact,
                              created_at=now, updated_at=now)
            session.add(company)
            await session.flush()
            add_company_event(session, company.id, "created", actor, now, to_value=f"{company.name} {uscc}")
            company_id = company.id
        return await self.summary(company_id)

    async def update(self, company_id: int, changes: CompanyPatch, actor: str) -> CompanySummary:
        values = changes.model_dump(exclude_unset=True, exclude_none=True)
        if "uscc" in values:
            values["uscc"] = valid_uscc(values["uscc"])
        now = self.clock.now()
        async with self.db.write_session() as session:
            company = await company_row(session, company_id)
            if "uscc" in values:
                await self._unique_uscc(session, values["uscc"], company_id)
            for name, value in values.items():
                old = getattr(company, name)
                if old != value:
                    setattr(company, name, value)
                    add_company_event(session, company_id, name, actor, now, from_value=old, to_value=value)
            company.updated_at = now
        return await self.summary(company_id)

    async def list(self, q: str | None = None, listed: str | None = None, page: int = 1,
                   per_page: int = 25) -> Page[CompanySummary]:
        page, per_page = page_bounds(page, per_page)
        now = self.clock.now()
        conditions: list[Any] = []
        if q and q.strip():
            conditions.append(or_(like(Company.name, q), like(Company.uscc, q)))
        if listed:
            kinds = [k.value for k in ListKind] if listed == "any" else [parse_kind(listed).value]
            conditions.append(Company.id.in_(select(CompanyListing.company_id).where(
                active_listing_clause(now), CompanyListing.kind.in_(kinds))))
        async with self.db.session() as session:
            total = await session.scalar(select(func.count(Company.id)).where(*conditions)) or 0
            rows = list(await session.scalars(select(Company).where(*conditions).order_by(Company.name, Company.id)
                                              .offset((page - 1) * per_page).limit(per_page)))
            items = await self._summaries(session, rows, now)
        return Page[CompanySummary](items=items, total=total, page=page, per_page=per_page)

    async def _summaries(self, session: AsyncSession, rows: list[Company], now: datetime) -> list[CompanySummary]:
        ids = [c.id for c in rows]
        listings: dict[int, list[ListingOut]] = defaultdict(list)
        for listing in await session.scalars(select(CompanyListing).where(
                CompanyListing.company_id.in_(ids), active_listing_clause(now)).order_by(CompanyListing.id)):
            listings[listing.company_id].append(listing_out(listing, now))
        counts: dict[int, int] = defaultdict(int)
        for role_column in ROLE_COLUMNS.values():
            column = getattr(Project, role_column)
            for company_id, n in await session.execute(
                    select(column, func.count(Project.id)).where(column.in_(ids)).group_by(column)):
                counts[company_id] += n
        return [CompanySummary(id=c.id, name=c.name, uscc=c.uscc, address=c.address, contact=c.contact,
                               listings=listings[c.id], project_count=counts[c.id]) for c in rows]

    async def summary(self, company_id: int) -> CompanySummary:
        async with self.db.session() as session:
            company = await company_row(session, company_id)
            return (await self._summaries(session, [company], self.clock.now()))[0]

    async def detail(self, company_id: int, scope: Scope = BUREAU) -> CompanyDetail:
        """The company's record counts only the reports `scope` may see."""
        now = self.clock.now()
        async with self.db.session() as session:
            company = await company_row(session, company_id)
            summary = (await self._summaries(session, [company], now))[0]
            projects = list(await session.scalars(projects_of_company(company_id)))
            rows = (await session.execute(linked_reports(scope, [p.id for p in projects]))).all()
            history = await session.scalars(select(CompanyListing).where(CompanyListing.company_id == company_id)
                                            .order_by(CompanyListing.created_at.desc(), CompanyListing.id.desc()))
            events = await session.scalars(select(CompanyEvent).where(CompanyEvent.company_id == company_id)
                                           .order_by(CompanyEvent.created_at, CompanyEvent.id))
            return CompanyDetail(
                **dict(summary),
                record=record_out(summarize(map(linked_report, rows), now, self.bureau)),
                projects=[ProjectRole(project=project_out(p), roles=roles_in(p, company_id)) for p in projects],
                reports=[linked_report_out(r, now) for r in rows[:RECENT_REPORTS]],
                listing_history=[listing_out(x, now) for x in history],
                events=[CompanyEventOut.model_validate(e) for e in events],
            )

    # --- watch and black lists ---------------------------------------------------------------------
    async def add_listing(self, company_id: int, data: ListingIn, actor: str) -> ListingOut:
        now = self.clock.now()
        kind = parse_kind(data.kind)
        expires_at = self.bureau.read_local(data.expires_at)
        reason = check_listing(data.reason, expires_at, now)
        async with self.db.write_session() as session:
            await company_row(session, company_id)
            current = await session.scalar(select(CompanyListing).where(
                CompanyListing.company_id == company_id, CompanyListing.kind == kind.value, active_listing_clause(now)))
            if current is not None:
                until = last_day(current.expires_at, self.bureau).isoformat()
                raise Conflict(f"该企业已在{list_label(kind)}中（至 {until}），请先解除再重新列入",
                               f"The company is already on the {list_label(kind, 'en').lower()} (until {until}); "
                               "lift that listing first", code="already_listed", listing_id=current.id)
            listing = CompanyListing(company_id=company_id, kind=kind.value, reason=reason, created_by=actor,
                                     created_at=now, expires_at=expires_at)
            session.add(listing)
            await session.flush()
            add_company_event(session, company_id, "listed", actor, now, to_value=kind.value,
                              note=f"{reason}（至 {last_day(expires_at, self.bureau).isoformat()}）")
            return listing_out(listing, now)

    async def lift_listing(self, company_id: int, listing_id: int, reason: str, actor: str) -> ListingOut:
        reason = (reason or "").strip()
        if not reason:
            raise ValidationFailed("解除名单必须说明理由", "Lifting a listing needs a reason", code="reason_required",
                                   field="reason")
        now = self.clock.now()
        async with self.db.write_session() as session:
            listing = await session.get(CompanyListing, listing_id)
            if listing is None or listing.company_id != company_id:
                raise NotFound(f"找不到编号为 {listing_id} 的名单记录", f"No listing with id {listing_id}",
                               code="listing_not_found")
            if listing.lifted_at is not None or listing.expires_at <= now:
                raise Conflict("该名单记录已解除或已到期", "That listing was already lifted or has expired",
                               code="listing_not_active")
            listing.lifted_at, listing.lifted_by, listing.lift_reason = now, actor, reason
            add_company_event(session, company_id, "lifted", actor, now, from_value=listing.kind, note=reason)
            return listing_out(listing, now)

    # --- CSV -----------------------------------------------------------------------------------------
    async def kind_of_listing(self, company_id: int, listing_id: int) -> str:
        async with self.db.session() as session:
            listing = await session.get(CompanyListing, listing_id)
            if listing is None or listing.company_id != company_id:
                raise NotFound(f"找不到编号为 {listing_id} 的名单记录", f"No listing with id {listing_id}",
                               code="listing_not_found")
            return listing.kind

    async def export_csv(self, scope: Scope = BUREAU) -> str:
        """Every company with its record (the reports `scope` may see), for Excel."""
        now = self.clock.now()
        async with self.db.session() as session:
            companies = list(await session.scalars(select(Company).order_by(Company.name, Company.id)))
            summaries = await self._summaries(session, companies, now)
            projects = list(await session.execute(select(Project.id, Project.builder_id, Project.contractor_id,
                                                         Project.supervisor_id)))
            by_project: dict[int, list[Any]] = defaultdict(list)
            for row in await session.execute(linked_reports(scope)):
                by_project[row.project_id].append(linked_report(row))
        reports_of: dict[int, dict[int, list[Any]]] = defaultdict(dict)
        for project_id, *role_ids in projects:
            for company_id in {c for c in role_ids if c is not None}:
                reports_of[company_id][project_id] = by_project.get(project_id, [])
        rows = []
        for summary in summaries:
            record = summarize((r for rs in reports_of[summary.id].values() for r in rs), now, self.bureau)
            share = f"{record.overdue_share:.1%}" if record.overdue_share is not None else ""
            rows.append((summary.name, summary.uscc, summary.address,
                         "、".join(x.kind_label for x in summary.listings),
                         "、".join(last_day(x.expires_at, self.bureau).isoformat() for x in summary.listings),
                         summary.project_count, record.linked, record.substantiated, record.rejected, record.open,
                         record.overdue, share))
        return csv_text(CSV_HEADER, rows)
