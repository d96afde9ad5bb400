"""'My reports' on the portal: the mobile number given with the reports, a one-time code by SMS,
then the list (issue 11 item 4). The rules are in accounts/verification.py.

After the right code the browser holds a proof (cookie `cd_phone`, HttpOnly, SameSite=Strict,
30 minutes) sealed with the number and bound to this browser's CSRF cookie: a proof copied into
another browser does not open the list, and forms need the CSRF token as everywhere else."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from accounts.verification import MY_REPORTS, PROOF_TTL
from core.errors import DomainError, NotFound, TooManyRequests
from core.phones import mask_phone

from ..deps import Position, ServicesDep
from ..errors import status_for
from ..routes.my_reports import client_of
from ..routes.reports import photo_response
from .auth import Csrf
from .portal import reporter_photos
from .security import csrf_cookie_name, is_secure
from .templating import page_language, render

router = APIRouter(include_in_schema=False)
PHONE_COOKIE = "cd_phone"


def proof_cookie_name(request: Request) -> str:
    return "__Host-" + PHONE_COOKIE if is_secure(request) else PHONE_COOKIE


def browser_binding(request: Request) -> str:
    """What a portal proof is bound to: this browser's CSRF cookie (random, HttpOnly)."""
    return request.cookies.get(csrf_cookie_name(request)) or getattr(request.state, "csrf_token", "") or ""


def verified_phone(request: Request, services: ServicesDep, purpose: str) -> str | None:
    binding = browser_binding(request)
    if not binding:
        return None
    return services.phone_codes.verified_phone(request.cookies.get(proof_cookie_name(request)), purpose, binding)


def set_proof(request: Request, response: Response, proof: str) -> None:
    response.set_cookie(proof_cookie_name(request), proof, max_age=int(PROOF_TTL.total_seconds()), httponly=True,
                        samesite="strict", secure=is_secure(request), path="/")


def refused(request: Request, template: str, context: dict[str, object], exc: DomainError) -> Response:
    """The page again with the refusal in the page's language and what was typed (4xx)."""
    response = render(request, template, {**context, "error": exc.message(page_language(request))},
                      status_code=status_for(exc))
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@router.get("/my-reports")
async def my_reports(request: Request, services: ServicesDep) -> Response:
    phone = verified_phone(request, services, MY_REPORTS)
    if phone is None:
        return render(request, "portal/my_reports.html", {"step": "phone", "phone": ""})
    reports = await services.complaints.reports_of_phone(phone, lang=page_language(request))
    return render(request, "portal/my_reports.html", {"step": "list", "masked": mask_phone(phone), "reports": reports})


@router.post("/my-reports/code", dependencies=[Csrf])
async def send_code(request: Request, services: ServicesDep, phone: Annotated[str, Form(max_length=40)] = "") -> Response:
    try:
        await services.phone_codes.request_code(phone, MY_REPORTS, client_of(request), page_language(request))
    except DomainError as exc:
        return refused(request, "portal/my_reports.html", {"step": "phone", "phone": phone}, exc)
    return render(request, "portal/my_reports.html", {"step": "code", "phone": phone, "sent": True})


@router.post("/my-reports/verify", dependencies=[Csrf])
async def verify(request: Request, services: ServicesDep, phone: Annotated[str, Form(max_length=40)] = "",
                 code: Annotated[str, Form(max_length=20)] = "") -> Response:
    try:
        proof, _, _ = await services.phone_codes.verify(phone, MY_REPORTS, code, browser_binding(request))
    except DomainError as exc:
        return refused(request, "portal/my_reports.html", {"step": "code", "phone": phone, "code": code}, exc)
    response = RedirectResponse("/my-reports", status_code=303)
    set_proof(request, response, proof)
    return response


@router.post("/my-reports/sign-out", dependencies=[Csrf])
async def sign_out(request: Request) -> Response:
    response = RedirectResponse("/my-reports", status_code=303)
    response.delete_cookie(proof_cookie_name(request), path="/", secure=is_secure(request), httponly=True,
                           samesite="strict")
    return response


@router.get("/my-reports/{number}")
async def my_report(request: Request, number: str, services: ServicesDep) -> Response:
    """A report of the verified number: its status page without the token's actions."""
    phone = verified_phone(request, services, MY_REPORTS)
    if phone is None:
        return RedirectResponse("/my-reports", status_code=303)
    try:
        view = await services.complaints.reporter_view_for_phone(number[:20], phone, page_language(request))
    except NotFound:
        return render(request, "portal/my_reports.html",
                      {"step": "list", "masked": mask_phone(phone), "reports": [], "missing": number[:20]},
                      status_code=404)
    return render(request, "portal/status.html", {"v": view, "token": "", "photos": reporter_photos(view),
                                                  "f": None, "sms": None, "by_phone": True, "form": {},
                                                  "limits": {}})


@router.get("/my-reports/{number}/photos/{n}")
async def my_report_photo(request: Request, number: str, n: Position, services: ServicesDep) -> Response:
    """A public (EXIF-free) photo copy of a report of the verified number."""
    phone = verified_phone(request, services, MY_REPORTS)
    if phone is None:
        return RedirectResponse("/my-reports", status_code=303)
    key, mime = await services.complaints.public_photo_for_phone(number[:20], n, phone)
    return photo_response(services, key, mime)
