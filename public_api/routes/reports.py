"""The public side of the complaints tracker: categories, submission, the reporter's view."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field, ValidationError

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
from core.errors import ValidationFailed

from ..deps import Position, ReportLimit, ServicesDep
from ..errors import BASE_ERRORS, error_responses, validation_error
from ..forms import read_form
from ..i18n import request_language

router = APIRouter(prefix="/api/v1", tags=["reports"], responses=error_responses(*BASE_ERRORS))


class SubmitResponse(SubmitResult):
    status_url: str


@router.get("/categories", response_model=list[CategoryOut])
async def categories(services: ServicesDep) -> list[CategoryOut]:
    return await services.complaints.categories()


class SubmitReportForm(BaseModel):
    """The submission's multipart/form-data (or url-encoded, without photos) fields, for the API
    documentation: the route reads the form itself (public_api.forms) and validates the fields
    once, as a ReportInput."""

    category: str = Field(description="category code (e.g. dust) or Chinese name (施工扬尘)")
    description: str
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    anonymous: bool = False
    contact_email: str | None = Field(default=None, description="for e-mail updates; never shown")
    notify_email: bool = Field(default=False, description="send updates to contact_email")
    notify_sms: bool = Field(default=False, description="send updates by SMS to contact_phone (a mobile)")
    photos: list[bytes] = Field(default_factory=list, description="JPEG, PNG, WebP or HEIC",
                                json_schema_extra={"items": {"type": "string", "format": "binary"}})


_FORM_SCHEMA = SubmitReportForm.model_json_schema()
_FORM_FIELDS = tuple(name for name in SubmitReportForm.model_fields if name != "photos")


@router.post("/reports", status_code=201, response_model=SubmitResponse, dependencies=[ReportLimit],
             responses=error_responses(422, 429), openapi_extra={"requestBody": {"required": True, "content": {
                 "multipart/form-data": {"schema": _FORM_SCHEMA},
                 "application/x-www-form-urlencoded": {"schema": _FORM_SCHEMA}}}})
async def submit_report(request: Request) -> Response:
    """File a report with up to five photos; the answer holds its tracking number and the status
    token that reads it later."""
    services = request.app.state.services
    limits = services.complaints.policy.photo_limits
    form = await read_form(request, max_files=services.complaints.policy.max_photos,
                           max_file_bytes=limits.max_bytes)
    if form.fields.get("photos"):  # an empty one is a file input left empty
        raise ValidationFailed("照片须作为文件上传", "photos must be sent as files", code="invalid_request")
    # As FastAPI's Form parameters did: an empty optional field is no value (a flag left out is False).
    values: dict[str, Any] = {k: v for k, v in form.fields.items() if k in _FORM_FIELDS and (v != "" or k in (
        "category", "description"))}
    try:
        data = ReportInput(
            **values, channel=Channel.WEB if request.headers.get("x-civicdesk-channel") == "web" else Channel.API,
            language=request_language(request))
    except ValidationError as exc:
        raise validation_error(list(exc.errors()), FIELD_LABELS) from None
    uploads = [f for f in form.files.get("photos", []) if f.filename or f.size]
    services.complaints.check_photo_count(len(uploads))
    for upload in uploads:  # by its real size: only the first max_bytes + 1 were kept
        check_photo_size(upload.size, limits, upload.filename)
    photos = [PhotoUpload(data=u.data, filename=u.filename) for u in uploads]
    result = await services.complaints.submit(data, photos)
    base = services.settings.public_base_url.rstrip("/")
    status_url = f"{base}/api/v1/reports/{result.tracking_number}?token={result.status_token}"
    body = SubmitResponse(**result.model_dump(), status_url=status_url)
    return Response(body.model_dump_json(), status_code=201, media_type="application/json")


async def read_photos(uploads: list[UploadFile], limits: PhotoLimits) -> list[PhotoUpload]:
    """The uploads' bytes (Starlette's parsed files: the portal and Open311); a photo over the
    limit is refused by its real size (the spooled file's size) before it is read into memory."""
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
