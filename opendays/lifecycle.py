"""An open day's lifecycle: its statuses, the transitions staff may make, what each needs (guards)
and changes (effects), and what each status allows. Like `complaints/workflow.py`, pure: the
service locks the row, calls these, and writes messages and registrations.

    draft -> published -> finished
    draft | published -> cancelled (with a reason every registrant is told)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from core.errors import Conflict, ValidationFailed

from .rules import EventStatus, event_status_label, local_text

TRANSITIONS: dict[EventStatus, frozenset[EventStatus]] = {
    EventStatus.DRAFT: frozenset({EventStatus.PUBLISHED, EventStatus.CANCELLED}),
    EventStatus.PUBLISHED: frozenset({EventStatus.FINISHED, EventStatus.CANCELLED}),
    EventStatus.FINISHED: frozenset(),
    EventStatus.CANCELLED: frozenset(),
}
# Staff may edit an event's fields in these statuses.
EDITABLE = frozenset({EventStatus.DRAFT, EventStatus.PUBLISHED})


class Event(Protocol):
    """The parts of an event the lifecycle reads and writes (the `OpenDayEvent` row has them)."""

    status: str
    starts_at: datetime
    ends_at: datetime
    registration_closes_at: datetime | None
    published_at: datetime | None
    cancelled_at: datetime | None
    finished_at: datetime | None
    cancel_reason: str | None
    updated_at: datetime
    sequence: int
    seats_taken: int
    registration_opens_at: datetime | None


def _refusal(current: EventStatus, target: EventStatus) -> Conflict:
    """Why `target` cannot be reached from `current`, in the words staff see."""
    label = event_status_label(current)
    if target is EventStatus.PUBLISHED:
        return Conflict(f"只有草稿可以发布，该活动{label}",
                        f"Only drafts can be published; this event is {current.value}", code="not_a_draft")
    if target is EventStatus.FINISHED:
        return Conflict(f"只有已发布的活动可以结束，该活动{label}",
                        f"Only a published event can be finished; this one is {current.value}", code="not_published")
    if current is EventStatus.CANCELLED:
        return Conflict("该活动已取消", "The event is already cancelled", code="already_cancelled")
    return Conflict("已结束的活动不能取消", "A finished event cannot be cancelled", code="event_finished")


def _starts_in_future(event: Event, now: datetime) -> None:
    if event.starts_at <= now:
        raise ValidationFailed("活动开始时间已过，请先修改时间再发布",
                               "The start time has passed; change it before publishing", code="starts_in_past")
    if event.registration_closes_at is not None and event.registration_closes_at <= now:
        raise ValidationFailed("报名截止时间已过，请先修改再发布",
                               "The registration deadline has passed; change it before publishing",
                               code="registration_deadline_past")


def _has_started(event: Event, now: datetime) -> None:
    if now < event.starts_at:
        raise ValidationFailed("活动尚未开始，不能标记为结束", "The event has not started yet", code="not_started")


def _on_published(event: Event, now: datetime) -> None:
    event.published_at = now
    event.sequence += 1  # calendars see a new version


def _on_cancelled(event: Event, now: datetime) -> None:
    event.cancelled_at = now
    event.sequence += 1
    event.seats_taken = 0  # the service cancels every registration in the same transaction


def _on_finished(event: Event, now: datetime) -> None:
    event.finished_at = now


@dataclass(frozen=True)
class Arrival:
    guards: tuple[Callable[[Event, datetime], None], ...] = ()
    effects: tuple[Callable[[Event, datetime], None], ...] = ()


ARRIVALS: dict[EventStatus, Arrival] = {
    EventStatus.PUBLISHED: Arrival(guards=(_starts_in_future,), effects=(_on_published,)),
    EventStatus.CANCELLED: Arrival(effects=(_on_cancelled,)),
    EventStatus.FINISHED: Arrival(guards=(_has_started,), effects=(_on_finished,)),
}


def move(event: Event, target: EventStatus, now: datetime, *, check: bool = True) -> None:
    """Move an event to `target`: allowed from its status, guards passed, then effects. The
    scheduled job finishing ended events passes `check=False` (it selected them by status)."""
    current = EventStatus(event.status)
    arrival = ARRIVALS.get(target, Arrival())
    if check:
        if target not in TRANSITIONS[current]:
            raise _refusal(current, target)
        for guard in arrival.guards:
            guard(event, now)
    event.status = target.value
    event.updated_at = now
    for effect in arrival.effects:
        effect(event, now)


def cancel_reason(reason: str | None) -> str:
    """Cancelling needs a reason: every registrant is told it."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("取消活动须说明理由，理由会告知每一位报名者",
                               "Cancelling needs a reason; every registrant is told it", code="reason_required")
    return reason


def cancel(event: Event, reason: str, now: datetime) -> None:
    move(event, EventStatus.CANCELLED, now)
    event.cancel_reason = cancel_reason(reason)


# --- what each status allows ---------------------------------------------------------------------
def check_editable(event: Event) -> None:
    if EventStatus(event.status) not in EDITABLE:
        raise Conflict(
            f"活动{event_status_label(event.status)}，不能再修改",
            f"The event is {event.status} and can no longer be edited", code="event_not_editable",
        )


def seats_can_move(event: Event, now: datetime) -> bool:
    """Freed seats go to the waitlist only while the event is published and has not started."""
    return event.status == EventStatus.PUBLISHED and now < event.starts_at


def check_minutes_allowed(event: Event, now: datetime) -> None:
    if event.status not in (EventStatus.PUBLISHED, EventStatus.FINISHED) or now < event.starts_at:
        raise Conflict("活动开始后才能记录纪要", "Minutes can be recorded once the event has started",
                       code="minutes_too_early")


def takes_feedback(event: Event, now: datetime) -> bool:
    return event.status != EventStatus.CANCELLED and now >= event.ends_at


def check_check_in_status(event: Event) -> None:
    if event.status not in (EventStatus.PUBLISHED, EventStatus.FINISHED):
        raise Conflict(f"活动{event_status_label(event.status)}，不能签到",
                       f"The event is {event.status}; no check-in", code="check_in_closed")


def registration_window(event: Event) -> tuple[datetime | None, datetime]:
    """(opens, closes): by default from publishing to the start."""
    return event.registration_opens_at or event.published_at, event.registration_closes_at or event.starts_at


def registration_refusal(event: Event, now: datetime, tz: ZoneInfo) -> Conflict | None:
    """Why nobody can register now, or None when registration is open."""
    if event.status == EventStatus.CANCELLED:
        reason = f"（原因：{event.cancel_reason}）" if event.cancel_reason else ""
        return Conflict(f"该开放日活动已取消{reason}，不能报名",
                        f"This open day was cancelled ({event.cancel_reason}); registration is closed",
                        code="event_cancelled")
    if event.status != EventStatus.PUBLISHED or now >= event.starts_at:
        return Conflict("活动已开始或已结束，报名已截止", "The event has started or ended; registration is closed",
                        code="registration_closed")
    opens, closes = registration_window(event)
    if opens is not None and now < opens:
        return Conflict(f"报名尚未开始，将于 {local_text(opens, tz)} 开放",
                        f"Registration opens at {local_text(opens, tz)}", code="registration_not_open")
    if now >= closes:
        return Conflict(f"报名已于 {local_text(closes, tz)} 截止", f"Registration closed at {local_text(closes, tz)}",
                        code="registration_closed")
    return None


def check_registration_open(event: Event, now: datetime, tz: ZoneInfo) -> None:
    refusal = registration_refusal(event, now, tz)
    if refusal is not None:
        raise refusal
