"""Staff console pages for reports, the dashboard and staff accounts."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from accounts.roles import Role
from complaints.schemas import FIELD_LABELS, MAX_PAGE, ReportFilters, TriageUpdate
from complaints.workflow import PRIORITIES, TRANSITIONS, Status
from core.errors import DomainError
from core.kit.validation import error_lines

from ..deps import RowId, ServicesDep
from ..routes.reports import photo_response
from .auth import Csrf, StaffAdmin, StaffTriager, StaffViewer
from .charts import bar_chart_svg
from .downloads import csv_download
from .templating import bureau_time, page_language, render

router = APIRouter(prefix="/staff", include_in_schema=False)
PER_PAGE = 25
FILTER_KEYS = ("status", "category", "department", "overdue", "attention", "q", "created_from", "created_to", "sort")


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


def _filters(request: Request) -> tuple[ReportFilters, dict[str, str]]:
    params = {k: v for k in FILTER_KEYS if (v := request.query_params.get(k, "").strip())}
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
        sort=sort if sort.lstrip("-") in ("created_at", "due_at", "priority", "status", "tracking_number")
        else "-created_at",
    )
    return filters, params


@router.get("")
async def dashboard(request: Request, services: ServicesDep, staff: StaffViewer, msg: str | None = None) -> Response:
    board = await services.complaints.dashboard()
    lang = page_language(request)
    chart = bar_chart_svg([(w.week_start[5:], w.count) for w in board.per_week],
                          title="每周举报数" if lang == "zh" else "Reports per week")
    return render(request, "staff/dashboard.html", {"staff": staff, "board": board, "chart": chart,
                                                    "msg": msg if msg in ("password_changed",) else None})


@router.get("/reports")
async def reports(request: Request, services: ServicesDep, staff: StaffViewer) -> Response:
    filters, params = _filters(request)
    try:
        page = min(max(int(request.query_params.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        page = 1
    result = await services.complaints.search(filters, page, PER_PAGE)
    pages = max(1, math.ceil(result.total / PER_PAGE))

    def sort_url(key: str) -> str:
        """Clicking a column sorts by it, descending first; clicking again flips the order."""
        current = params.get("sort", "-created_at")
        return "?" + urlencode({**params, "sort": key if current == f"-{key}" else f"-{key}"})

    return render(request, "staff/reports.html", {
        "sort_url": sort_url,
        "staff": staff, "result": result, "params": params, "pages": pages,
        "query": urlencode(params), "categories": await services.complaints.categories(),
        "statuses": [s.value for s in Status], "departments": sorted(set(services.settings.category_departments.values())),
    })


@router.get("/reports.csv")
async def reports_csv(request: Request, services: ServicesDep, staff: StaffViewer) -> Response:
    filters, _ = _filters(request)
    body = await services.complaints.export_csv(filters)
    stamp = services.bureau_time.text(services.clock.now(), "%Y%m%d-%H%M")
    return csv_download(body, f"reports-{stamp}.csv")


@router.get("/reports/{number}")
async def report_detail(request: Request, number: str, services: ServicesDep, staff: StaffViewer,
                        msg: str | None = None, error: str | None = None) -> Response:
    detail = await services.complaints.detail(number)
    return render(request, "staff/report.html", {
        "staff": staff, "r": detail, "msg": msg, "error": error,
        "can_edit": staff.role is not Role.VIEWER,
        "next_statuses": sorted(s.value for s in TRANSITIONS[Status(detail.status)]),
        "priorities": PRIORITIES, "categories": await services.complaints.categories(),
    })


@router.get("/reports/{number}/photos/{n}")
async def report_photo(number: str, n: int, services: ServicesDep, staff: StaffViewer) -> Response:
    key, mime = await services.complaints.public_photo(number, n, token=None)
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
        await services.complaints.update_triage(number, staff.username, update)

    return await _act(request, number, action)


@router.post("/reports/{number}/transition", dependencies=[Csrf])
async def transition(
    request: Request, number: str, services: ServicesDep, staff: StaffTriager,
    to: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "",
    public_message: Annotated[str, Form()] = "",
) -> Response:
    async def action() -> None:
        await services.complaints.transition(number, staff.username, to, note or None, public_message or None)

    return await _act(request, number, action)


@router.post("/reports/{number}/notes", dependencies=[Csrf])
async def add_note(
    request: Request, number: str, services: ServicesDep, staff: StaffTriager,
    text: Annotated[str, Form()] = "", public: Annotated[bool, Form()] = False,
) -> Response:
    async def action() -> None:
        await services.complaints.add_note(number, staff.username, text, public)

    return await _act(request, number, action)


@router.post("/reports/{number}/merge", dependencies=[Csrf])
async def merge(
    request: Request, number: str, services: ServicesDep, staff: StaffTriager,
    into: Annotated[str, Form()] = "",
) -> Response:
    async def action() -> None:
        await services.complaints.merge(number, into.strip(), staff.username)

    return await _act(request, number, action)


@router.post("/reports/{number}/extend", dependencies=[Csrf])
async def extend(
    request: Request, number: str, services: ServicesDep, staff: StaffTriager,
    days: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
) -> Response:
    async def action() -> None:
        await services.complaints.extend_deadline(number, staff.username, int(days) if days.isdigit() else 0, reason)

    return await _act(request, number, action)


@router.post("/reports/{number}/reopen/decline", dependencies=[Csrf])
async def decline_reopen(
    request: Request, number: str, services: ServicesDep, staff: StaffTriager, message: Annotated[str, Form()] = "",
) -> Response:
    """Accepting a reopening request is the workflow's resolved -> reopened; declining needs a reply."""
    async def action() -> None:
        await services.complaints.decline_reopen(number, staff.username, message)

    return await _act(request, number, action)


@router.post("/reports/{number}/seen", dependencies=[Csrf])
async def mark_seen(request: Request, number: str, services: ServicesDep, staff: StaffTriager) -> Response:
    async def action() -> None:
        await services.complaints.mark_seen(number, staff.username)

    return await _act(request, number, action)


# --- staff accounts (admin) ----------------------------------------------------------------------


@router.get("/accounts")
async def accounts(request: Request, services: ServicesDep, staff: StaffAdmin,
                   error: str | None = None) -> Response:
    return render(request, "staff/accounts.html", {
        "staff": staff, "users": await services.accounts.list(), "error": error, "roles": [r.value for r in Role],
        "tokens": await services.accounts.tokens(),
    })


@router.post("/accounts/tokens/{token_id:int}/revoke", dependencies=[Csrf])
async def revoke_token(request: Request, token_id: RowId, services: ServicesDep, staff: StaffAdmin) -> Response:
    try:
        await services.accounts.revoke_token(token_id)
    except DomainError as exc:
        return _accounts_error(request, exc.message(page_language(request)))
    return RedirectResponse("/staff/accounts", status_code=303)


@router.post("/accounts", dependencies=[Csrf])
async def create_account(
    request: Request, services: ServicesDep, staff: StaffAdmin,
    username: Annotated[str, Form()] = "", role: Annotated[str, Form()] = "viewer",
    display_name: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
) -> Response:
    try:
        # A password the admin chose is known to two people: its owner changes it at first sign-in.
        account = await services.accounts.create(username, role, password=password or None,
                                                 display_name=display_name, must_change_password=True)
    except DomainError as exc:
        return _accounts_error(request, exc.message(page_language(request)))
    # The token (and a temporary password) are shown once, on this response only; never stored in clear.
    return render(request, "staff/accounts.html", {
        "staff": staff, "users": await services.accounts.list(), "new_token": account.token, "new_user": username,
        "temporary_password": account.temporary_password, "roles": [r.value for r in Role],
    })


@router.post("/accounts/{username}/password", dependencies=[Csrf])
async def reset_password(request: Request, username: str, services: ServicesDep, staff: StaffAdmin) -> Response:
    try:
        temporary = await services.accounts.reset_password(username)
    except DomainError as exc:
        return _accounts_error(request, exc.message(page_language(request)))
    return render(request, "staff/accounts.html", {
        "staff": staff, "users": await services.accounts.list(), "reset_user": username,
        "temporary_password": temporary, "roles": [r.value for r in Role],
    })


@router.post("/accounts/{username}/active", dependencies=[Csrf])
async def set_active(request: Request, username: str, services: ServicesDep, staff: StaffAdmin,
                     active: Annotated[bool, Form()] = False) -> Response:
    if username == staff.username and not active:
        return _accounts_error(request, "不能停用自己的账号 / You cannot deactivate yourself")
    await services.accounts.set_active(username, active)
    return RedirectResponse("/staff/accounts", status_code=303)


def _accounts_error(request: Request, message: str) -> Response:
    return RedirectResponse("/staff/accounts?" + urlencode({"error": message}), status_code=303)
