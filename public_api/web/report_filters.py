"""The console's report filters, read from a page's query string: one home for the list, its CSV and
the map (the form itself is `templates/staff/_report_filters.html`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from complaints.schemas import ReportFilters
from complaints.workflow import Status

from .templating import bureau_time

FILTER_KEYS = ("status", "category", "department", "overdue", "attention", "q", "created_from", "created_to", "sort")
SORT_KEYS = ("created_at", "due_at", "priority", "status", "tracking_number")


def _local_day(request: Request, value: str | None, next_day: bool = False) -> datetime | None:
    """A YYYY-MM-DD from a date input as the start of that day (or of the next, for an exclusive
    upper bound) in the bureau's time zone; anything else is ignored."""
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    return bureau_time(request).day_start(day + timedelta(days=1 if next_day else 0))


def console_filters(request: Request, default_status: str | None = None) -> tuple[ReportFilters, dict[str, str]]:
    """The filters and the non-empty parameters they came from. `default_status` applies when the
    query names no status at all (the map's `open`); an empty `status=` still means every status."""
    params = {k: v for k in FILTER_KEYS if (v := request.query_params.get(k, "").strip())}
    if default_status and "status" not in request.query_params:
        params["status"] = default_status
    sort = params.get("sort", "-created_at")
    filters = ReportFilters(
        status=[params["status"]] if "status" in params else None,
        category=params.get("category"),
        department=params.get("department"),
        overdue=True if params.get("overdue") == "1" else None,
        attention=True if params.get("attention") == "1" else None,
        q=params.get("q", "")[:200] or None,
        created_from=_local_day(request, params.get("created_from")),
        created_to=_local_day(request, params.get("created_to"), next_day=True),
        sort=sort if sort.lstrip("-") in SORT_KEYS else "-created_at",
    )
    return filters, params


def sort_link(params: dict[str, str]) -> Callable[[str], str]:
    """`sort_url(key)` for the table: clicking a column sorts by it, descending first; clicking
    again flips the order."""
    def sort_url(key: str) -> str:
        current = params.get("sort", "-created_at")
        return "?" + urlencode({**params, "sort": key if current == f"-{key}" else f"-{key}"})

    return sort_url


async def filter_choices(services: Any) -> dict[str, Any]:
    """What the filter form offers: categories, statuses, active departments."""
    return {"categories": await services.complaints.categories(), "statuses": [s.value for s in Status],
            "departments": await department_names(services)}


async def department_names(services: Any) -> list[str]:
    return [d.name for d in await services.departments.list(active_only=True)]


def filter_query(params: dict[str, str], **changes: str) -> str:
    """The query string of these filters (with `changes`), for links between the list, the CSV and the map.
    An explicit empty status is kept, so that "every status" survives the trip to the map."""
    values = {**params, **changes}
    if "status" not in values:
        values["status"] = ""
    return urlencode(values)
