"""The console's map of reports (issue 15 part 5): the list's filters, open reports by default, the
points from the staff GeoJSON (`/staff/map.geojson`, the same document as the API's
`/api/v1/staff/reports.geojson`), and the counts and the most urgent reports rendered on the page,
so that it is useful when the tiles or the script cannot load."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from complaints.workflow import OPEN_FILTER, PRIORITIES, Status, status_label

from ..deps import ServicesDep
from ..routes.staff_reports import GeoJSONResponse, staff_map_geojson
from .auth import StaffViewer
from .report_filters import console_filters, filter_choices, filter_query
from .templating import page_language, render
from .text import translate

router = APIRouter(prefix="/staff", include_in_schema=False)
LIST_ROWS = 25  # the most urgent reports under the map


@router.get("/map")
async def reports_map(request: Request, services: ServicesDep, staff: StaffViewer) -> Response:
    filters, params = console_filters(request, default_status=OPEN_FILTER)
    counts = await services.complaints.map_reports(filters, limit=0, scope=staff.scope)
    urgent = await services.complaints.search(filters.model_copy(update={"sort": "due_at"}), 1, LIST_ROWS,
                                              scope=staff.scope)
    return render(request, "staff/map.html", {
        "staff": staff, "params": params, "counts": counts, "result": urgent,
        "source": "/staff/map.geojson?" + filter_query(params),
        "list_query": filter_query(params), "labels": _labels(page_language(request)), **await filter_choices(services),
    })


def _labels(lang: str) -> dict[str, object]:
    """The words the map's script shows (popups, clusters, messages), in the page's language."""
    words = {key: translate(lang, f"map_{key}") for key in (
        "open_report", "cluster_reports", "close", "shown", "truncated", "none", "loading",
        "failed", "unavailable_staff")}
    return {**words, "overdue": translate(lang, "overdue"), "due": translate(lang, "due_at"),
            "status": {s.value: status_label(s.value, lang) for s in Status},
            "priority": {p: translate(lang, f"priority_{p}") for p in PRIORITIES}}


@router.get("/map.geojson")
async def reports_map_data(request: Request, services: ServicesDep, staff: StaffViewer) -> Response:
    """The map's points for the signed-in account (its scope), with the page's filters."""
    filters, _ = console_filters(request, default_status=OPEN_FILTER)
    return GeoJSONResponse(await staff_map_geojson(services, filters, staff))
