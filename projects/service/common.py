"""What the projects service's jobs share: rows by id, row -> schema, the linked-reports query."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.scope import Scope
from complaints.deadlines import is_overdue
from complaints.models import Category, Report, ReportEvent
from complaints.service.queries import scope_clause
from complaints.workflow import Status, status_label
from core.errors import NotFound, ValidationFailed
from complaints.schemas import MAX_PAGE

from ..listings import is_active, list_label
from ..models import Company, CompanyEvent, CompanyListing, Project, ProjectReport
from ..record import LinkedReport
from ..schemas import CompanyRef, LinkedReportOut, ListingOut, ProjectOut, project_status_label

def page_bounds(page: int, per_page: int) -> tuple[int, int]:
    """The page and page size clamped as every staff list does, deeper than MAX_PAGE refused."""
    page, per_page = max(page, 1), min(max(per_page, 1), 200)
    if page > MAX_PAGE:
        raise ValidationFailed(f"页码不能超过 {MAX_PAGE}", f"page must be at most {MAX_PAGE}", code="page_out_of_range")
    return page, per_page


def like(column: Any, q: str) -> Any:
    """`column` contains the text `q` (LIKE wildcards in it taken literally), case-insensitively."""
    pattern = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return column.ilike(pattern, escape="\\")


ROLE_COLUMNS = {"builder": "builder_id", "contractor": "contractor_id", "supervisor": "supervisor_id"}


async def company_row(session: AsyncSession, company_id: int) -> Company:
    company = await session.get(Company, company_id)
    if company is None:
        raise NotFound(f"找不到编号为 {company_id} 的企业", f"No company with id {company_id}", code="company_not_found")
    return company


async def project_row(session: AsyncSession, project_id: int) -> Project:
    project = await session.get(Project, project_id)
    if project is None:
        raise NotFound(f"找不到编号为 {project_id} 的项目", f"No project with id {project_id}", code="project_not_found")
    return project


def company_ref(company: Company | None) -> CompanyRef | None:
    return CompanyRef.model_validate(company) if company is not None else None


def project_out(project: Project) -> ProjectOut:
    return ProjectOut(
        id=project.id, name=project.name, address=project.address, lat=project.lat, lon=project.lon,
        permit_number=project.permit_number, status=project.status, status_label=project_status_label(project.status),
        builder=company_ref(project.builder), contractor=company_ref(project.contractor),
        supervisor=company_ref(project.supervisor),
    )


def listing_out(listing: CompanyListing, now: datetime) -> ListingOut:
    return ListingOut(
        id=listing.id, kind=listing.kind, kind_label=list_label(listing.kind), reason=listing.reason,
        created_by=listing.created_by, created_at=listing.created_at, expires_at=listing.expires_at,
        lifted_at=listing.lifted_at, lifted_by=listing.lifted_by, lift_reason=listing.lift_reason,
        active=is_active(listing.expires_at, listing.lifted_at, now),
    )


def active_listing_clause(now: datetime) -> Any:
    """SQL for `listings.is_active`."""
    return (CompanyListing.lifted_at.is_(None)) & (CompanyListing.expires_at > now)


def add_company_event(session: AsyncSession, company_id: int, kind: str, actor: str, now: datetime,
                      from_value: str | None = None, to_value: str | None = None, note: str | None = None) -> None:
    session.add(CompanyEvent(company_id=company_id, kind=kind, actor=actor, from_value=_cut(from_value),
                             to_value=_cut(to_value), note=note, created_at=now))


def _cut(value: str | None) -> str | None:
    return value[:200] if value is not None else None


def projects_of_company(company_id: int) -> Select[Any]:
    return select(Project).where(
        (Project.builder_id == company_id) | (Project.contractor_id == company_id) | (Project.supervisor_id == company_id)
    ).order_by(Project.name, Project.id)


def roles_in(project: Project, company_id: int) -> list[str]:
    return [role for role, column in ROLE_COLUMNS.items() if getattr(project, column) == company_id]


def linked_reports(scope: Scope, project_ids: Any = None) -> Select[Any]:
    """Reports linked to projects (all, or those whose id is in `project_ids`) that `scope` may see,
    without merged duplicates, with the moment each was rejected (from its audit trail)."""
    rejected = (
        select(ReportEvent.report_id.label("report_id"), func.max(ReportEvent.created_at).label("at"))
        .where(ReportEvent.kind == "status", ReportEvent.to_value == Status.REJECTED.value)
        .group_by(ReportEvent.report_id).subquery()
    )
    query = (
        select(ProjectReport.project_id, Project.name.label("project_name"), Report.tracking_number, Report.status,
               Report.created_at, Report.acceptance_due_at, Report.handling_due_at, Report.resolved_at,
               rejected.c.at.label("rejected_at"), Category.name_zh.label("category"),
               Category.name_en.label("category_en"))
        .join(Report, Report.id == ProjectReport.report_id)
        .join(Project, Project.id == ProjectReport.project_id)
        .join(Category, Category.id == Report.category_id)
        .outerjoin(rejected, rejected.c.report_id == Report.id)
        .where(Report.merged_into_id.is_(None))
        .order_by(Report.created_at.desc(), Report.id.desc())
    )
    if (visible := scope_clause(scope)) is not None:
        query = query.where(visible)
    if project_ids is not None:
        query = query.where(ProjectReport.project_id.in_(project_ids))
    return query


def linked_report(row: Any) -> LinkedReport:
    return LinkedReport(status=row.status, created_at=row.created_at, acceptance_due_at=row.acceptance_due_at,
                        handling_due_at=row.handling_due_at, resolved_at=row.resolved_at, rejected_at=row.rejected_at)


def linked_report_out(row: Any, now: datetime) -> LinkedReportOut:
    return LinkedReportOut(
        tracking_number=row.tracking_number, status=row.status, status_label=status_label(row.status),
        category=row.category, category_en=row.category_en, created_at=row.created_at, project_id=row.project_id, project_name=row.project_name,
        overdue=is_overdue(row.status, row.acceptance_due_at, row.handling_due_at, now),
    )
