"""Staff console pages for reports, the dashboard and staff accounts."""

from __future__ import annotations

import math
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from accounts.departments import name_key
from accounts.roles import Role
from complaints.schemas import FIELD_LABELS, MAX_PAGE, TriageUpdate
from complaints.workflow import PRIORITIES, TRANSITIONS, Status
from core.errors import DomainError
from core.kit.validation import error_lines

from ..deps import ServicesDep
from ..routes.reports import photo_response
from .auth import Csrf, StaffTriager, StaffViewer
from .charts import bar_chart_svg
from .downloads import csv_download
from .projects_pages import report_project_context
from .report_filters import console_filters, department_names, filter_choices, filter_query, sort_link
from .templating import page_language, render

router = APIRouter(prefix="/staff", include_in_schema=False)
PER_PAGE = 25


@router.get("")
async def dashboard(request: Request, services: ServicesDep, staff: StaffViewer, msg: str | None = None) -> Response:
    board = await services.complaints.dashboard(staff.scope)
    lang = page_language(request)
    chart = bar_chart_svg([(w.week_start[5:], w.count) for w in board.per_week],
                          title="每周举报数" if lang == "zh" else "Reports per week")
    return render(request, "staff/dashboard.html", {"staff": staff, "board": board, "chart": chart,
                                                    "msg": msg if msg in ("password_changed",) else None})


@router.get("/reports")
async def reports(request: Request, services: ServicesDep, staff: StaffViewer, msg: str | None = None,
                  number: str | None = None) -> Response:
    filters, params = console_filters(request)
    try:
        page = min(max(int(request.query_params.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        page = 1
    result = await services.complaints.search(filters, page, PER_PAGE, scope=staff.scope)
    pages = max(1, math.ceil(result.total / PER_PAGE))

    return render(request, "staff/reports.html", {
        "sort_url": sort_link(params), "msg": msg if msg == "transferred_away" else None,
        "number": (number or "")[:16], "staff": staff, "result": result, "params": params, "pages": pages,
        "query": urlencode(params), "map_query": filter_query(params), **await filter_choices(services),
    })


@router.get("/reports.csv")
async def reports_csv(request: Request, services: ServicesDep, staff: StaffViewer) -> Response:
    filters, _ = console_filters(request)
    body = await services.complaints.export_csv(filters, scope=staff.scope)
    stamp = services.bureau_time.text(services.clock.now(), "%Y%m%d-%H%M")
    return csv_download(body, f"reports-{stamp}.csv")


@router.get("/reports/{number}")
async def report_detail(request: Request, number: str, services: ServicesDep, staff: StaffViewer,
                        msg: str | None = None, error: str | None = None) -> Response:
    detail = await services.complaints.detail(number, staff.scope)
    categories = await services.complaints.categories()
    names = {c.code: (c.name_zh if page_language(request) == "zh" else c.name_en) for c in categories}
    return render(request, "staff/report.html", {
        "category_name": lambda code: names.get(code or "", code or "–"),
        "staff": staff, "r": detail, "msg": msg, "error": error,
        "can_edit": staff.role is not Role.VIEWER,
        "next_statuses": sorted(s.value for s in TRANSITIONS[Status(detail.status)]),
        "priorities": PRIORITIES, "categories": categories,
        "departments": await department_names(services),
        **await report_project_context(services, number, staff),
    })


@router.get("/reports/{number}/photos/{n}")
async def report_photo(number: str, n: int, services: ServicesDep, staff: StaffViewer) -> Response:
    key, mime = await services.complaints.public_photo(number, n, token=None, scope=staff.scope)
    return photo_response(services, key, mime)


async def _act(request: Request, number: str, action) -> Response:  # noqa: ANN001
    """Run a change; show the page again with its outcome (the error in the user's language)."""
    lang = page_language(request)
    try:
        await action()
    except (DomainError, ValidationError) as exc:
        message = exc.message(lang) if isinstance(exc, DomainError) else "；".join(
            error_lines(exc.errors(), FIELD_LABELS, lang))
        query = urlencode({"error": message})
        return RedirectResponse(f"/staff/reports/{number}?{query}#actions", status_code=303)
    return RedirectResponse(f"/staff/reports/{number}?msg=saved", status_code=303)


@router.post("/reports/{number}/triage", dependencies=[Csrf])
async def triage(
    request: Request, number: str, services: ServicesDep, staff: StaffTriager,
    category: Annotated[str, Form()] = "", department: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "", assignee: Annotated[str, Form()] = "",
) -> Response:
    async def action() -> None:
        update = TriageUpdate(category=category or None, department=department, priority=priority or None,
                              assignee=assignee)
        await services.complaints.update_triage(number, staff.username, update, staff.scope)

    return await _act(request, number, action)


@router.post("/reports/{number}/transition", dependencies=[Csrf])
async def transition(
    request: Request, number: str, services: ServicesDep, staff: StaffTriager,
    to: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "",
    public_message: Annotated[str, Form()] = "", public_outcome: Annotated[str, Form()] = "",
) -> Response:
    async def action() -> None:
        await services.complaints.transition(number, staff.username, to, note or None, public_message or None,
                                             staff.scope, public_outcome or None)

    return await _act(request, number, action)


@router.post("/reports/{number}/public-outcome", dependencies=[Csrf])
async def public_outcome(
    request: Request, number: str, services: ServicesDep, staff: StaffTriager, text: Annotated[str, Form()] = "",
) -> Response:
    """行政执法公示: what the public results page says of this resolved report (empty withdraws it)."""
    async def action() -> None:
        await services.complaints.set_public_outcome(number, staff.username, text, staff.scope)

    return await _act(request, number, action)


@router.post("/reports/{number}/notes", dependencies=[Csrf])
async def add_note(
    request: Request, number: str, services: ServicesDep, staff: StaffTriager,
    text: Annotated[str, Form()] = "", public: Annotated[bool, Form()] = False,
) -> Response:
    async def action() -> None:
        await services.complaints.add_note(number, staff.username, text, public, staff.scope)

    return await _act(request, number, action)


@router.post("/reports/{number}/merge", dependencies=[Csrf])
async def merge(
    request: Request, number: str, services: ServicesDep, staff: StaffTriager,
    into: Annotated[str, Form()] = "",
) -> Response:
    async def action() -> None:
        await services.complaints.merge(number, into.strip(), staff.username, scope=staff.scope)

    return await _act(request, number, action)


@router.post("/reports/{number}/extend", dependencies=[Csrf])
async def extend(
    request: Request, number: str, services: ServicesDep, staff: StaffTriager,
    days: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
) -> Response:
    async def action() -> None:
        await services.complaints.extend_deadline(number, staff.username, int(days) if days.isdigit() else 0, reason,
                                                  staff.scope)

    return await _act(request, number, action)


@router.post("/reports/{number}/reopen/decline", dependencies=[Csrf])
async def decline_reopen(
    request: Request, number: str, services: ServicesDep, staff: StaffTriager, message: Annotated[str, Form()] = "",
) -> Response:
    """Accepting a reopening request is the workflow's resolved -> reopened; declining needs a reply."""
    async def action() -> None:
        await services.complaints.decline_reopen(number, staff.username, message, staff.scope)

    return await _act(request, number, action)


@router.post("/reports/{number}/seen", dependencies=[Csrf])
async def mark_seen(request: Request, number: str, services: ServicesDep, staff: StaffTriager) -> Response:
    async def action() -> None:
        await services.complaints.mark_seen(number, staff.username, staff.scope)

    return await _act(request, number, action)


@router.post("/reports/{number}/transfer", dependencies=[Csrf])
async def transfer(
    request: Request, number: str, services: ServicesDep, staff: StaffTriager,
    department: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
) -> Response:
    lang = page_language(request)
    try:
        await services.complaints.transfer(number, staff.username, department, reason, staff.scope)
    except DomainError as exc:
        return RedirectResponse(f"/staff/reports/{number}?" + urlencode({"error": exc.message(lang)}) + "#transfer",
                                status_code=303)
    if staff.scope.whole_bureau or name_key(department) in {name_key(d) for d in staff.departments}:
        return RedirectResponse(f"/staff/reports/{number}?msg=transferred", status_code=303)
    # A scoped account no longer sees the report it handed on.
    return RedirectResponse("/staff/reports?" + urlencode({"msg": "transferred_away", "number": number}),
                            status_code=303)

