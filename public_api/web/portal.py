"""The public portal: what a citizen without Telegram can do from a browser."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from complaints.schemas import FIELD_LABELS, MAX_DESCRIPTION, Channel, PhotoUpload, ReportInput
from core.errors import DomainError, NotFound
from core.kit.validation import error_lines

from ..deps import ReportLimit, ServicesDep
from .auth import Csrf
from .templating import page_language, render

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request) -> Response:
    return render(request, "portal/home.html")


@router.get("/report")
async def report_form(request: Request, services: ServicesDep, category: str = "", description: str = "") -> Response:
    """The report form; `?category=&description=` prefill it (the policy answer's hand-off to a report)."""
    categories = await services.complaints.categories()
    form = {"category": category if category in {c.code for c in categories} else "",
            "description": description[:MAX_DESCRIPTION]}
    return render(request, "portal/report.html", {"categories": categories, "form": form})


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
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    lang = page_language(request)
    form = {"category": category, "description": description, "address": address, "lat": lat, "lon": lon,
            "contact_name": contact_name, "contact_phone": contact_phone, "anonymous": anonymous}
    errors: list[str] = []
    try:
        data = ReportInput(
            category=category, description=description, address=address,
            lat=float(lat) if lat.strip() else None, lon=float(lon) if lon.strip() else None,
            channel=Channel.WEB, contact_name=contact_name or None, contact_phone=contact_phone or None,
            anonymous=anonymous, language=lang,
        )
    except ValueError as exc:  # pydantic's ValidationError is a ValueError; so is float("abc")
        if isinstance(exc, ValidationError):
            errors = error_lines(exc.errors(), FIELD_LABELS, lang)
        else:
            errors = ["纬度和经度必须是数字" if lang == "zh" else "Latitude and longitude must be numbers"]
    if not errors:
        settings = services.settings
        uploads = [f for f in photos or [] if f.filename]
        try:
            services.complaints.check_photo_count(len(uploads))  # before reading any of them
            photo_data = [PhotoUpload(await f.read(settings.max_photo_bytes + 1), f.filename) for f in uploads]
            result = await services.complaints.submit(data, photo_data)
        except DomainError as exc:
            errors = [exc.message(lang)]
        else:
            return render(request, "portal/report_done.html", {"result": result}, status_code=201)
    return render(request, "portal/report.html",
                  {"categories": await services.complaints.categories(), "form": form, "errors": errors},
                  status_code=422)


@router.get("/status")
async def status_form(request: Request, number: str = "", token: str = "") -> Response:
    if number and token:
        return RedirectResponse(f"/status/{number.strip()}?{urlencode({'token': token.strip()})}", status_code=303)
    return render(request, "portal/status_form.html", {"number": number})


@router.get("/status/{number}")
async def status_page(request: Request, number: str, services: ServicesDep, token: str = "") -> Response:
    lang = page_language(request)
    try:
        view = await services.complaints.reporter_view(number, token, lang)
    except NotFound:
        return render(request, "portal/status_form.html", {"number": number, "error": "not_found"}, status_code=404)
    return render(request, "portal/status.html", {"v": view, "token": token})
