"""Staff API for construction projects and companies (信用评价, 红黑名单) and the report-project link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from complaints.schemas import MAX_PAGE, Page
from projects.listings import check_role
from projects.schemas import (
    CompanyDetail,
    CompanyIn,
    CompanyPatch,
    CompanySummary,
    LiftIn,
    LinkIn,
    ListingIn,
    ListingOut,
    ProjectDetail,
    ProjectIn,
    ProjectOut,
    ProjectPatch,
    ReportProject,
)

from ..deps import RowId, ServicesDep, Triager, Viewer
from ..errors import BASE_ERRORS, STAFF_ERRORS, error_responses
from ..web.downloads import csv_download

router = APIRouter(prefix="/api/v1/staff", tags=["staff: projects"],
                   responses=error_responses(*BASE_ERRORS, *STAFF_ERRORS))

PageNo = Annotated[int, Query(ge=1, le=MAX_PAGE)]
PerPage = Annotated[int, Query(ge=1, le=200)]


# --- companies -----------------------------------------------------------------------------------
@router.get("/companies", response_model=Page[CompanySummary])
async def list_companies(
    services: ServicesDep, _: Viewer,
    q: Annotated[str | None, Query(max_length=200)] = None,
    listed: Annotated[str | None, Query(pattern=r"^(watch|black|any)$")] = None,
    page: PageNo = 1, per_page: PerPage = 25,
) -> Page[CompanySummary]:
    return await services.projects.list_companies(q, listed, page, per_page)


@router.get("/companies.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with BOM, Excel-safe"}})
async def companies_csv(services: ServicesDep, staff: Viewer) -> Response:
    """Every company with its record; a scoped account's figures count only its departments' reports."""
    return csv_download(await services.projects.export_companies_csv(staff.scope), "companies.csv")


@router.post("/companies", response_model=CompanySummary, status_code=201)
async def create_company(body: CompanyIn, services: ServicesDep, staff: Triager) -> CompanySummary:
    return await services.projects.create_company(body, staff.username)


@router.get("/companies/{company_id}", response_model=CompanyDetail)
async def company_detail(company_id: RowId, services: ServicesDep, staff: Viewer) -> CompanyDetail:
    return await services.projects.company(company_id, staff.scope)


@router.patch("/companies/{company_id}", response_model=CompanySummary)
async def update_company(company_id: RowId, body: CompanyPatch, services: ServicesDep, staff: Triager) -> CompanySummary:
    return await services.projects.update_company(company_id, body, staff.username)


@router.post("/companies/{company_id}/listings", response_model=ListingOut, status_code=201)
async def add_listing(company_id: RowId, body: ListingIn, services: ServicesDep, staff: Triager) -> ListingOut:
    """Put the company on the watch list (triager) or the black list (admin), with a reason and an expiry."""
    check_role(body.kind, staff.role)
    return await services.projects.add_listing(company_id, body, staff.username)


@router.post("/companies/{company_id}/listings/{listing_id}/lift", response_model=ListingOut)
async def lift_listing(company_id: RowId, listing_id: RowId, body: LiftIn, services: ServicesDep,
                       staff: Triager) -> ListingOut:
    """End a listing before its expiry, with a reason (audited)."""
    check_role(await services.projects.listing_kind(company_id, listing_id), staff.role)
    return await services.projects.lift_listing(company_id, listing_id, body.reason, staff.username)


# --- projects ------------------------------------------------------------------------------------
@router.get("/projects", response_model=Page[ProjectOut])
async def list_projects(
    services: ServicesDep, _: Viewer,
    q: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(pattern=r"^(planned|under_construction|suspended|completed)$")] = None,
    company: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="projects of this company")] = None,
    page: PageNo = 1, per_page: PerPage = 25,
) -> Page[ProjectOut]:
    return await services.projects.list_projects(q, status, company, page, per_page)


@router.post("/projects", response_model=ProjectOut, status_code=201)
async def create_project(body: ProjectIn, services: ServicesDep, staff: Triager) -> ProjectOut:
    return await services.projects.create_project(body, staff.username)


@router.get("/projects/{project_id}", response_model=ProjectDetail)
async def project_detail(project_id: RowId, services: ServicesDep, staff: Viewer) -> ProjectDetail:
    return await services.projects.project(project_id, staff.scope)


@router.patch("/projects/{project_id}", response_model=ProjectOut)
async def update_project(project_id: RowId, body: ProjectPatch, services: ServicesDep, staff: Triager) -> ProjectOut:
    return await services.projects.update_project(project_id, body, staff.username)


# --- a report's project --------------------------------------------------------------------------
@router.get("/reports/{tracking_number}/project", response_model=ReportProject)
async def report_project(tracking_number: str, services: ServicesDep, staff: Viewer) -> ReportProject:
    """The linked project, and the projects within 300 m of the report's point, nearest first."""
    return await services.projects.report_project(tracking_number, staff.scope)


@router.put("/reports/{tracking_number}/project", response_model=ReportProject)
async def link_report(tracking_number: str, body: LinkIn, services: ServicesDep, staff: Triager) -> ReportProject:
    return await services.projects.link_report(tracking_number, body.project_id, staff.username, staff.scope)


@router.delete("/reports/{tracking_number}/project", response_model=ReportProject)
async def unlink_report(tracking_number: str, services: ServicesDep, staff: Triager) -> ReportProject:
    return await services.projects.unlink_report(tracking_number, staff.username, staff.scope)
