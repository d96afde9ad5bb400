"""Console pages for construction projects and companies (信用评价, 红黑名单), and the project
section of a report's page."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from accounts.roles import Role
from complaints.schemas import MAX_PAGE
from core.errors import DomainError
from core.kit.validation import error_lines
from projects.listings import ListKind, check_role, last_day
from projects.schemas import (
    FIELD_LABELS,
    CompanyIn,
    CompanyPatch,
    ListingIn,
    ProjectIn,
    ProjectPatch,
    ProjectStatus,
)

from ..deps import RowId, ServicesDep
from .auth import Csrf, StaffTriager, StaffViewer
from .downloads import csv_download
from .templating import bureau_time, page_language, render

router = APIRouter(prefix="/staff", include_in_schema=False)
PER_PAGE = 25
CHOICES = 200  # companies and projects offered in a form's select


def _until_day(request: Request) -> Callable[[datetime], str]:
    """The last local day a listing is in force (it ends at the midnight after it)."""
    return lambda expires_at: last_day(expires_at, bureau_time(request)).isoformat()


def _page(request: Request) -> int:
    try:
        return min(max(int(request.query_params.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        return 1


def _refused(request: Request, path: str, exc: DomainError | ValidationError, anchor: str = "") -> Response:
    """Back to `path` with what was wrong, in the page's language."""
    lang = page_language(request)
    message = exc.message(lang) if isinstance(exc, DomainError) else "；".join(
        error_lines(exc.errors(), FIELD_LABELS, lang))
    return RedirectResponse(f"{path}?" + urlencode({"error": message}) + anchor, status_code=303)


async def _attempt(request: Request, path: str, ok: str, action: Callable[[], Awaitable[Any]]) -> Response:
    """Run a change, then back to `path` with `?msg=ok` or the error."""
    try:
        await action()
    except (DomainError, ValidationError) as exc:
        return _refused(request, path, exc)
    return RedirectResponse(f"{path}?msg={ok}", status_code=303)


def _number(value: str) -> float | None:
    value = value.strip()
    try:
        return float(value) if value else None
    except ValueError:
        return math.nan  # refused by the schema's range check with the field's name


def _id(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


# --- companies -----------------------------------------------------------------------------------
@router.get("/companies")
async def companies(request: Request, services: ServicesDep, staff: StaffViewer, error: str | None = None) -> Response:
    q = request.query_params.get("q", "").strip()[:200]
    listed = request.query_params.get("listed", "")
    listed = listed if listed in ("watch", "black", "any") else ""
    result = await services.projects.list_companies(q or None, listed or None, _page(request), PER_PAGE)
    params = {k: v for k, v in (("q", q), ("listed", listed)) if v}
    return render(request, "staff/companies.html", {
        "staff": staff, "result": result, "params": params, "query": urlencode(params), "error": error,
        "pages": max(1, math.ceil(result.total / PER_PAGE)), "can_edit": staff.role is not Role.VIEWER,
        "until_day": _until_day(request),
    })


@router.get("/companies.csv")
async def companies_csv(services: ServicesDep, staff: StaffViewer) -> Response:
    stamp = services.bureau_time.text(services.clock.now(), "%Y%m%d-%H%M")
    return csv_download(await services.projects.export_companies_csv(staff.scope), f"companies-{stamp}.csv")


@router.post("/companies", dependencies=[Csrf])
async def create_company(
    request: Request, services: ServicesDep, staff: StaffTriager,
    name: Annotated[str, Form()] = "", uscc: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "", contact: Annotated[str, Form()] = "",
) -> Response:
    try:
        created = await services.projects.create_company(
            CompanyIn(name=name, uscc=uscc, address=address, contact=contact), staff.username)
    except (DomainError, ValidationError) as exc:
        return _refused(request, "/staff/companies", exc, "#add-company")
    return RedirectResponse(f"/staff/companies/{created.id}?msg=company_saved", status_code=303)


@router.get("/companies/{company_id}")
async def company(request: Request, company_id: RowId, services: ServicesDep, staff: StaffViewer,
                  msg: str | None = None, error: str | None = None) -> Response:
    detail = await services.projects.company(company_id, staff.scope)
    now = services.clock.now()
    return render(request, "staff/company.html", {
        "staff": staff, "c": detail, "msg": msg if msg in ("company_saved", "listing_added", "listing_lifted_ok") else None,
        "error": error, "can_edit": staff.role is not Role.VIEWER, "is_admin": staff.role is Role.ADMIN,
        "lists": [k.value for k in ListKind], "min_until": bureau_time(request).local(now).date().isoformat(),
        "until_day": _until_day(request),
    })


@router.post("/companies/{company_id}", dependencies=[Csrf])
async def edit_company(
    request: Request, company_id: RowId, services: ServicesDep, staff: StaffTriager,
    name: Annotated[str, Form()] = "", uscc: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "", contact: Annotated[str, Form()] = "",
) -> Response:
    async def action() -> None:
        changes = CompanyPatch(name=name, uscc=uscc, address=address, contact=contact)
        await services.projects.update_company(company_id, changes, staff.username)

    return await _attempt(request, f"/staff/companies/{company_id}", "company_saved", action)


def _until(request: Request, day: str) -> datetime:
    """A listing "until 2027-06-30" includes that day: it ends at the next local midnight."""
    try:
        chosen = datetime.strptime(day.strip(), "%Y-%m-%d").date()
    except ValueError:
        chosen = datetime(2000, 1, 1).date()  # refused as in the past, with the field's name
    return bureau_time(request).day_start(chosen + timedelta(days=1))


@router.post("/companies/{company_id}/listings", dependencies=[Csrf])
async def add_listing(
    request: Request, company_id: RowId, services: ServicesDep, staff: StaffTriager,
    kind: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "", until: Annotated[str, Form()] = "",
) -> Response:
    async def action() -> None:
        data = ListingIn(kind=kind, reason=reason or " ", expires_at=_until(request, until))
        check_role(data.kind, staff.role)
        await services.projects.add_listing(company_id, data, staff.username)

    return await _attempt(request, f"/staff/companies/{company_id}", "listing_added", action)


@router.post("/companies/{company_id}/listings/{listing_id}/lift", dependencies=[Csrf])
async def lift_listing(
    request: Request, company_id: RowId, listing_id: RowId, services: ServicesDep, staff: StaffTriager,
    reason: Annotated[str, Form()] = "",
) -> Response:
    async def action() -> None:
        check_role(await services.projects.listing_kind(company_id, listing_id), staff.role)
        await services.projects.lift_listing(company_id, listing_id, reason, staff.username)

    return await _attempt(request, f"/staff/companies/{company_id}", "listing_lifted_ok", action)


# --- projects ------------------------------------------------------------------------------------
async def _company_choices(services: ServicesDep) -> list[Any]:
    return (await services.projects.list_companies(per_page=CHOICES)).items


@router.get("/projects")
async def projects(request: Request, services: ServicesDep, staff: StaffViewer, error: str | None = None) -> Response:
    q = request.query_params.get("q", "").strip()[:200]
    status = request.query_params.get("status", "")
    status = status if status in {s.value for s in ProjectStatus} else ""
    result = await services.projects.list_projects(q or None, status or None, page=_page(request), per_page=PER_PAGE)
    params = {k: v for k, v in (("q", q), ("status", status)) if v}
    return render(request, "staff/projects.html", {
        "staff": staff, "result": result, "params": params, "query": urlencode(params), "error": error,
        "pages": max(1, math.ceil(result.total / PER_PAGE)), "can_edit": staff.role is not Role.VIEWER,
        "statuses": [s.value for s in ProjectStatus], "companies": await _company_choices(services),
    })


def _project_fields(name: str, address: str, lat: str, lon: str, permit_number: str, status: str,
                    builder_id: str, contractor_id: str, supervisor_id: str) -> dict[str, Any]:
    return {"name": name, "address": address, "lat": _number(lat), "lon": _number(lon),
            "permit_number": permit_number, "status": status or ProjectStatus.UNDER_CONSTRUCTION.value,
            "builder_id": _id(builder_id), "contractor_id": _id(contractor_id), "supervisor_id": _id(supervisor_id)}


@router.post("/projects", dependencies=[Csrf])
async def create_project(
    request: Request, services: ServicesDep, staff: StaffTriager,
    name: Annotated[str, Form()] = "", address: Annotated[str, Form()] = "", lat: Annotated[str, Form()] = "",
    lon: Annotated[str, Form()] = "", permit_number: Annotated[str, Form()] = "", status: Annotated[str, Form()] = "",
    builder_id: Annotated[str, Form()] = "", contractor_id: Annotated[str, Form()] = "",
    supervisor_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        fields = _project_fields(name, address, lat, lon, permit_number, status, builder_id, contractor_id,
                                 supervisor_id)
        created = await services.projects.create_project(ProjectIn(**fields), staff.username)
    except (DomainError, ValidationError) as exc:
        return _refused(request, "/staff/projects", exc, "#add-project")
    return RedirectResponse(f"/staff/projects/{created.id}?msg=project_saved", status_code=303)


@router.get("/projects/{project_id}")
async def project(request: Request, project_id: RowId, services: ServicesDep, staff: StaffViewer,
                  msg: str | None = None, error: str | None = None) -> Response:
    return render(request, "staff/project.html", {
        "staff": staff, "p": await services.projects.project(project_id, staff.scope),
        "msg": msg if msg == "project_saved" else None, "error": error, "can_edit": staff.role is not Role.VIEWER,
        "statuses": [s.value for s in ProjectStatus], "companies": await _company_choices(services),
    })


@router.post("/projects/{project_id}", dependencies=[Csrf])
async def edit_project(
    request: Request, project_id: RowId, services: ServicesDep, staff: StaffTriager,
    name: Annotated[str, Form()] = "", address: Annotated[str, Form()] = "", lat: Annotated[str, Form()] = "",
    lon: Annotated[str, Form()] = "", permit_number: Annotated[str, Form()] = "", status: Annotated[str, Form()] = "",
    builder_id: Annotated[str, Form()] = "", contractor_id: Annotated[str, Form()] = "",
    supervisor_id: Annotated[str, Form()] = "",
) -> Response:
    async def action() -> None:
        fields = _project_fields(name, address, lat, lon, permit_number, status, builder_id, contractor_id,
                                 supervisor_id)
        await services.projects.update_project(project_id, ProjectPatch(**fields), staff.username)

    return await _attempt(request, f"/staff/projects/{project_id}", "project_saved", action)


# --- a report's project ----------------------------------------------------------------------------
async def report_project_context(services: ServicesDep, number: str, staff: Any) -> dict[str, Any]:
    """What the report page's project section shows (the report page's route adds it)."""
    return {"rp": await services.projects.report_project(number, staff.scope),
            "project_choices": (await services.projects.list_projects(per_page=CHOICES)).items}


@router.post("/reports/{number}/project", dependencies=[Csrf])
async def link_project(request: Request, number: str, services: ServicesDep, staff: StaffTriager,
                       project_id: Annotated[str, Form()] = "") -> Response:
    async def action() -> None:
        await services.projects.link_report(number, _id(project_id) or 0, staff.username, staff.scope)

    return await _attempt(request, f"/staff/reports/{number}", "project_linked", action)


@router.post("/reports/{number}/project/unlink", dependencies=[Csrf])
async def unlink_project(request: Request, number: str, services: ServicesDep, staff: StaffTriager) -> Response:
    async def action() -> None:
        await services.projects.unlink_report(number, staff.username, staff.scope)

    return await _attempt(request, f"/staff/reports/{number}", "project_unlinked", action)
