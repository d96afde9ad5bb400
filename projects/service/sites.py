"""Construction projects and the reports staff link to them (with the nearby suggestions)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.scope import BUREAU, Scope
from complaints.models import Report
from complaints.schemas import MAX_PAGE, Page
from complaints.service.records import add_event, report_by_number
from core.clock import Clock
from core.db import Database
from core.errors import Conflict, ValidationFailed

from ..models import Project, ProjectReport
from ..nearby import SUGGEST_RADIUS_M, nearest, search_box
from ..schemas import (
    NearbyProject,
    ProjectDetail,
    ProjectIn,
    ProjectOut,
    ProjectPatch,
    ProjectStatus,
    ReportProject,
    check_point,
    role_label,
)
from .common import (
    ROLE_COLUMNS,
    add_company_event,
    company_row,
    like,
    linked_report_out,
    linked_reports,
    page_bounds,
    project_out,
    project_row,
)


class Sites:
    def __init__(self, db: Database, clock: Clock):
        self.db = db
        self.clock = clock

    async def _unique_permit(self, session: AsyncSession, permit: str | None, project_id: int | None = None) -> None:
        if not permit:
            return
        other = await session.scalar(select(Project).where(Project.permit_number == permit))
        if other is not None and other.id != project_id:
            raise Conflict(f"施工许可证编号 {permit} 已属于项目“{other.name}”", f"Permit {permit} already belongs to "
                           f"project '{other.name}'", code="permit_taken", project_id=other.id)

    async def _set_role(self, session: AsyncSession, project: Project, role: str, company_id: int | None,
                        actor: str) -> None:
        """Change who plays `role`; both companies' audit trails say so."""
        column = ROLE_COLUMNS[role]
        old = getattr(project, column)
        if old == company_id:
            return
        now = self.clock.now()
        if company_id is not None:
            await company_row(session, company_id)  # an unknown company is a 404, not a foreign-key error
            add_company_event(session, company_id, "project_role", actor, now, to_value=project.name,
                              note=role_label(role))
        if old is not None:
            add_company_event(session, old, "project_role_removed", actor, now, from_value=project.name,
                              note=role_label(role))
        setattr(project, column, company_id)

    async def create(self, data: ProjectIn, actor: str) -> ProjectOut:
        now = self.clock.now()
        async with self.db.write_session() as session:
            await self._unique_permit(session, data.permit_number)
            project = Project(name=data.name, address=data.address, lat=data.lat, lon=data.lon,
                              permit_number=data.permit_number, status=data.status.value, created_at=now,
                              updated_at=now)
            session.add(project)
            await session.flush()
            for role in ROLE_COLUMNS:
                await self._set_role(session, project, role, getattr(data, f"{role}_id"), actor)
            project_id = project.id
        return await self.get(project_id)

    async def update(self, project_id: int, changes: ProjectPatch, actor: str) -> ProjectOut:
        values = changes.model_dump(exclude_unset=True)
        async with self.db.write_session() as session:
            project = await project_row(session, project_id)
            for field in ("name", "address", "status"):
                if values.get(field) is not None:
                    setattr(project, field, ProjectStatus(values[field]).value if field == "status" else values[field])
            if "lat" in values or "lon" in values:
                lat, lon = values.get("lat", project.lat), values.get("lon", project.lon)
                check_point(lat, lon)
                project.lat, project.lon = lat, lon
            if "permit_number" in values:
                permit = (values["permit_number"] or "").strip() or None
                await self._unique_permit(session, permit, project_id)
                project.permit_number = permit
            for role in ROLE_COLUMNS:
                if f"{role}_id" in values:
                    await self._set_role(session, project, role, values[f"{role}_id"], actor)
            project.updated_at = self.clock.now()
        return await self.get(project_id)

    async def get(self, project_id: int) -> ProjectOut:
        async with self.db.session() as session:
            return project_out(await project_row(session, project_id))

    async def detail(self, project_id: int, scope: Scope = BUREAU) -> ProjectDetail:
        now = self.clock.now()
        async with self.db.session() as session:
            project = await project_row(session, project_id)
            rows = (await session.execute(linked_reports(scope, [project_id]).limit(200))).all()
            return ProjectDetail(**dict(project_out(project)), reports=[linked_report_out(r, now) for r in rows])

    async def list(self, q: str | None = None, status: str | None = None, company_id: int | None = None,
                   page: int = 1, per_page: int = 25) -> Page[ProjectOut]:
        page, per_page = page_bounds(page, per_page)
        conditions: list[Any] = []
        if q and q.strip():
            conditions.append(or_(like(Project.name, q), like(Project.address, q), like(Project.permit_number, q)))
        if status:
            conditions.append(Project.status == ProjectStatus(status).value)
        if company_id is not None:
            conditions.append(or_(*(getattr(Project, c) == company_id for c in ROLE_COLUMNS.values())))
        async with self.db.session() as session:
            total = await session.scalar(select(func.count(Project.id)).where(*conditions)) or 0
            rows = await session.scalars(select(Project).where(*conditions).order_by(Project.name, Project.id)
                                         .offset((page - 1) * per_page).limit(per_page))
            return Page[ProjectOut](items=[project_out(p) for p in rows], total=total, page=page, per_page=per_page)

    # --- reports linked to projects ------------------------------------------------------------------
    async def for_report(self, tracking_number: str, scope: Scope = BUREAU) -> ReportProject:
        """The report's project and the projects within 300 m of its point (another department's
        report is a 404, as everywhere)."""
        async with self.db.session() as session:
            report = await report_by_number(session, tracking_number, scope=scope)
            return await self._for_report(session, report)

    async def _for_report(self, session: AsyncSession, report: Report) -> ReportProject:
        link = await session.get(ProjectReport, report.id)
        project = await session.get(Project, link.project_id) if link else None
        point_from, lat, lon = None, None, None
        if report.lat is not None and report.lon is not None:
            point_from, lat, lon = "report", report.lat, report.lon
        elif report.hint_lat is not None and report.hint_lon is not None:
            point_from, lat, lon = "photo", report.hint_lat, report.hint_lon
        suggestions: list[NearbyProject] = []
        if lat is not None and lon is not None:
            min_lat, max_lat, min_lon, max_lon = search_box(lat, lon, SUGGEST_RADIUS_M)
            candidates = await session.scalars(select(Project).where(
                Project.lat.between(min_lat, max_lat), Project.lon.between(min_lon, max_lon)))
            suggestions = [NearbyProject(project=project_out(n.item), distance_m=round(n.distance_m, 1))
                           for n in nearest(lat, lon, ((p, p.lat, p.lon) for p in candidates))]
        return ReportProject(tracking_number=report.tracking_number,
                             project=project_out(project) if project else None,
                             linked_by=link.linked_by if link else None, linked_at=link.linked_at if link else None,
                             suggestions=suggestions, point_from=point_from)

    async def link(self, tracking_number: str, project_id: int, actor: str, scope: Scope = BUREAU) -> ReportProject:
        now = self.clock.now()
        async with self.db.write_session() as session:
            report = await report_by_number(session, tracking_number, scope=scope)
            project = await project_row(session, project_id)
            link = await session.get(ProjectReport, report.id)
            if link is not None and link.project_id == project_id:
                return await self._for_report(session, report)
            old = await session.get(Project, link.project_id) if link else None
            if link is None:
                session.add(ProjectReport(report_id=report.id, project_id=project_id, linked_by=actor, linked_at=now))
            else:
                link.project_id, link.linked_by, link.linked_at = project_id, actor, now
            add_event(session, report, "project", actor, now, from_value=old.name if old else None,
                      to_value=project.name)
            await session.flush()
            return await self._for_report(session, report)

    async def unlink(self, tracking_number: str, actor: str, scope: Scope = BUREAU) -> ReportProject:
        now = self.clock.now()
        async with self.db.write_session() as session:
            report = await report_by_number(session, tracking_number, scope=scope)
            link = await session.get(ProjectReport, report.id)
            if link is not None:
                project = await session.get(Project, link.project_id)
                await session.delete(link)
                add_event(session, report, "project", actor, now, from_value=project.name if project else None)
                await session.flush()
            return await self._for_report(session, report)
