"""The public results page (行政执法公示): resolved cases, anonymised, and the monthly figures."""

from __future__ import annotations

import math
import re
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from complaints.schemas import MAX_PAGE, ResultFilters

from ..deps import ServicesDep
from .templating import render

router = APIRouter(include_in_schema=False)
PER_PAGE = 20
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@router.get("/results")
async def results(request: Request, services: ServicesDep) -> Response:
    """Filters come from a plain GET form; a value that is not one of the choices is ignored."""
    query = request.query_params
    categories = await services.complaints.categories()
    departments = [d.name for d in await services.departments.list(active_only=True)]
    category = query.get("category", "")
    department = query.get("department", "")
    month = query.get("month", "").strip()
    params = {k: v for k, v in (("category", category if category in {c.code for c in categories} else ""),
                                ("department", department if department in departments else ""),
                                ("month", month if MONTH.match(month) else "")) if v}
    try:
        page = min(max(int(query.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        page = 1
    result = await services.complaints.public_results(ResultFilters(**params), page, PER_PAGE)
    return render(request, "portal/results.html", {
        "result": result, "params": params, "categories": categories, "departments": departments,
        "category_names": {c.code: c for c in categories}, "pages": max(1, math.ceil(result.total / PER_PAGE)),
        "query": urlencode(params), "figures": list(reversed(result.figures)),
    })
