"""One-time codes by SMS, and "my reports" by a verified mobile number (issue 11 item 4).

POST /api/v1/phone-codes sends a code (the same answer whether or not the number has reports);
POST /api/v1/phone-codes/verify checks it and returns a token (30 minutes) that the caller sends
as `X-Phone-Token` to /api/v1/my/reports: the list, one report, and its photos' public copies (a
report found by phone has no status token to read them with). The rules are in
accounts/verification.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from accounts.verification import MY_REPORTS, REGISTRATION
from complaints.schemas import ReporterView
from core.phones import mask_phone

from ..deps import LangDep, Position, ServicesDep
from ..errors import BASE_ERRORS, ApiError, error_responses
from .reports import photo_response

router = APIRouter(prefix="/api/v1", tags=["my reports"], responses=error_responses(*BASE_ERRORS))

API_BINDING = "api"  # an API proof is a bearer token: whoever holds it (the portal binds to its cookie)
Purpose = Literal["my_reports", "registration"]


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class CodeRequest(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    phone: str = Field(min_length=1, max_length=40, description="a mainland mobile number, as typed")
    purpose: Purpose = Field(default=MY_REPORTS, description="my_reports, or registration (open days)")


class CodeSent(BaseModel):
    sent: bool = Field(description="a code is on its way if the number is a mobile (the same answer for every number)")
    expires_at: datetime
    expires_in_s: int


class CodeCheck(CodeRequest):
    code: str = Field(min_length=1, max_length=20, description="the 6 digits received by SMS")


class PhoneToken(BaseModel):
    token: str = Field(description="send as X-Phone-Token; valid until expires_at")
    expires_at: datetime


class MyReport(BaseModel):
    tracking_number: str
    status: str
    status_label: str
    category: str
    created_at: datetime
    status_url: str = Field(description="this report's page for the verified number (the portal's my-reports page)")
    api_url: str


class MyReports(BaseModel):
    phone: str = Field(description="the verified number, masked")
    reports: list[MyReport]


@router.post("/phone-codes", status_code=202, response_model=CodeSent, responses=error_responses(429))
async def send_code(body: CodeRequest, request: Request, services: ServicesDep, lang: LangDep) -> CodeSent:
    expires = await services.phone_codes.request_code(body.phone, body.purpose, client_of(request), lang)
    return CodeSent(sent=True, expires_at=expires, expires_in_s=int((expires - services.clock.now()).total_seconds()))


@router.post("/phone-codes/verify", response_model=PhoneToken)
async def verify_code(body: CodeCheck, services: ServicesDep) -> PhoneToken:
    token, _, expires = await services.phone_codes.verify(body.phone, body.purpose, body.code, API_BINDING)
    return PhoneToken(token=token, expires_at=expires)


def phone_token_for(purpose: str):  # noqa: ANN201 - a FastAPI dependency factory
    async def dependency(services: ServicesDep,
                         x_phone_token: Annotated[str | None, Header(description="from /phone-codes/verify")] = None
                         ) -> str:
        phone = services.phone_codes.verified_phone(x_phone_token, purpose, API_BINDING)
        if phone is None:
            raise ApiError(401, "需要验证手机号：请先获取并填写短信验证码（X-Phone-Token 缺失、无效或已过期）",
                           "Verify the mobile number first: X-Phone-Token is missing, invalid or expired",
                           code="phone_not_verified")
        return phone

    return dependency


VerifiedForReports = Annotated[str, Depends(phone_token_for(MY_REPORTS))]
VerifiedForRegistration = Annotated[str, Depends(phone_token_for(REGISTRATION))]


def my_report_page(base_url: str, number: str) -> str:
    return f"{base_url.rstrip('/')}/my-reports/{number}"


@router.get("/my/reports", response_model=MyReports, responses=error_responses(401))
async def my_reports(phone: VerifiedForReports, services: ServicesDep, lang: LangDep) -> MyReports:
    base = services.settings.public_base_url
    views = await services.complaints.reports_of_phone(phone, lang=lang)
    return MyReports(phone=mask_phone(phone) or "", reports=[
        MyReport(tracking_number=v.tracking_number, status=v.status, status_label=v.status_label,
                 category=v.category.name_zh if lang == "zh" else v.category.name_en, created_at=v.created_at,
                 status_url=my_report_page(base, v.tracking_number),
                 api_url=f"{base.rstrip('/')}/api/v1/my/reports/{v.tracking_number}")
        for v in views])


@router.get("/my/reports/{number}", response_model=ReporterView, responses=error_responses(401))
async def my_report(number: Annotated[str, Path(max_length=20)], phone: VerifiedForReports, services: ServicesDep, lang: LangDep) -> ReporterView:
    return await services.complaints.reporter_view_for_phone(number, phone, lang)


@router.get("/my/reports/{number}/photos/{n}", response_class=Response, responses=error_responses(401))
async def my_report_photo(number: Annotated[str, Path(max_length=20)], n: Position, phone: VerifiedForReports,
                          services: ServicesDep) -> Response:
    """The public (EXIF-free) copy of photo `n` (from 1) of a report given with the verified number."""
    key, mime = await services.complaints.public_photo_for_phone(number, n, phone)
    return photo_response(services, key, mime)
