"""Open days on the portal (see, register, manage) and in the staff console (plan, run, follow up)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from accounts.verification import REGISTRATION
from core.errors import DomainError, TooManyRequests
from core.kit.bureau_time import BureauTime
from core.kit.validation import error_lines
from opendays.schemas import FIELD_LABELS, ByToken, EventFields, EventInput, RegistrationInput

from ..deps import RegistrationLimit, RowId, ServicesDep
from ..errors import status_for
from ..routes.my_reports import client_of
from .my_reports_pages import browser_binding
from .auth import Csrf, StaffTriager, StaffViewer
from .downloads import csv_download
from .templating import page_language, render

router = APIRouter(include_in_schema=False)

EVENT_FIELDS = ("title", "description", "site_name", "address", "lat", "lon", "starts_at", "ends_at", "capacity",
                "max_party_size", "registration_opens_at", "registration_closes_at", "audience", "requires_id",
                "requires_verified_phone", "min_age", "safety_gear_provided", "accessibility_notes", "contact")
DATETIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
BOOL_FIELDS = ("requires_id", "requires_verified_phone", "safety_gear_provided")


def _errors(exc: Exception, lang: str) -> list[str]:
    if isinstance(exc, ValidationError):
        return error_lines(exc.errors(), FIELD_LABELS, lang)
    if isinstance(exc, DomainError):
        return [exc.message(lang)]
    return [str(exc)]


# --- portal --------------------------------------------------------------------------------------


@router.get("/open-days")
async def open_days(request: Request, services: ServicesDep) -> Response:
    events = await services.opendays.upcoming(lang=page_language(request))
    return render(request, "portal/open_days.html", {"events": events})


@router.get("/open-days/{event_id:int}")
async def open_day(request: Request, event_id: RowId, services: ServicesDep) -> Response:
    event = await services.opendays.public_event(event_id, lang=page_language(request))
    return render(request, "portal/open_day.html", {"e": event, "form": {}})


@router.post("/open-days/{event_id:int}/register", dependencies=[Csrf, RegistrationLimit])
async def register(
    request: Request, event_id: RowId, services: ServicesDep,
    name: Annotated[str, Form()] = "", phone: Annotated[str, Form()] = "", party_size: Annotated[str, Form()] = "1",
    email: Annotated[str, Form()] = "", notify_email: Annotated[bool, Form()] = False,
    notify_sms: Annotated[bool, Form()] = False, code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    lang = page_language(request)
    form = {"name": name, "phone": phone, "party_size": party_size, "email": email, "notify_email": notify_email,
            "notify_sms": notify_sms, "code": code}
    try:
        data = RegistrationInput(name=name.strip(), phone=phone.strip() or None,
                                 party_size=int(party_size) if party_size.isdigit() else 0, language=lang,
                                 email=email.strip() or None, notify_email=notify_email, notify_sms=notify_sms)
        if code.strip():  # an event that requires a verified phone: the code sent to it
            await services.phone_codes.verify(phone, REGISTRATION, code, browser_binding(request))
            data.phone_verified = True
        result = await services.opendays.register(event_id, data)
    except (ValidationError, DomainError) as exc:
        return await _registration_refused(request, services, event_id, form, exc)
    manage = f"/open-days/registrations/{result.id}?" + urlencode({"token": result.manage_token or ""})
    return RedirectResponse(manage + "&new=1", status_code=303)


async def _registration_refused(request: Request, services: ServicesDep, event_id: int, form: dict[str, Any],
                                exc: Exception, sent: bool = False) -> Response:
    """The event page again with the refusal and everything typed (422; 429 with Retry-After)."""
    lang = page_language(request)
    event = await services.opendays.public_event(event_id, lang=lang)
    status = status_for(exc) if isinstance(exc, DomainError) else 422
    response = render(request, "portal/open_day.html", {"e": event, "form": form, "errors": _errors(exc, lang)},
                      status_code=status)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@router.post("/open-days/{event_id:int}/phone-code", dependencies=[Csrf])
async def registration_code(
    request: Request, event_id: RowId, services: ServicesDep,
    name: Annotated[str, Form()] = "", phone: Annotated[str, Form(max_length=40)] = "",
    party_size: Annotated[str, Form()] = "1", email: Annotated[str, Form()] = "",
    notify_email: Annotated[bool, Form()] = False, notify_sms: Annotated[bool, Form()] = False,
) -> Response:
    """The registration form's 发送验证码 button: a code to the phone, and the form again as typed."""
    form = {"name": name, "phone": phone, "party_size": party_size, "email": email, "notify_email": notify_email,
            "notify_sms": notify_sms}
    try:
        await services.phone_codes.request_code(phone, REGISTRATION, client_of(request), page_language(request))
    except DomainError as exc:
        return await _registration_refused(request, services, event_id, form, exc)
    event = await services.opendays.public_event(event_id, lang=page_language(request))
    return render(request, "portal/open_day.html", {"e": event, "form": form, "code_sent": True})


@router.get("/open-days/lookup")
async def lookup_registration(request: Request, number: str = "", code: str = "") -> Response:
    """Where an SMS sends a registrant (an SMS carries no link): the registration number and 查询码."""
    number, code = number.strip(), code.strip()
    if number.isdigit() and code:
        return RedirectResponse(f"/open-days/registrations/{int(number)}?" + urlencode({"token": code}),
                                status_code=303)
    return render(request, "portal/registration_lookup.html", {"number": number},
                  status_code=422 if number or code else 200)


@router.get("/open-days/registrations/{registration_id:int}")
async def registration(request: Request, registration_id: RowId, services: ServicesDep, token: str = "",
                       new: str = "", error: str = "") -> Response:
    lang = page_language(request)
    try:
        reg = await services.opendays.registration(registration_id, ByToken(token), lang=lang)
        sms = await services.opendays.sms_updates(registration_id, ByToken(token))
    except DomainError as exc:
        return render(request, "error.html", {"message": exc.message(lang)}, status_code=404)
    return render(request, "portal/registration.html", {
        "reg": reg, "token": token, "new": new, "error": error, "sms": sms,
        "stop_action": f"/open-days/registrations/{registration_id}/stop-sms"})


@router.post("/open-days/registrations/{registration_id:int}/stop-sms", dependencies=[Csrf])
async def stop_sms(request: Request, registration_id: RowId, services: ServicesDep,
                   token: Annotated[str, Form()] = "") -> Response:
    return await _manage(request, registration_id, token,
                         lambda lang: services.opendays.stop_sms(registration_id, ByToken(token)))


@router.post("/open-days/registrations/{registration_id:int}/cancel", dependencies=[Csrf])
async def cancel_registration(request: Request, registration_id: RowId, services: ServicesDep,
                              token: Annotated[str, Form()] = "") -> Response:
    return await _manage(request, registration_id, token,
                         lambda lang: services.opendays.cancel_registration(registration_id, ByToken(token), lang=lang))


@router.post("/open-days/registrations/{registration_id:int}/feedback", dependencies=[Csrf])
async def feedback(request: Request, registration_id: RowId, services: ServicesDep,
                   token: Annotated[str, Form()] = "", rating: Annotated[str, Form()] = "",
                   comment: Annotated[str, Form()] = "") -> Response:
    return await _manage(request, registration_id, token, lambda lang: services.opendays.give_feedback(
        registration_id, ByToken(token), int(rating) if rating.isdigit() else 0, comment, lang=lang))


async def _manage(request: Request, registration_id: RowId, token: str, action: Any) -> Response:
    lang = page_language(request)
    query = {"token": token}
    try:
        await action(lang)
    except (ValidationError, DomainError) as exc:
        query["error"] = "；".join(_errors(exc, lang))
    return RedirectResponse(f"/open-days/registrations/{registration_id}?{urlencode(query)}", status_code=303)


# --- staff ---------------------------------------------------------------------------------------


def _parse_event_form(form: dict[str, str], bureau: BureauTime) -> dict[str, Any]:
    """Form strings -> event fields: datetime-local inputs are the bureau's local time."""
    values: dict[str, Any] = {}
    for key in EVENT_FIELDS:
        raw = (form.get(key) or "").strip()
        if key in BOOL_FIELDS:
            values[key] = raw in ("true", "on", "1")
        elif not raw:
            continue
        elif key in DATETIME_FIELDS:
            try:
                values[key] = bureau.read_local(datetime.fromisoformat(raw).replace(tzinfo=None))
            except ValueError:
                values[key] = raw  # let validation name the field
        else:
            values[key] = raw
    return values


def _form_values(event: Any, bureau: BureauTime) -> dict[str, Any]:
    local = {k: bureau.text(getattr(event, k), "%Y-%m-%dT%H:%M")
             for k in DATETIME_FIELDS if getattr(event, k, None)}
    requirements = event.requirements
    return {
        **{k: getattr(event, k) for k in EVENT_FIELDS if hasattr(event, k) and k not in DATETIME_FIELDS},
        **local, "requires_id": requirements.requires_id, "min_age": requirements.min_age,
        "requires_verified_phone": requirements.requires_verified_phone,
        "safety_gear_provided": requirements.safety_gear_provided,
        "accessibility_notes": requirements.accessibility_notes,
    }


@router.get("/staff/open-days")
async def staff_open_days(request: Request, services: ServicesDep, staff: StaffViewer) -> Response:
    events = await services.opendays.staff_events(lang=page_language(request))
    return render(request, "staff/open_days.html", {"staff": staff, "events": events})


@router.get("/staff/open-days/new")
async def new_event(request: Request, services: ServicesDep, staff: StaffTriager) -> Response:
    defaults = {"capacity": 20, "max_party_size": services.settings.openday_max_party_size,
                "safety_gear_provided": True, "requires_id": True}
    return render(request, "staff/open_day_form.html", {"staff": staff, "form": defaults, "event": None})


@router.post("/staff/open-days/new", dependencies=[Csrf])
async def create_event(request: Request, services: ServicesDep, staff: StaffTriager) -> Response:
    lang = page_language(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        event = await services.opendays.create(EventInput(**_parse_event_form(form, services.bureau_time)), staff.username)
    except (ValidationError, DomainError) as exc:
        return render(request, "staff/open_day_form.html",
                      {"staff": staff, "form": form, "event": None, "errors": _errors(exc, lang)}, status_code=422)
    return RedirectResponse(f"/staff/open-days/{event.id}?msg=saved", status_code=303)


@router.get("/staff/open-days/{event_id:int}")
async def staff_event(request: Request, event_id: RowId, services: ServicesDep, staff: StaffViewer,
                      msg: str | None = None, error: str | None = None, edit: str = "",
                      who: str = "", party: str = "") -> Response:
    lang = page_language(request)
    event = await services.opendays.staff_event(event_id, lang=lang)
    context = {
        "staff": staff, "e": event, "msg": msg, "error": error, "can_edit": staff.role.value != "viewer",
        "who": who[:100], "party": party[:2],
        "registrations": await services.opendays.registrations(event_id, lang=lang),
        "feedback": await services.opendays.feedback(event_id),
    }
    if edit and context["can_edit"]:
        form = _form_values(event, services.bureau_time)
        return render(request, "staff/open_day_form.html", {"staff": staff, "form": form, "event": event})
    return render(request, "staff/open_day.html", context)


@router.post("/staff/open-days/{event_id:int}/edit", dependencies=[Csrf])
async def edit_event(request: Request, event_id: RowId, services: ServicesDep, staff: StaffTriager) -> Response:
    lang = page_language(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        await services.opendays.update(event_id, EventFields(**_parse_event_form(form, services.bureau_time)), staff.username)
    except (ValidationError, DomainError) as exc:
        event = await services.opendays.staff_event(event_id, lang=lang)
        return render(request, "staff/open_day_form.html",
                      {"staff": staff, "form": form, "event": event, "errors": _errors(exc, lang)}, status_code=422)
    return RedirectResponse(f"/staff/open-days/{event_id}?msg=saved", status_code=303)


async def _event_action(request: Request, event_id: RowId, action: Any) -> Response:
    try:
        await action()
    except (ValidationError, DomainError) as exc:
        query = urlencode({"error": "；".join(_errors(exc, page_language(request)))})
        return RedirectResponse(f"/staff/open-days/{event_id}?{query}", status_code=303)
    return RedirectResponse(f"/staff/open-days/{event_id}?msg=saved", status_code=303)


@router.post("/staff/open-days/{event_id:int}/publish", dependencies=[Csrf])
async def publish(request: Request, event_id: RowId, services: ServicesDep, staff: StaffTriager) -> Response:
    return await _event_action(request, event_id, lambda: services.opendays.publish(event_id, staff.username))


@router.post("/staff/open-days/{event_id:int}/cancel", dependencies=[Csrf])
async def cancel(request: Request, event_id: RowId, services: ServicesDep, staff: StaffTriager,
                 reason: Annotated[str, Form()] = "") -> Response:
    return await _event_action(request, event_id, lambda: services.opendays.cancel(event_id, reason, staff.username))


@router.post("/staff/open-days/{event_id:int}/finish", dependencies=[Csrf])
async def finish(request: Request, event_id: RowId, services: ServicesDep, staff: StaffTriager) -> Response:
    return await _event_action(request, event_id, lambda: services.opendays.finish(event_id, staff.username))


@router.post("/staff/open-days/{event_id:int}/minutes", dependencies=[Csrf])
async def minutes(request: Request, event_id: RowId, services: ServicesDep, staff: StaffTriager,
                  text: Annotated[str, Form()] = "") -> Response:
    return await _event_action(request, event_id, lambda: services.opendays.set_minutes(event_id, text, staff.username))


@router.post("/staff/open-days/{event_id:int}/check-in", dependencies=[Csrf])
async def check_in(request: Request, event_id: RowId, services: ServicesDep, staff: StaffTriager,
                   code: Annotated[str, Form()] = "") -> Response:
    lang = page_language(request)
    try:
        visitor = await services.opendays.check_in(event_id, code, staff.username, lang=lang)
    except (ValidationError, DomainError) as exc:
        query = urlencode({"error": "；".join(_errors(exc, lang))})
        return RedirectResponse(f"/staff/open-days/{event_id}?{query}", status_code=303)
    # Name the visitor, so whoever checks people in at the gate sees it was the right person.
    query = urlencode({"msg": "checked_in", "who": visitor.name, "party": visitor.party_size})
    return RedirectResponse(f"/staff/open-days/{event_id}?{query}", status_code=303)


@router.get("/staff/open-days/{event_id:int}/registrations/{registration_id:int}")
async def staff_registration(request: Request, event_id: RowId, registration_id: RowId, services: ServicesDep,
                             staff: StaffViewer) -> Response:
    detail = await services.opendays.registration_detail(event_id, registration_id, lang=page_language(request))
    return render(request, "staff/registration.html", {"staff": staff, "reg": detail, "event_id": event_id})


@router.get("/staff/open-days/{event_id:int}/registrations.csv")
async def registrations_csv(request: Request, event_id: RowId, services: ServicesDep, staff: StaffViewer) -> Response:
    body = await services.opendays.registrations_csv(event_id, lang=page_language(request))
    return csv_download(body, f"open-day-{event_id}-registrations.csv")


@router.get("/staff/open-days/{event_id:int}/feedback.csv")
async def feedback_csv(request: Request, event_id: RowId, services: ServicesDep, staff: StaffViewer) -> Response:
    body = await services.opendays.feedback_csv(event_id, lang=page_language(request))
    return csv_download(body, f"open-day-{event_id}-feedback.csv")
