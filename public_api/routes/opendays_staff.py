"""Staff API for open days: events, registrations (CSV too), check-in, minutes, feedback."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from opendays.schemas import (
    EventFields,
    EventInput,
    EventStaffOut,
    FeedbackOut,
    StaffRegistration,
    StaffRegistrationDetail,
)

from ..deps import LangDep, RowId, ServicesDep, Triager, Viewer
from ..errors import BASE_ERRORS, STAFF_ERRORS, error_responses

router = APIRouter(prefix="/api/v1/staff/open-days", tags=["staff: open days"],
                   responses=error_responses(*BASE_ERRORS, *STAFF_ERRORS))

EVENT_STATUS = r"^(draft|published|finished|cancelled)$"
REG_STATUS = r"^(confirmed|waitlisted|cancelled|attended)$"


class CancelIn(BaseModel):
    reason: str = Field(min_length=2, max_length=1000, description="told to every registrant")


class CheckInIn(BaseModel):
    code: str = Field(min_length=4, max_length=12)


class MinutesIn(BaseModel):
    text: str = Field(min_length=1, max_length=20000)


def csv_response(body: bytes, filename: str) -> Response:
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("", response_model=list[EventStaffOut])
async def list_events(
    services: ServicesDep, _: Viewer, lang: LangDep,
    status: Annotated[str | None, Query(pattern=EVENT_STATUS)] = None,
) -> list[EventStaffOut]:
    return await services.opendays.staff_events(status, lang)


@router.post("", response_model=EventStaffOut, status_code=201)
async def create_event(body: EventInput, services: ServicesDep, staff: Triager) -> EventStaffOut:
    return await services.opendays.create(body, staff.username)


@router.get("/{event_id}", response_model=EventStaffOut)
async def event_detail(event_id: RowId, services: ServicesDep, _: Viewer, lang: LangDep) -> EventStaffOut:
    return await services.opendays.staff_event(event_id, lang)


@router.patch("/{event_id}", response_model=EventStaffOut)
async def edit_event(event_id: RowId, body: EventFields, services: ServicesDep, staff: Triager) -> EventStaffOut:
    return await services.opendays.update(event_id, body, staff.username)


@router.post("/{event_id}/publish", response_model=EventStaffOut)
async def publish(event_id: RowId, services: ServicesDep, staff: Triager) -> EventStaffOut:
    return await services.opendays.publish(event_id, staff.username)


@router.post("/{event_id}/cancel", response_model=EventStaffOut)
async def cancel(event_id: RowId, body: CancelIn, services: ServicesDep, staff: Triager) -> EventStaffOut:
    return await services.opendays.cancel(event_id, body.reason, staff.username)


@router.post("/{event_id}/finish", response_model=EventStaffOut)
async def finish(event_id: RowId, services: ServicesDep, staff: Triager) -> EventStaffOut:
    return await services.opendays.finish(event_id, staff.username)


@router.get("/{event_id}/registrations", response_model=list[StaffRegistration])
async def registrations(
    event_id: RowId, services: ServicesDep, _: Viewer, lang: LangDep,
    status: Annotated[str | None, Query(pattern=REG_STATUS)] = None,
) -> list[StaffRegistration]:
    return await services.opendays.registrations(event_id, status, lang)


@router.get("/{event_id}/registrations.csv", response_class=Response)
async def registrations_csv(event_id: RowId, services: ServicesDep, _: Viewer, lang: LangDep) -> Response:
    return csv_response(await services.opendays.registrations_csv(event_id, lang),
                        f"openday-{event_id}-registrations.csv")


@router.get("/{event_id}/registrations/{registration_id}", response_model=StaffRegistrationDetail)
async def registration_detail(
    event_id: RowId, registration_id: RowId, services: ServicesDep, _: Viewer, lang: LangDep
) -> StaffRegistrationDetail:
    """The one view with the registrant's full phone number."""
    return await services.opendays.registration_detail(event_id, registration_id, lang)


@router.post("/{event_id}/check-in", response_model=StaffRegistrationDetail)
async def check_in(
    event_id: RowId, body: CheckInIn, services: ServicesDep, staff: Triager, lang: LangDep
) -> StaffRegistrationDetail:
    return await services.opendays.check_in(event_id, body.code, staff.username, lang)


@router.put("/{event_id}/minutes", response_model=EventStaffOut)
async def minutes(event_id: RowId, body: MinutesIn, services: ServicesDep, staff: Triager) -> EventStaffOut:
    return await services.opendays.set_minutes(event_id, body.text, staff.username)


@router.get("/{event_id}/feedback", response_model=list[FeedbackOut])
async def feedback(event_id: RowId, services: ServicesDep, _: Viewer) -> list[FeedbackOut]:
    return await services.opendays.feedback(event_id)


@router.get("/{event_id}/feedback.csv", response_class=Response)
async def feedback_csv(event_id: RowId, services: ServicesDep, _: Viewer, lang: LangDep) -> Response:
    return csv_response(await services.opendays.feedback_csv(event_id, lang), f"openday-{event_id}-feedback.csv")
