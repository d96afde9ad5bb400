"""Staff API for triage: bearer token, roles viewer < triager < admin."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from accounts.service import StaffIdentity
from complaints.publication import MAX_OUTCOME
from complaints.links import console_link
from complaints.staff_map import MapFeatureCollection, feature_collection
from complaints.workflow import OPEN_FILTER
from complaints.schemas import MAX_PAGE, Page, ReportDetail, ReportFilters, ReportSummary, TriageUpdate

from ..deps import Position, ServicesDep, Triager, Viewer
from ..errors import BASE_ERRORS, STAFF_ERRORS, error_responses
from .reports import photo_response

router = APIRouter(prefix="/api/v1/staff", tags=["staff"], responses=error_responses(*BASE_ERRORS, *STAFF_ERRORS))


class TransitionIn(BaseModel):
    to: str = Field(max_length=20)
    note: str | None = Field(default=None, max_length=5000)
    public_message: str | None = Field(default=None, max_length=5000)
    public_outcome: str | None = Field(default=None, max_length=MAX_OUTCOME,
                                       description="only with to=resolved: the outcome shown on the public results")


class PublicOutcomeIn(BaseModel):
    text: str = Field(default="", max_length=MAX_OUTCOME, description="empty: withdraw it from the public results")


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=5000)
    public: bool = False


class MergeIn(BaseModel):
    into: str = Field(description="tracking number of the primary report")
    note: str | None = Field(default=None, max_length=5000)


class ExtendIn(BaseModel):
    days: int = Field(ge=1, le=365)
    reason: str = Field(min_length=1, max_length=2000)


class TransferIn(BaseModel):
    department: str = Field(min_length=1, max_length=120)
    reason: str = Field(min_length=1, max_length=2000)


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    departments: list[str] = Field(description="the account's departments; empty: the whole bureau")


@router.get("/me", response_model=Me)
async def me(staff: Viewer) -> Me:
    return Me(username=staff.username, display_name=staff.display_name, role=staff.role.value,
              departments=list(staff.departments))


async def report_filters(
    status: Annotated[list[str] | None, Query(description="statuses (repeat the parameter); `open`: every open one")]
    = None,
    category: str | None = None,
    department: str | None = None,
    assignee: str | None = None,
    priority: str | None = None,
    overdue: bool | None = None,
    attention: Annotated[bool | None, Query(description="only reports with a reporter's supplement or "
                                                        "reopening request")] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    include_merged: bool = True,
) -> ReportFilters:
    """The staff list's filters, shared by the list and the map."""
    return ReportFilters(
        status=status, category=category, department=department, assignee=assignee, priority=priority,
        overdue=overdue, attention=attention, q=q, created_from=created_from, created_to=created_to,
        include_merged=include_merged,
    )


Filters = Annotated[ReportFilters, Depends(report_filters)]


@router.get("/reports", response_model=Page[ReportSummary])
async def list_reports(
    services: ServicesDep,
    staff: Viewer,
    filters: Filters,
    sort: Annotated[str, Query(pattern=r"^-?(created_at|due_at|priority|status|tracking_number)$")] = "-created_at",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 25,
) -> Page[ReportSummary]:
    return await services.complaints.search(filters.model_copy(update={"sort": sort}), page, per_page,
                                            scope=staff.scope)


class GeoJSONResponse(JSONResponse):
    media_type = "application/geo+json"


@router.get("/reports.geojson", response_model=MapFeatureCollection, response_class=GeoJSONResponse)
async def reports_geojson(services: ServicesDep, staff: Viewer, filters: Filters) -> GeoJSONResponse:
    """The staff map: reports matching the list's filters (open ones when no `status` is given) that
    have a point, as GeoJSON points at the reporter's exact place ([lon, lat], WGS-84), newest first,
    at most `limit`. `total` counts every match and `without_place` those left out for want of
    coordinates. Scoped accounts get only their departments' reports. No reporter, description,
    photos or notes: `url` opens the report in the console."""
    if not filters.status:
        filters = filters.model_copy(update={"status": [OPEN_FILTER]})
    return GeoJSONResponse(await staff_map_geojson(services, filters, staff))


async def staff_map_geojson(services: ServicesDep, filters: ReportFilters, staff: StaffIdentity) -> dict[str, Any]:
    """The map's GeoJSON for `staff` (also the console map's source)."""
    found = await services.complaints.map_reports(filters, scope=staff.scope)
    base = services.settings.public_base_url
    return feature_collection(found, services.bureau_time, lambda n: console_link(base, n)).model_dump(mode="json")


@router.get("/reports/overdue", response_model=list[ReportSummary])
async def overdue_reports(services: ServicesDep, staff: Viewer) -> list[ReportSummary]:
    return await services.complaints.overdue(scope=staff.scope)


@router.get("/reports/{tracking_number}", response_model=ReportDetail)
async def report_detail(tracking_number: str, services: ServicesDep, staff: Viewer) -> ReportDetail:
    return await services.complaints.detail(tracking_number, staff.scope)


@router.get("/reports/{tracking_number}/photos/{n}", response_class=Response)
async def staff_public_photo(tracking_number: str, n: Position, services: ServicesDep, staff: Viewer) -> Response:
    key, mime = await services.complaints.public_photo(tracking_number, n, token=None, scope=staff.scope)
    return photo_response(services, key, mime)


@router.get("/reports/{tracking_number}/photos/{n}/original", response_class=Response)
async def staff_original_photo(tracking_number: str, n: Position, services: ServicesDep, staff: Triager) -> Response:
    key, mime = await services.complaints.original_photo(tracking_number, n, staff.scope)
    return photo_response(services, key, mime)


@router.patch("/reports/{tracking_number}", response_model=ReportDetail)
async def triage(tracking_number: str, body: TriageUpdate, services: ServicesDep, staff: Triager) -> ReportDetail:
    return await services.complaints.update_triage(tracking_number, staff.username, body, staff.scope)


@router.post("/reports/{tracking_number}/transition", response_model=ReportDetail)
async def transition(tracking_number: str, body: TransitionIn, services: ServicesDep, staff: Triager) -> ReportDetail:
    return await services.complaints.transition(
        tracking_number, staff.username, body.to, body.note, body.public_message, staff.scope, body.public_outcome
    )


@router.put("/reports/{tracking_number}/public-outcome", response_model=ReportDetail)
async def set_public_outcome(tracking_number: str, body: PublicOutcomeIn, services: ServicesDep,
                             staff: Triager) -> ReportDetail:
    """行政执法公示: the outcome text of a resolved report shown on the public results (audited)."""
    return await services.complaints.set_public_outcome(tracking_number, staff.username, body.text, staff.scope)


@router.post("/reports/{tracking_number}/transfer", response_model=ReportDetail)
async def transfer(tracking_number: str, body: TransferIn, services: ServicesDep, staff: Triager) -> ReportDetail:
    """转办: to another department, with a reason (audited; the receiving department is told)."""
    return await services.complaints.transfer(tracking_number, staff.username, body.department, body.reason,
                                              staff.scope)


@router.post("/reports/{tracking_number}/notes", response_model=ReportDetail, status_code=201)
async def add_note(tracking_number: str, body: NoteIn, services: ServicesDep, staff: Triager) -> ReportDetail:
    return await services.complaints.add_note(tracking_number, staff.username, body.text, body.public, staff.scope)


@router.post("/reports/{tracking_number}/merge", response_model=ReportDetail)
async def merge(tracking_number: str, body: MergeIn, services: ServicesDep, staff: Triager) -> ReportDetail:
    return await services.complaints.merge(tracking_number, body.into, staff.username, body.note, staff.scope)


@router.post("/reports/{tracking_number}/extend", response_model=ReportDetail)
async def extend(tracking_number: str, body: ExtendIn, services: ServicesDep, staff: Triager) -> ReportDetail:
    return await services.complaints.extend_deadline(tracking_number, staff.username, body.days, body.reason,
                                                     staff.scope)


__all__ = ["router", "StaffIdentity"]
