"""Staff manage events: create, edit, publish, cancel, finish, minutes. The lifecycle rules are in
`opendays/lifecycle.py`."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from core import outbox
from core.errors import ValidationFailed

from .. import lifecycle, messages
from ..models import OpenDayEvent, OpenDayRegistration, OpenDaySubscription
from ..rules import EventStatus, RegStatus, localize
from ..schemas import EventFields, EventInput, EventStaffOut
from .base import Base

# Event fields staff set, with the value a missing optional one takes.
OPTIONAL_DEFAULTS: dict[str, Any] = {
    "description": "", "lat": None, "lon": None, "max_party_size": None, "registration_opens_at": None,
    "registration_closes_at": None, "audience": "", "requires_id": False, "requires_verified_phone": False,
    "min_age": None,
    "safety_gear_provided": True, "accessibility_notes": "", "contact": "",
}
REQUIRED_FIELDS = ("title", "site_name", "address", "starts_at", "ends_at", "capacity")
EDITABLE = REQUIRED_FIELDS + tuple(OPTIONAL_DEFAULTS)
TIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
# A change to one of these is news for everyone registered.
NEWSWORTHY = ("starts_at", "ends_at", "site_name", "address")
MAX_EVENT_LENGTH = timedelta(days=7)


class Events(Base):
    # --- staff: events -------------------------------------------------------------------------
    async def create(self, data: EventInput, actor: str) -> EventStaffOut:
        now = self.clock.now()
        values = {**OPTIONAL_DEFAULTS, **{k: v for k, v in data.model_dump().items() if v is not None}}
        values = self._checked(values, now)
        async with self.db.write_session() as session:
            event = OpenDayEvent(
                uid=f"openday-{uuid.uuid4().hex}@civicdesk", **values, seats_taken=0, status=EventStatus.DRAFT.value,
                sequence=0, created_by=actor, created_at=now, updated_at=now,
            )
            session.add(event)
            await session.flush()
            event_id = event.id
        return await self.staff_event(event_id)

    async def update(self, event_id: int, changes: EventFields, actor: str) -> EventStaffOut:
        given = changes.model_dump(include=changes.model_fields_set)
        for field in REQUIRED_FIELDS:
            if field in given and given[field] is None:
                raise ValidationFailed(f"{field} 不能为空", f"{field} cannot be empty", code="required_field")
        given = {k: (OPTIONAL_DEFAULTS[k] if v is None else v) for k, v in given.items()}
        now = self.clock.now()
        async with self.db.write_session() as session:
            event = await self._lock_event(session, event_id)
            lifecycle.check_editable(event)
            merged = self._checked({f: getattr(event, f) for f in EDITABLE} | given, now, event)
            changed = {f for f in given if merged[f] != getattr(event, f)}
            if not changed:
                return await self._staff_event(session, event)
            for field in changed:
                setattr(event, field, merged[field])
            event.updated_at = now
            if event.status == EventStatus.PUBLISHED:
                event.sequence += 1
                if changed & set(NEWSWORTHY):
                    await self._tell_registrants(session, event, messages.OpenDayUpdated, now,
                                                 reset_reminders="starts_at" in changed)
                await self._promote(session, event, now)
            return await self._staff_event(session, event)

    async def publish(self, event_id: int, actor: str) -> EventStaffOut:
        now = self.clock.now()
        async with self.db.write_session() as session:
            event = await self._lock_event(session, event_id)
            lifecycle.move(event, EventStatus.PUBLISHED, now)
            subscribers = await session.scalars(
                select(OpenDaySubscription).where(OpenDaySubscription.active.is_(True))
                .order_by(OpenDaySubscription.id)
            )
            for sub in subscribers:
                news = messages.OpenDayPublished(**self._event_news(event, sub.language))
                outbox.enqueue(session, channel=sub.channel, recipient=sub.recipient, message=news, now=now)
            return await self._staff_event(session, event)

    async def cancel(self, event_id: int, reason: str, actor: str) -> EventStaffOut:
        reason = lifecycle.cancel_reason(reason)
        now = self.clock.now()
        async with self.db.write_session() as session:
            event = await self._lock_event(session, event_id)
            lifecycle.cancel(event, reason, now)
            active = await session.scalars(
                select(OpenDayRegistration).where(
                    OpenDayRegistration.event_id == event.id,
                    OpenDayRegistration.status.in_([RegStatus.CONFIRMED.value, RegStatus.WAITLISTED.value]),
                ).order_by(OpenDayRegistration.id)
            )
            for reg in active:
                reg.status = RegStatus.CANCELLED.value
                reg.cancelled_at = now
                reg.cancelled_by = "event_cancelled"
                reg.updated_at = now
                await self._notify(session, event, reg, messages.OpenDayCancelled, now, reason=reason)
            return await self._staff_event(session, event)

    async def finish(self, event_id: int, actor: str) -> EventStaffOut:
        now = self.clock.now()
        async with self.db.write_session() as session:
            event = await self._lock_event(session, event_id)
            lifecycle.move(event, EventStatus.FINISHED, now)
            return await self._staff_event(session, event)

    async def set_minutes(self, event_id: int, text: str, actor: str) -> EventStaffOut:
        text = (text or "").strip()
        if not text:
            raise ValidationFailed("纪要内容不能为空", "The minutes must not be empty", code="empty_minutes")
        now = self.clock.now()
        async with self.db.write_session() as session:
            event = await self._lock_event(session, event_id)
            lifecycle.check_minutes_allowed(event, now)
            event.minutes, event.minutes_by, event.minutes_at = text, actor, now
            event.updated_at = now
            return await self._staff_event(session, event)

    def _checked(self, values: dict[str, Any], now: datetime, event: OpenDayEvent | None = None) -> dict[str, Any]:
        """Times made aware and the event's fields checked together; raises with what to fix."""
        for field in TIME_FIELDS:
            if values.get(field) is not None:
                values[field] = localize(values[field], self.policy.tz)
        starts, ends = values["starts_at"], values["ends_at"]
        if ends <= starts:
            raise ValidationFailed("结束时间必须晚于开始时间", "The end must be after the start", code="invalid_times")
        if ends - starts > MAX_EVENT_LENGTH:
            raise ValidationFailed("一次开放日活动最长 7 天", "An open day lasts at most 7 days", code="invalid_times")
        starts_changed = event is None or starts != event.starts_at
        if starts_changed and starts <= now:
            raise ValidationFailed("开始时间必须在将来", "The start must be in the future", code="starts_in_past")
        opens, closes = values["registration_opens_at"], values["registration_closes_at"]
        if closes is not None and closes > starts:
            raise ValidationFailed("报名截止时间不能晚于活动开始时间", "Registration must close by the start",
                                   code="invalid_registration_window")
        if opens is not None and opens >= (closes or starts):
            raise ValidationFailed("报名开始时间必须早于报名截止时间", "Registration must open before it closes",
                                   code="invalid_registration_window")
        if event is not None and values["capacity"] < event.seats_taken:
            raise ValidationFailed(
                f"已有 {event.seats_taken} 个名额被确认，总名额不能少于此数",
                f"{event.seats_taken} seats are already confirmed; capacity cannot be lower",
                code="capacity_below_taken",
            )
        return values
