"""Public API: results of resolved cases (行政执法公示), anonymised, with monthly figures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from complaints.schemas import MAX_PAGE, ResultFilters, ResultsPage
from complaints.service.results import MAX_PER_PAGE

from ..deps import ServicesDep
from ..errors import BASE_ERRORS, error_responses

router = APIRouter(prefix="/api/v1", tags=["public"], responses=error_responses(*BASE_ERRORS))


@router.get("/results", response_model=ResultsPage)
async def results(
    services: ServicesDep,
    category: Annotated[str | None, Query(max_length=80, description="a category code or Chinese name")] = None,
    department: Annotated[str | None, Query(max_length=120)] = None,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM, bureau time: "
                                       "cases resolved that month, and that month's figures")] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 20,
) -> ResultsPage:
    """Resolved and closed cases, newest resolution first: category, department, the area at street
    level, a point coarsened to about 1 km, dates, whether the deadline was kept, and the outcome
    staff published; never the reporter, the description or staff notes. `figures`: received,
    accepted, resolved, resolved within the deadline and 回访 satisfaction per month (the last 12
    months, or the chosen one)."""
    filters = ResultFilters(category=category or None, department=department or None, month=month or None)
    return await services.complaints.public_results(filters, page, per_page)
