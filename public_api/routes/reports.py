"""The public side of the complaints tracker: categories, submission, the reporter's view."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import ValidationError

from complaints.photos import PhotoLimits, check_photo_size
from complaints.schemas import (
    FIELD_LABELS,
    CategoryOut,
    Channel,
    PhotoUpload,
    ReporterView,
    ReportInput,
    SubmitResult,
)

from ..deps import LangDep, Position, ReportLimit, ServicesDep
from ..errors import BASE_ERRORS, error_responses, validation_error
from ..i18n import request_language

router = APIRouter(prefix="/api/v1", tags=["reports"], responses=error_responses(*BASE_ERRORS))


class SubmitResponse(SubmitResult):
    status_url: str


@router.get("/categories", response_model=list[CategoryOut])
async def categories(services: ServicesDep) -> list[CategoryOut]:
    return await services.complaints.categories()


@router.post("/reports", status_code=201, response_model=SubmitResponse, dependencies=[ReportLimit],
             responses=error_responses(429))
async def submit_report(
    request: Request,
    services: ServicesDep,
    lang: LangDep,
    category: Annotated[str, Form()],
    description: Annotated[str, Form()],
    address: Annotated[str, Form()] = "",
    lat: Annotated[float | None, Form()] = None,
    lon: Annotated[float | None, Form()] = None,
    contact_name: Annotated[str | None, Form()] = None,
    contact_phone: Annotated[str | None, Form()] = None,
    anonymous: Annotated[bool, Form()] = False,
    contact_email: Annotated[str | None, Form(description="for e-mail updates; never shown")] = None,
    notify_email: Annotated[bool, Form(description="send updates to contact_email")] = False,
    notify_sms: Annotated[bool, Form(description="send updates by SMS to contact_phone (a mobile)")] = False,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> SubmitResponse:
    settings = services.settings  # the body's size is checked while it streams (public_api.limits)
    try:
        data = ReportInput(
            category=category, description=description, address=address, lat=lat, lon=lon,
            channel=Channel.WEB if request.headers.get("x-civicdesk-channel") == "web" else Channel.API,
            contact_name=contact_name or None, contact_phone=contact_phone or None, anonymous=anonymous,
            language=lang, contact_email=contact_email or None, notify_email=notify_email, notify_sms=notify_sms,
        )
    except ValidationError as exc:
        raise validation_error(list(exc.errors()), FIELD_LABELS) from None
    uploads = [f for f in photos or [] if f.filename or f.size]
    services.complaints.check_photo_count(len(uploads))  # before reading any of them
    photo_data = await read_photos(uploads, services.complaints.policy.photo_limits)
    result = await services.complaints.submit(data, photo_data)
    status_url = (
        f"{settings.public_base_url.rstrip('/')}/api/v1/reports/{result.tracking_number}?token={result.status_token}"
    )
    return SubmitResponse(**result.model_dump(), status_url=status_url)


async def read_photos(uploads: list[UploadFile], limits: PhotoLimits) -> list[PhotoUpload]:
    """The uploads' bytes; a photo over the limit is refused by its real size (the spooled file's
    size) before it is read into memory."""
    photos = []
    for upload in uploads:
        if upload.size is not None:
            check_photo_size(upload.size, limits, upload.filename)
        # Read one byte past the limit: enough to know it is too large without reading it all.
        photos.append(PhotoUpload(data=await upload.read(limits.max_bytes + 1), filename=upload.filename))
    return photos


@router.get("/reports/{tracking_number}", response_model=ReporterView)
async def reporter_view(
    request: Request, tracking_number: str, token: Annotated[str, Query(min_length=8)]
) -> Response:
    """The busiest route. The view is built by the service and is already a ReporterView, so it is
    sent as its own JSON (FastAPI would validate it against the response model a second time),
    and the services and language are read here rather than through two dependencies."""
    services = request.app.state.services
    view = await services.complaints.reporter_view(tracking_number, token, request_language(request))
    return Response(view.model_dump_json(), media_type="application/json")


@router.get("/reports/{tracking_number}/photos/{n}", response_class=Response)
async def public_photo(
    tracking_number: str, n: Position, services: ServicesDep, token: Annotated[str, Query(min_length=8)]
) -> Response:
    key, mime = await services.complaints.public_photo(tracking_number, n, token)
    return photo_response(services, key, mime)


def photo_response(services: ServicesDep, key: str, mime: str) -> Response:
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    path = services.photos.path_for(key)
    if path is not None:
        return FileResponse(path, media_type=mime, headers=headers)
    return Response(services.photos.get(key), media_type=mime, headers=headers)
