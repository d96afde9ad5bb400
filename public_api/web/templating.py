"""Jinja2 set-up: autoescaping everywhere, the text catalog, and date formatting."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context

from complaints.workflow import status_label
from core.kit.bureau_time import BureauTime
from core.errors import DomainError

from .security import ensure_csrf_cookie
from .text import translate

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
LANG_COOKIE = "cd_lang"


def page_language(request: Request) -> str:
    """?lang= wins, then the language cookie, then Accept-Language; Chinese by default."""
    explicit = request.query_params.get("lang")
    if explicit in ("zh", "en"):
        return explicit
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in ("zh", "en"):
        return cookie
    from ..i18n import request_language

    return request_language(request)


def bureau_time(request: Request) -> BureauTime:
    return request.app.state.services.bureau_time


@pass_context
def local_time(context: Context, value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """`{{ value | local }}`: a stored time in the bureau's time zone."""
    return bureau_time(context["request"]).text(value, fmt)


def iso_local(value: str | None) -> str:
    """An ISO timestamp stored as text (audit values) in the bureau's time zone."""
    if not value:
        return ""
    try:
        return local_time(datetime.fromisoformat(value))
    except ValueError:
        return value


# Autoescaping for every template, whatever its file name: report text is untrusted input.
templates = Jinja2Templates(env=Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True))
templates.env.filters["local"] = local_time
templates.env.filters["mb"] = lambda size: f"{size / 1048576:.2f}".rstrip("0").rstrip(".")  # 10485760 -> "10"
templates.env.filters["iso_local"] = iso_local
templates.env.globals["status_label"] = status_label


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    lang = page_language(request)
    csrf = ensure_csrf_cookie(request)
    values = {
        "request": request,
        "lang": lang,
        "t": lambda key, **kw: translate(lang, key, **kw),
        "csrf_token": csrf.token,
        "cfg": request.app.state.services.settings,
        # the deadlines in force (the settings may leave them unset: the regulation's days then)
        "deadlines": request.app.state.services.complaints.policy.deadlines,
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, values, status_code=status_code)
    csrf.apply(response)
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, request.query_params["lang"], max_age=365 * 86400, samesite="lax",
                            httponly=True, secure=csrf.secure)
    return response


ERROR_KEYS = {404: "error_404", 405: "error_405", 413: "error_413", 429: "error_429"}


def error_page(request: Request, status: int, exc: DomainError) -> HTMLResponse:
    """The HTML error page for a web page: what went wrong in the page's language, and a way on."""
    lang = page_language(request)
    generic = exc.code.startswith("http_")  # the framework's bare 404/405/...: say it for people
    if generic and status in ERROR_KEYS:
        message = translate(lang, ERROR_KEYS[status])
    elif status == 422:
        message = translate(lang, "error_422", message=exc.message(lang))
    else:  # a domain refusal (a missing open day, a conflict): its own words are the best message
        message = exc.message(lang)
    return render(request, "error.html", {"message": message, "status": status}, status_code=status)
