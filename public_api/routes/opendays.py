"""The public side of the open days: upcoming events, registration, the registrant's view via a
token, and the iCalendar feeds (/open-days.ics, /open-days/{id}.ics)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accounts.verification import REGISTRATION
from opendays.rules import RegChannel
from opendays.schemas import (
    FIELD_LABELS,
    ByToken,
    EventOut,
    FeedbackInput,
    RegistrationInput,
    RegistrationOut,
    RegistrationResult,
)

from ..deps import LangDep, RegistrationLimit, RowId, ServicesDep
from ..errors import BASE_ERRORS, error_responses, validation_error
from .my_reports import API_BINDING

router = APIRouter(prefix="/api/v1/open-days", tags=["open days"], responses=error_responses(*BASE_ERRORS, 409))
feeds = APIRouter(tags=["open days"], responses=error_responses(*BASE_ERRORS))

Token = Annotated[str, Query(min_length=8, description="the manage_token returned at registration")]


class WebRegistrationIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=40, description="optional; shown masked everywhere")
    party_size: int = Field(default=1, ge=1, le=50, description="people in the party, you included")
    email: str | None = Field(default=None, max_length=254, description="for e-mail updates; never shown")
    notify_email: bool = Field(default=False, description="tell me by e-mail (a seat from the waiting list, "
                               "a change, a cancellation)")
    notify_sms: bool = Field(default=False, description="tell me by SMS at `phone` (a mobile)")


class RegistrationResponse(RegistrationResult):
    manage_url: str | None = None


@router.get("", response_model=list[EventOut])
async def upcoming(
    services: ServicesDep, lang: LangDep,
    available: Annotated[bool, Query(description="only events with seats left")] = False,
) -> list[EventOut]:
    return await services.opendays.upcoming(lang, only_available=available)


@router.get("/registrations/{registration_id}", response_model=RegistrationOut)
async def my_registration(registration_id: RowId, token: Token, services: ServicesDep, lang: LangDep) -> RegistrationOut:
    return await services.opendays.registration(registration_id, ByToken(token), lang)


@router.post("/registrations/{registration_id}/cancel", response_model=RegistrationOut)
async def cancel_registration(
    registration_id: RowId, token: Token, services: ServicesDep, lang: LangDep
) -> RegistrationOut:
    return await services.opendays.cancel_registration(registration_id, ByToken(token), lang)


@router.post("/registrations/{registration_id}/feedback", response_model=RegistrationOut)
async def give_feedback(
    registration_id: RowId, body: FeedbackInput, token: Token, services: ServicesDep, lang: LangDep
) -> RegistrationOut:
    return await services.opendays.give_feedback(registration_id, ByToken(token), body.rating, body.comment, lang)


@router.get("/{event_id}", response_model=EventOut)
async def event(event_id: RowId, services: ServicesDep, lang: LangDep) -> EventOut:
    return await services.opendays.public_event(event_id, lang)


@router.post("/{event_id}/registrations", response_model=RegistrationResponse, status_code=201,
             dependencies=[RegistrationLimit], responses=error_responses(429))
async def register(
    event_id: RowId, body: WebRegistrationIn, services: ServicesDep, lang: LangDep,
    x_phone_token: Annotated[str | None, Header(description="for an event that requires a verified phone: the "
                                                "token of /api/v1/phone-codes/verify (purpose registration) for `phone`")] = None,
) -> RegistrationResponse:
    verified = services.phone_codes.proves(x_phone_token, REGISTRATION, API_BINDING, body.phone)
    try:
        data = RegistrationInput(name=body.name, phone=body.phone, party_size=body.party_size, channel=RegChannel.WEB,
                                 language=lang, email=body.email, notify_email=body.notify_email,
                                 notify_sms=body.notify_sms, phone_verified=verified)
    except ValidationError as exc:
        raise validation_error(list(exc.errors()), FIELD_LABELS) from None
    result = await services.opendays.register(event_id, data)
    manage_url = services.opendays.manage_url(result.id, result.manage_token) if result.manage_token else None
    return RegistrationResponse(**result.model_dump(), manage_url=manage_url)


def calendar_response(body: bytes, filename: str | None = None) -> Response:
    headers = {"Cache-Control": "public, max-age=300"}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


@feeds.get("/open-days.ics", response_class=Response)
async def feed(services: ServicesDep, lang: LangDep) -> Response:
    """Published open days (and cancelled ones, marked STATUS:CANCELLED) for calendar apps."""
    return calendar_response(await services.opendays.feed_ics(lang))


@feeds.get("/open-days/{event_id}.ics", response_class=Response)
async def event_ics(event_id: RowId, services: ServicesDep, lang: LangDep) -> Response:
    return calendar_response(await services.opendays.event_ics(event_id, lang), f"openday-{event_id}.ics")
