"""Public API: open-data feeds of public reports (GeoJSON for the county's GIS, CSV for people).
What a feed holds is decided in `complaints/open_data.py`; this only reads filters and renders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from complaints.open311 import parse_time, workflow_statuses
from complaints.open_data import MAX_PER_PAGE, csv_feed, geojson
from complaints.service import PublicReportQuery

from ..deps import ServicesDep
from ..errors import BASE_ERRORS, error_responses

router = APIRouter(prefix="/api/v1/feeds", tags=["public"], responses=error_responses(*BASE_ERRORS))

Category = Annotated[str | None, Query(max_length=2000, description="category codes, comma-separated")]
StatusFilter = Annotated[str | None, Query(max_length=40, description="open, closed or both, comma-separated")]
From = Annotated[str | None, Query(alias="from", max_length=40, description="received on or after: YYYY-MM-DD "
                                   "(bureau time) or an ISO 8601 time")]
To = Annotated[str | None, Query(alias="to", max_length=40, description="received on or before (the whole day)")]
Page = Annotated[int, Query(ge=1, le=10_000)]
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE)]


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _query(services: Any, category: str | None, status: str | None, start: str | None,
           end: str | None) -> PublicReportQuery:
    bureau = services.bureau_time
    statuses = _split(status)
    return PublicReportQuery(
        categories=tuple(_split(category)),
        statuses=frozenset().union(*(workflow_statuses(s) for s in statuses)) if statuses else None,
        received_from=parse_time(start, bureau, "from") if start else None,
        received_to=parse_time(end, bureau, "to", end=True) if end else None,
    )


@router.get("/reports.geojson", response_class=JSONResponse,
            responses={200: {"content": {"application/geo+json": {}}, "description": "a FeatureCollection"}})
async def reports_geojson(services: ServicesDep, category: Category = None, status: StatusFilter = None,
                          start: From = None, end: To = None, page: Page = 1,
                          per_page: PerPage = MAX_PER_PAGE) -> Response:
    """Public reports, newest first, as GeoJSON points at the centre of a ~1 km cell (a report
    without a place has a null geometry); no reporter data, description, photos or notes. `total`
    counts every match; `page`/`per_page` (at most 1,000) go through them."""
    query = _query(services, category, status, start, end)
    found, total = await services.complaints.public_reports(query, (page - 1) * per_page, per_page, count=True)
    body = geojson(found, services.bureau_time, total=total or 0, page=page, per_page=per_page)
    return JSONResponse(body, media_type="application/geo+json")


@router.get("/reports.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 with a BOM, Excel-safe"}})
async def reports_csv(services: ServicesDep, category: Category = None, status: StatusFilter = None,
                      start: From = None, end: To = None, page: Page = 1,
                      per_page: PerPage = MAX_PER_PAGE) -> Response:
    """The same reports and columns as the GeoJSON feed, one row each (`lat`/`lon` last)."""
    query = _query(services, category, status, start, end)
    found, total = await services.complaints.public_reports(query, (page - 1) * per_page, per_page, count=True)
    return Response(csv_feed(found, services.bureau_time), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="civicdesk-reports.csv"', "X-Total-Count": str(total or 0)})
