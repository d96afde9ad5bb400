"""The public portal: what a citizen without Telegram can do from a browser."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import ValidationError

from civicdesk.container import Services
from complaints import links
from complaints.followup import MAX_COMMENT, MAX_REASON, MAX_SUPPLEMENT
from complaints.schemas import FIELD_LABELS, MAX_DESCRIPTION, Channel, ReporterView, ReportInput
from core.errors import DomainError, NotFound
from core.kit.validation import error_lines
from core.settings import Settings

from ..deps import ReportLimit, ServicesDep
from ..routes.reports import read_photos
from .auth import Csrf
from .templating import bureau_time, page_language, render
from .text import translate

router = APIRouter(include_in_schema=False)
FAVICON = Path(__file__).resolve().parent.parent / "static" / "favicon.ico"


@router.get("/")
async def home(request: Request) -> Response:
    return render(request, "portal/home.html")


async def _form_page(request: Request, services: Services, form: dict[str, object], errors: list[str] | None = None,
                     status_code: int = 200) -> Response:
    return render(request, "portal/report.html",
                  {"categories": await services.complaints.categories(), "form": form, "errors": errors,
                   "max_description": MAX_DESCRIPTION}, status_code=status_code)


@router.get("/favicon.ico")
async def favicon() -> Response:
    return FileResponse(FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/report")
async def report_form(request: Request, services: ServicesDep, category: str = "", description: str = "") -> Response:
    """The report form; `?category=&description=` prefill it (the policy answer's hand-off to a report)."""
    categories = await services.complaints.categories()
    form = {"category": category if category in {c.code for c in categories} else "",
            "description": description[:MAX_DESCRIPTION]}
    return await _form_page(request, services, form)


@router.post("/report", dependencies=[Csrf, ReportLimit])
async def submit_report(
    request: Request,
    services: ServicesDep,
    category: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    lat: Annotated[str, Form()] = "",
    lon: Annotated[str, Form()] = "",
    contact_name: Annotated[str, Form()] = "",
    contact_phone: Annotated[str, Form()] = "",
    anonymous: Annotated[bool, Form()] = False,
    contact_email: Annotated[str, Form()] = "",
    notify_email: Annotated[bool, Form()] = False,
    notify_sms: Annotated[bool, Form()] = False,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    lang = page_language(request)
    form = {"category": category, "description": description, "address": address, "lat": lat, "lon": lon,
            "contact_name": contact_name, "contact_phone": contact_phone, "anonymous": anonymous,
            "contact_email": contact_email, "notify_email": notify_email, "notify_sms": notify_sms}
    errors: list[str] = []
    try:
        data = ReportInput(
            category=category, description=description, address=address,
            lat=float(lat) if lat.strip() else None, lon=float(lon) if lon.strip() else None,
            channel=Channel.WEB, contact_name=contact_name or None, contact_phone=contact_phone or None,
            anonymous=anonymous, language=lang, contact_email=contact_email or None,
            notify_email=notify_email, notify_sms=notify_sms,
        )
    except ValueError as exc:  # pydantic's ValidationError is a ValueError; so is float("abc")
        if isinstance(exc, ValidationError):
            errors = error_lines(exc.errors(), FIELD_LABELS, lang)
        else:
            errors = ["纬度和经度必须是数字" if lang == "zh" else "Latitude and longitude must be numbers"]
    if not address.strip():  # the map helps; the address is what staff drive to
        errors.insert(0, "地址为必填项" if lang == "zh" else "The address is required")
    if not errors:
        uploads = [f for f in photos or [] if f.filename]
        try:
            services.complaints.check_photo_count(len(uploads))  # before reading any of them
            photo_data = await read_photos(uploads, services.complaints.policy.photo_limits)
            result = await services.complaints.submit(data, photo_data)
        except DomainError as exc:
            errors = [exc.message(lang)]
        else:
            status_url = status_link(services.settings, result.tracking_number, result.status_token)
            return render(request, "portal/report_done.html", {"result": result, "status_url": status_url},
                          status_code=201)
    return await _form_page(request, services, form, errors, status_code=422)


def reporter_photos(view: ReporterView, token: str = "") -> list[str]:
    """Where the reporter's page gets the report's public photo copies: with the status token
    (the public API's photo route), or, without one, the "my reports" route of the verified number."""
    if token:
        return [f"/api/v1/reports/{view.tracking_number}/photos/{n}?{urlencode({'token': token})}"
                for n in range(1, view.photo_count + 1)]
    return [f"/my-reports/{view.tracking_number}/photos/{n}" for n in range(1, view.photo_count + 1)]


def status_link(settings: Settings, number: str, token: str) -> str:
    """The status page's public address, for receipts and messages."""
    return links.status_link(settings.public_base_url, number, token)


@router.get("/status")
async def status_form(request: Request, number: str = "", token: str = "") -> Response:
    if number and token:
        return RedirectResponse(f"/status/{number.strip()}?{urlencode({'token': token.strip()})}", status_code=303)
    return render(request, "portal/status_form.html", {"number": number})


@router.get("/status/{number}")
async def status_page(request: Request, number: str, services: ServicesDep, token: str = "") -> Response:
    return await _status_page(request, services, number, token, done=request.query_params.get("done"))


async def _status_page(request: Request, services: Services, number: str, token: str, done: str | None = None,
                       error: str | None = None, form: dict[str, str] | None = None) -> Response:
    view = await _reporter_view(request, services, number, token)
    if isinstance(view, Response):
        return view
    followup = await services.complaints.followup_view(number, token, page_language(request))
    sms = await services.complaints.sms_updates(number, token)
    return render(request, "portal/status.html", {
        "v": view, "token": token, "photos": reporter_photos(view, token), "f": followup, "sms": sms,
        "stop_action": f"/status/{number}/stop-sms", "done": done if done in DONE_KEYS else None, "error": error,
        "form": form or {}, "limits": {"comment": MAX_COMMENT, "reason": MAX_REASON, "text": MAX_SUPPLEMENT}},
        status_code=422 if error else 200)


# What the reporter did, shown once on the status page after the redirect.
DONE_KEYS = ("rated", "reopen_requested", "supplemented", "sms_stopped")


async def _reporter_act(request: Request, services: Services, number: str, token: str, done: str,
                        action: Callable[[], Awaitable[None]], form: dict[str, str]) -> Response:
    """Run a reporter's action; then back to the status page (a redirect, so a reload does not
    repeat it), or the page again with the refusal and what was typed."""
    try:
        await action()
    except DomainError as exc:
        if isinstance(exc, NotFound):
            return render(request, "portal/status_form.html", {"number": number, "error": "not_found"},
                          status_code=404)
        return await _status_page(request, services, number, token, error=exc.message(page_language(request)),
                                  form=form)
    return RedirectResponse(f"/status/{number}?{urlencode({'token': token, 'done': done})}#followup",
                            status_code=303)


@router.post("/status/{number}/rate", dependencies=[Csrf])
async def rate(request: Request, number: str, services: ServicesDep, token: Annotated[str, Form()] = "",
               rating: Annotated[str, Form()] = "", comment: Annotated[str, Form()] = "") -> Response:
    async def action() -> None:
        await services.complaints.rate(number, token, rating, comment)

    return await _reporter_act(request, services, number, token, "rated", action, {"comment": comment})


@router.post("/status/{number}/reopen", dependencies=[Csrf])
async def reopen(request: Request, number: str, services: ServicesDep, token: Annotated[str, Form()] = "",
                 reason: Annotated[str, Form()] = "") -> Response:
    async def action() -> None:
        await services.complaints.request_reopen(number, token, reason)

    return await _reporter_act(request, services, number, token, "reopen_requested", action, {"reason": reason})


@router.post("/status/{number}/supplement", dependencies=[Csrf])
async def supplement(request: Request, number: str, services: ServicesDep, token: Annotated[str, Form()] = "",
                     text: Annotated[str, Form()] = "",
                     photos: Annotated[list[UploadFile] | None, File()] = None) -> Response:
    uploads = [f for f in photos or [] if f.filename]

    async def action() -> None:
        services.complaints.check_photo_count(len(uploads))  # before reading any of them
        photo_data = await read_photos(uploads, services.complaints.policy.photo_limits)
        await services.complaints.supplement(number, token, text, photo_data)

    return await _reporter_act(request, services, number, token, "supplemented", action, {"text": text})


@router.post("/status/{number}/stop-sms", dependencies=[Csrf])
async def stop_sms(request: Request, number: str, services: ServicesDep, token: Annotated[str, Form()] = "") -> Response:
    async def action() -> None:
        await services.complaints.stop_sms(number, token)

    return await _reporter_act(request, services, number, token, "sms_stopped", action, {})


async def _reporter_view(request: Request, services: Services, number: str, token: str) -> ReporterView | Response:
    """The reporter's view of a report, or the status form saying there is no such report."""
    try:
        return await services.complaints.reporter_view(number, token, page_language(request))
    except NotFound:
        return render(request, "portal/status_form.html", {"number": number, "error": "not_found"}, status_code=404)


@router.get("/status/{number}/receipt.txt")
async def receipt(request: Request, number: str, services: ServicesDep, token: str = "") -> Response:
    """A small text file to keep on the phone: number, token, status link, deadline."""
    view = await _reporter_view(request, services, number, token)
    if isinstance(view, Response):
        return view
    t = partial(translate, page_language(request))
    clock = bureau_time(request)
    lines = [
        f"{t('site_name')} · {t('receipt_title')}",
        f"{t('your_tracking_number')}: {view.tracking_number}",
        f"{t('token')}: {token}",
        f"{t('status_link')}: {status_link(services.settings, view.tracking_number, token)}",
        f"{t('created_at')}: {clock.text(view.created_at)}",
        f"{t('deadline')}: {clock.text(view.due_at)}",
        "",
    ]
    filename = f"civicdesk-{view.tracking_number}.txt"
    return Response("\r\n".join(lines), media_type="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
