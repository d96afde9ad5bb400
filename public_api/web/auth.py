"""Signing staff in and out of the web console, and the page-level role checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from accounts.roles import Role, role_allows
from accounts.service import USERNAME_MAX, StaffIdentity
from core.errors import DomainError, ValidationFailed

from ..deps import ServicesDep
from .security import csrf_valid, is_secure
from .templating import page_language, render

SESSION_COOKIE = "cd_staff"
LOGIN_LIMIT = 5  # attempts per username and address in LOGIN_WINDOW_S; success resets
LOGIN_WINDOW_S = 15 * 60

router = APIRouter(include_in_schema=False)


class LoginRequired(Exception):
    def __init__(self, next_url: str):
        self.next_url = next_url


class PageForbidden(Exception):
    pass


class CsrfFailed(Exception):
    pass


class PasswordChangeRequired(Exception):
    pass


# The pages an account with a temporary password may still open.
PASSWORD_PAGES = ("/staff/password", "/staff/logout")


def require_page_role(role: Role) -> Callable[..., Awaitable[StaffIdentity]]:
    async def dependency(request: Request, services: ServicesDep) -> StaffIdentity:
        token = request.cookies.get(SESSION_COOKIE)
        identity = await services.accounts.by_session(token) if token else None
        if identity is None:
            raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if identity.must_change_password and request.url.path not in PASSWORD_PAGES:
            raise PasswordChangeRequired()
        if not role_allows(identity.role, role):
            raise PageForbidden()
        request.state.staff = identity
        return identity

    return dependency


async def check_csrf(request: Request) -> None:
    """For form posts: the form's token must match the cookie (else 403, nothing changes)."""
    form = await request.form()
    submitted = form.get("csrf_token")
    if not csrf_valid(request, submitted if isinstance(submitted, str) else None):
        raise CsrfFailed()


StaffViewer = Annotated[StaffIdentity, Depends(require_page_role(Role.VIEWER))]
StaffTriager = Annotated[StaffIdentity, Depends(require_page_role(Role.TRIAGER))]
StaffAdmin = Annotated[StaffIdentity, Depends(require_page_role(Role.ADMIN))]
Csrf = Depends(check_csrf)


def _safe_next(next_url: str | None) -> str:
    # Only paths on this site: never an open redirect to another host.
    if next_url and next_url.startswith("/staff") and not next_url.startswith("//"):
        return next_url
    return "/staff"


@router.get("/staff/login")
async def login_page(request: Request, next: str | None = None, msg: str | None = None) -> Response:
    return render(request, "staff/login.html", {"next": _safe_next(next), "msg": msg})


@router.post("/staff/login", dependencies=[Csrf])
async def login(
    request: Request,
    services: ServicesDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/staff",
) -> Response:
    # No account has a longer name: a longer one is cut before it becomes a limiter key (a 1 MB
    # name must not be kept for 15 minutes) and fails as any wrong name does.
    username = username.strip()[: USERNAME_MAX + 1]
    # The real client: uvicorn trusts no forwarded header; public_api.app does, from configured proxies.
    client = request.client.host if request.client else "unknown"
    key = f"login:{username.lower()}:{client}"
    if not await services.limiter.hit(key, LOGIN_LIMIT, LOGIN_WINDOW_S):
        return render(request, "staff/login.html", {"next": _safe_next(next), "error": "login_throttled",
                                                    "username": username}, status_code=429)
    identity = await services.accounts.by_password(username, password)
    if identity is None:
        return render(request, "staff/login.html", {"next": _safe_next(next), "error": "login_failed",
                                                    "username": username}, status_code=401)
    await services.limiter.reset(key)
    token = await services.accounts.open_session(identity, request.headers.get("user-agent", ""))
    target = "/staff/password" if identity.must_change_password else _safe_next(next)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=is_secure(request),
                        path="/staff", max_age=12 * 3600)
    return response


@router.get("/staff/password")
async def password_page(request: Request, staff: StaffViewer, msg: str | None = None) -> Response:
    return render(request, "staff/password.html", {"staff": staff, "msg": msg})


@router.post("/staff/password", dependencies=[Csrf])
async def change_password(
    request: Request, services: ServicesDep, staff: StaffViewer,
    current: Annotated[str, Form()] = "", new: Annotated[str, Form()] = "", repeat: Annotated[str, Form()] = "",
) -> Response:
    lang = page_language(request)
    try:
        if new != repeat:
            raise ValidationFailed("两次输入的新密码不一致", "The two new passwords differ", code="password_mismatch")
        await services.accounts.change_password(staff.id, current, new, keep_session=request.cookies.get(SESSION_COOKIE))
    except DomainError as exc:
        return render(request, "staff/password.html", {"staff": staff, "error": exc.message(lang)}, status_code=400)
    return RedirectResponse("/staff?msg=password_changed", status_code=303)


@router.post("/staff/logout", dependencies=[Csrf])
async def logout(request: Request, services: ServicesDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await services.accounts.close_session(token)
    response = RedirectResponse("/staff/login?msg=signed_out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/staff")
    return response


def install_page_errors(app: object) -> None:
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/staff/login?next={quote(exc.next_url)}", status_code=303)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        return render(request, "error.html", {"message_key": "forbidden"}, status_code=403)

    @app.exception_handler(PasswordChangeRequired)
    async def _password(request: Request, exc: PasswordChangeRequired) -> Response:
        return RedirectResponse("/staff/password", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        return render(request, "error.html", {"message_key": "csrf_failed"}, status_code=403)
