"""The GeoReport v2 endpoints. Each translates the spec's parameters into domain calls and the
answer into the spec's documents (render.py); errors come out as the spec's error list through
`public_api.errors` (see `error_document`)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError

from accounts.client_keys import ClientKeys
from complaints.open311 import (
    MAX_REQUESTS,
    attributes_text,
    contact_name,
    parse_time,
    profile,
    read_attributes,
    search_window,
    workflow_statuses,
)
from complaints.schemas import FIELD_LABELS, CategoryOut, Channel, ReportInput
from complaints.service import PublicReportQuery
from core.errors import NotFound, ValidationFailed
from core.kit.language import pick

from ..deps import LangDep, ServicesDep
from ..errors import ApiError, validation_error
from ..routes.reports import read_photos
from . import render

Fmt = Annotated[Literal["xml", "json"], Path(description="the answer's format: xml (the spec's default) or json")]
_XML = {"schema": {"type": "string"}}
_ERRORS = {"type": "array", "items": {"type": "object", "required": ["code", "description"],
                                      "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}}}
_ERROR_TEXT = {400: "Invalid or missing parameters", 403: "Missing, unknown or revoked api_key",
               404: "No such service, request, token or jurisdiction", 413: "Request body too large"}


def _doc(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}, "text/xml": _XML}}


def _list(*required: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "object", "required": list(required)}}


async def check_jurisdiction(services: ServicesDep, jurisdiction_id: Annotated[str | None, Query(max_length=100)] = None
                             ) -> None:
    """One jurisdiction is served: a client naming another one is told so (404)."""
    expected = services.settings.open311_jurisdiction_id
    if expected and jurisdiction_id and jurisdiction_id != expected:
        raise NotFound(f"本服务不受理辖区“{jurisdiction_id}”", f"Unknown jurisdiction_id '{jurisdiction_id}'",
                       code="unknown_jurisdiction")


router = APIRouter(prefix="/open311/v2", tags=["open311"], dependencies=[Depends(check_jurisdiction)],
                   responses={code: _doc(text, _ERRORS) for code, text in _ERROR_TEXT.items()})


discovery = APIRouter(prefix="/open311", tags=["open311"])


@discovery.get("/discovery.{fmt}", response_class=Response,
               responses={200: _doc("Where the GeoReport v2 endpoint is, its formats, and whom to ask for a key",
                                    {"type": "object", "required": ["changeset", "endpoints"]})})
async def discovery_document(fmt: Fmt, services: ServicesDep, lang: LangDep) -> Response:
    s = services.settings
    contact = "，".join(part for part in (s.bureau_name, s.bureau_hotline, s.bureau_email) if part)
    ask = " / ".join(part for part in (s.bureau_email, s.bureau_phone or s.bureau_hotline) if part)
    key_service = pick(lang, f"提交请求需要 api_key，请联系{s.bureau_name}（{ask}）申请",
                       f"POSTing requests needs an api_key: ask {s.bureau_name} ({ask})")
    return render.document(fmt, "discovery", None, render.discovery_row(s.public_base_url, contact, key_service))


async def _category(services: ServicesDep, code: str) -> CategoryOut | None:
    return next((c for c in await services.complaints.categories() if c.code == code), None)


@router.get("/services.{fmt}", response_class=Response,
            responses={200: _doc("The services: one per report category", _list("service_code", "service_name"))})
async def service_list(fmt: Fmt, services: ServicesDep, lang: LangDep) -> Response:
    rows = [render.service_row(c, profile(c.code), lang) for c in await services.complaints.categories()]
    return render.document(fmt, "services", "service", rows)


@router.get("/services/{service_code}.{fmt}", response_class=Response,
            responses={200: _doc("The service's attributes", {"type": "object", "required": ["service_code"]})})
async def service_definition(service_code: Annotated[str, Path(max_length=40)], fmt: Fmt, services: ServicesDep,
                             lang: LangDep) -> Response:
    if await _category(services, service_code) is None:
        raise NotFound(f"没有服务代码为“{service_code}”的服务", f"No service with code '{service_code}'",
                       code="unknown_service")
    return render.document(fmt, "service_definition", None, render.definition_row(service_code, profile(service_code),
                                                                                  lang))


_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,40})\](\[\])?$")
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)


def _attributes(form: Any) -> dict[str, list[str]]:
    given: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        match = _ATTRIBUTE.match(key)
        if match and isinstance(value, str):
            given.setdefault(match.group(1), []).append(value)
    return given


async def _client(keys: ClientKeys, key: str | None) -> str:
    client = await keys.client_for(key)
    if client is None:
        raise ApiError(403, "api_key 无效、已撤销或未提供", "Invalid, revoked or missing api_key", code="invalid_api_key")
    return client


def _private_note(client: str, email: str | None, media_url: str | None, account_id: str | None,
                  device_id: str | None) -> str:
    """What only staff may read: who sent it, and contact facts the report has no field for."""
    if email and (len(email) > 254 or not re.fullmatch(r"[^@\s]+@[^@\s]+", email)):
        raise ValidationFailed("email 不是有效的电子邮箱地址", "email is not a valid e-mail address", code="invalid_email")
    if media_url and (len(media_url) > 2000 or not _URL.match(media_url)):
        raise ValidationFailed("media_url 须为 http(s) 网址", "media_url must be an http(s) URL", code="invalid_media_url")
    lines = [f"经 Open311 客户端“{client}”提交"]
    lines += [f"联系邮箱：{email}"] if email else []
    # The server never fetches a client's URL (no requests to addresses a client picks): staff open it.
    lines += [f"照片链接（未下载，请自行查看）：{media_url}"] if media_url else []
    lines += [f"客户端账号：{account_id}"] if account_id else []
    lines += [f"设备标识：{device_id}"] if device_id else []
    return "\n".join(lines)


@router.post("/requests.{fmt}", status_code=201, response_class=Response,
             responses={201: _doc("The new request's id and token", _list("service_request_id"))})
async def create_request(
    request: Request, fmt: Fmt, services: ServicesDep, lang: LangDep,
    api_key: Annotated[str | None, Form(max_length=200)] = None,
    service_code: Annotated[str | None, Form(max_length=40)] = None,
    lat: Annotated[float | None, Form()] = None,
    long: Annotated[float | None, Form()] = None,
    address_string: Annotated[str | None, Form(max_length=500)] = None,
    address_id: Annotated[str | None, Form(max_length=100)] = None,
    description: Annotated[str | None, Form(max_length=4000)] = None,
    media_url: Annotated[str | None, Form(max_length=2000)] = None,
    email: Annotated[str | None, Form(max_length=254)] = None,
    first_name: Annotated[str | None, Form(max_length=50)] = None,
    last_name: Annotated[str | None, Form(max_length=50)] = None,
    phone: Annotated[str | None, Form(max_length=40)] = None,
    device_id: Annotated[str | None, Form(max_length=100)] = None,
    account_id: Annotated[str | None, Form(max_length=100)] = None,
    media: Annotated[list[UploadFile] | None, File(description="photos (an extension of the spec)")] = None,
) -> Response:
    """File a report (channel `open311`; it enters triage like any other). Contact fields are kept
    for staff only; `attribute[code]` (or `attribute[code][]` for several values) as the service
    definition says."""
    client = await _client(services.client_keys, api_key or request.query_params.get("api_key"))
    if not service_code:
        raise ValidationFailed("缺少 service_code", "service_code is required", code="service_code_required")
    if await _category(services, service_code) is None:
        raise ValidationFailed(f"没有服务代码为“{service_code}”的服务", f"No service with code '{service_code}'",
                               code="unknown_service")
    if (lat is None) != (long is None):
        raise ValidationFailed("lat 和 long 须同时提供", "Give both lat and long", code="location_required")
    if lat is None and not (address_string or "").strip():
        raise ValidationFailed(
            "请提供位置：lat 和 long，或 address_string" + ("（不支持 address_id）" if address_id else ""),
            "A location is required: lat and long, or address_string" + (" (address_id is not supported)"
                                                                          if address_id else ""),
            code="location_required")
    answers = read_attributes(profile(service_code), _attributes(await request.form()))
    text = "\n\n".join(part for part in ((description or "").strip(), attributes_text(answers)) if part)
    try:
        data = ReportInput(
            category=service_code, description=text, address=(address_string or "").strip(), lat=lat, lon=long,
            channel=Channel.OPEN311, reporter_channel_id=client[:64], contact_name=contact_name(first_name, last_name),
            contact_phone=(phone or "").strip() or None, language=lang,
            intake_note=_private_note(client, (email or "").strip() or None, (media_url or "").strip() or None,
                                      account_id, device_id),
        )
    except ValidationError as exc:
        raise validation_error(list(exc.errors()), FIELD_LABELS) from None
    uploads = [f for f in media or [] if f.filename or f.size]
    services.complaints.check_photo_count(len(uploads))
    result = await services.complaints.submit(data, await read_photos(uploads, services.complaints.policy.photo_limits))
    due = services.bureau_time.text(result.acceptance_due_at)
    notice = pick(lang, f"已登记，将于 {due} 前决定是否受理", f"Received; the bureau decides on acceptance by {due}")
    return render.document(fmt, "service_requests", "request", [{
        "service_request_id": result.tracking_number, "token": result.status_token, "service_notice": notice,
        "account_id": None,
    }], status_code=201)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@router.get("/requests.{fmt}", response_class=Response,
            responses={200: _doc("Requests, newest first", _list("service_request_id", "status"))})
async def list_requests(
    fmt: Fmt, services: ServicesDep, lang: LangDep,
    service_request_id: Annotated[str | None, Query(max_length=20_000, description="comma-separated; "
                                                    "overrides every other filter")] = None,
    service_code: Annotated[str | None, Query(max_length=2000, description="comma-separated")] = None,
    start_date: Annotated[str | None, Query(max_length=40)] = None,
    end_date: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=40, description="open, closed or both, comma-separated")] = None,
    page_size: Annotated[int, Query(ge=1, le=MAX_REQUESTS)] = MAX_REQUESTS,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Requests received within start_date..end_date (at most 90 days apart; the last 90 days by
    default), at most 1,000 per answer (`page_size`, `page` to go further)."""
    numbers = _split(service_request_id)
    if numbers:
        query = PublicReportQuery(numbers=tuple(numbers[:MAX_REQUESTS]))
    else:
        bureau = services.bureau_time
        start, end = search_window(parse_time(start_date, bureau, "start_date") if start_date else None,
                                   parse_time(end_date, bureau, "end_date", end=True) if end_date else None,
                                   services.clock.now())
        statuses = frozenset().union(*(workflow_statuses(s) for s in _split(status))) if _split(status) else None
        query = PublicReportQuery(categories=tuple(_split(service_code)), statuses=statuses, received_from=start,
                                  received_to=end)
    found, _ = await services.complaints.public_reports(query, (page - 1) * page_size, page_size)
    rows = [render.request_row(r, services.bureau_time, lang) for r in found]
    return render.document(fmt, "service_requests", "request", rows)


@router.get("/requests/{service_request_id}.{fmt}", response_class=Response,
            responses={200: _doc("The request (a list of one)", _list("service_request_id", "status"))})
async def get_request(service_request_id: Annotated[str, Path(max_length=32)], fmt: Fmt, services: ServicesDep,
                      lang: LangDep) -> Response:
    report = await services.complaints.public_report(service_request_id)
    return render.document(fmt, "service_requests", "request", [render.request_row(report, services.bureau_time, lang)])


@router.get("/tokens/{token}.{fmt}", response_class=Response,
            responses={200: _doc("The request id of a token", _list("service_request_id", "token"))})
async def token_request(token: Annotated[str, Path(min_length=8, max_length=100)], fmt: Fmt,
                        services: ServicesDep) -> Response:
    number = await services.complaints.number_for_token(token, Channel.OPEN311.value)
    return render.document(fmt, "service_requests", "request", [{"service_request_id": number, "token": token}])
