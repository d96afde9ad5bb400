"""Console pages for admins: staff accounts (roles, departments, passwords) and the departments
with the categories routed to them."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from accounts.roles import Role
from core.errors import DomainError

from ..deps import RowId, ServicesDep
from .auth import Csrf, StaffAdmin
from .templating import page_language, render

router = APIRouter(prefix="/staff", include_in_schema=False)


async def _accounts_page(request: Request, services: ServicesDep, staff: Any, **extra: Any) -> Response:
    return render(request, "staff/accounts.html", {
        "staff": staff, "users": await services.accounts.list(), "roles": [r.value for r in Role],
        "departments": await services.departments.list(active_only=True),
        "tokens": await services.accounts.tokens(), **extra,
    })


def _back(path: str, request: Request, exc: DomainError | str) -> Response:
    message = exc if isinstance(exc, str) else exc.message(page_language(request))
    return RedirectResponse(f"{path}?" + urlencode({"error": message}), status_code=303)


@router.get("/accounts")
async def accounts(request: Request, services: ServicesDep, staff: StaffAdmin, error: str | None = None) -> Response:
    return await _accounts_page(request, services, staff, error=error)


@router.post("/accounts/tokens/{token_id:int}/revoke", dependencies=[Csrf])
async def revoke_token(request: Request, token_id: RowId, services: ServicesDep, staff: StaffAdmin) -> Response:
    try:
        await services.accounts.revoke_token(token_id)
    except DomainError as exc:
        return _back("/staff/accounts", request, exc)
    return RedirectResponse("/staff/accounts", status_code=303)


@router.post("/accounts", dependencies=[Csrf])
async def create_account(
    request: Request, services: ServicesDep, staff: StaffAdmin,
    username: Annotated[str, Form()] = "", role: Annotated[str, Form()] = "viewer",
    display_name: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
    department: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        # A password the admin chose is known to two people: its owner changes it at first sign-in.
        account = await services.accounts.create(username, role, password=password or None,
                                                 display_name=display_name, must_change_password=True,
                                                 departments=[d for d in department or [] if d])
    except DomainError as exc:
        return _back("/staff/accounts", request, exc)
    # The token (and a temporary password) are shown once, on this response only; never stored in clear.
    return await _accounts_page(request, services, staff, new_token=account.token, new_user=username,
                                temporary_password=account.temporary_password)


@router.post("/accounts/{username}/departments", dependencies=[Csrf])
async def set_departments(request: Request, username: str, services: ServicesDep, staff: StaffAdmin,
                          department: Annotated[list[str] | None, Form()] = None) -> Response:
    try:
        await services.accounts.set_departments(username, [d for d in department or [] if d])
    except DomainError as exc:
        return _back("/staff/accounts", request, exc)
    return RedirectResponse("/staff/accounts", status_code=303)


@router.post("/accounts/{username}/password", dependencies=[Csrf])
async def reset_password(request: Request, username: str, services: ServicesDep, staff: StaffAdmin) -> Response:
    try:
        temporary = await services.accounts.reset_password(username)
    except DomainError as exc:
        return _back("/staff/accounts", request, exc)
    return await _accounts_page(request, services, staff, reset_user=username, temporary_password=temporary)


@router.post("/accounts/{username}/active", dependencies=[Csrf])
async def set_active(request: Request, username: str, services: ServicesDep, staff: StaffAdmin,
                     active: Annotated[bool, Form()] = False) -> Response:
    if username == staff.username and not active:
        return _back("/staff/accounts", request, "不能停用自己的账号 / You cannot deactivate yourself")
    await services.accounts.set_active(username, active)
    return RedirectResponse("/staff/accounts", status_code=303)


# --- departments --------------------------------------------------------------------------------


@router.get("/departments")
async def departments(request: Request, services: ServicesDep, staff: StaffAdmin, error: str | None = None,
                      msg: str | None = None) -> Response:
    return render(request, "staff/departments.html", {
        "staff": staff, "departments": await services.departments.list(),
        "categories": await services.complaints.categories(), "error": error,
        "msg": msg if msg == "saved" else None,
    })


@router.post("/departments", dependencies=[Csrf])
async def create_department(request: Request, services: ServicesDep, staff: StaffAdmin,
                            name: Annotated[str, Form()] = "", contact: Annotated[str, Form()] = "",
                            telegram_chat_id: Annotated[str, Form()] = "") -> Response:
    try:
        await services.departments.create(name, contact, telegram_chat_id)
    except DomainError as exc:
        return _back("/staff/departments", request, exc)
    return RedirectResponse("/staff/departments?msg=saved", status_code=303)


@router.post("/departments/{department_id}", dependencies=[Csrf])
async def update_department(request: Request, department_id: int, services: ServicesDep, staff: StaffAdmin,
                            name: Annotated[str, Form()] = "", contact: Annotated[str, Form()] = "",
                            telegram_chat_id: Annotated[str, Form()] = "",
                            active: Annotated[bool, Form()] = False) -> Response:
    try:
        await services.departments.update(department_id, name=name, contact=contact,
                                          telegram_chat_id=telegram_chat_id, active=active)
    except DomainError as exc:
        return _back("/staff/departments", request, exc)
    return RedirectResponse("/staff/departments?msg=saved", status_code=303)


@router.post("/categories/{code}/department", dependencies=[Csrf])
async def route_category(request: Request, code: str, services: ServicesDep, staff: StaffAdmin,
                         department: Annotated[str, Form()] = "") -> Response:
    try:
        await services.complaints.set_category_department(code, department or None)
    except DomainError as exc:
        return _back("/staff/departments", request, exc)
    return RedirectResponse("/staff/departments?msg=saved", status_code=303)
