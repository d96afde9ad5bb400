"""Shared by the open-day service's parts: addresses, lookups, outbox messages and views."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import contacts, outbox
from core.clock import Clock
from core.contacts import ContactKeys
from core.db import Database
from core.errors import NotFound
from core.ids import new_token, token_matches

from .. import lifecycle, messages, seating
from ..models import OpenDayEvent, OpenDayFeedback, OpenDayRegistration
from ..policy import OpenDayPolicy
from ..rules import (
    PUSH_CHANNELS,
    SEATED,
    RegChannel,
    RegStatus,
    event_status_label,
    mask_phone,
    registration_status_label,
)
from ..schemas import (
    EventBrief,
    EventOut,
    EventStaffOut,
    FeedbackOut,
    RegistrationOut,
    Requirements,
    StaffRegistration,
    StaffRegistrationDetail,
)


class Base:
    """What every part of the service shares: its dependencies, addresses, row lookups, the
    messages it queues and the views it returns."""

    def __init__(self, db: Database, policy: OpenDayPolicy, clock: Clock, contact_keys: ContactKeys | None = None):
        self.db = db
        self.policy = policy
        self.clock = clock
        # Seals web registrants' manage tokens for e-mail/SMS links (core/contacts.py); a throwaway
        # key where the caller has no app secret (scripts, tests).
        self.contact_keys = contact_keys or ContactKeys(new_token())

    # --- addresses -----------------------------------------------------------------------------
    def event_url(self, event_id: int) -> str:
        """The event's page on the public portal (also the URL in calendar entries)."""
        return f"{self.policy.public_base_url}/open-days/{event_id}"

    def ics_url(self, event_id: int) -> str:
        return f"{self.policy.public_base_url}/open-days/{event_id}.ics"

    def feed_url(self) -> str:
        return f"{self.policy.public_base_url}/open-days.ics"

    def manage_url(self, registration_id: int, token: str) -> str:
        """The portal page where a web registrant checks, cancels or rates their visit."""
        return f"{self.policy.public_base_url}/open-days/registrations/{registration_id}?token={token}"

    async def _by_token(self, session: AsyncSession, registration_id: int, token: str) -> OpenDayRegistration:
        reg = await session.get(OpenDayRegistration, registration_id)
        # One answer for an unknown id and a wrong token, so ids cannot be probed.
        if reg is None or not reg.token_hash or not token_matches(token, reg.token_hash):
            raise _registration_not_found()
        return reg

    async def _of_user(
        self, session: AsyncSession, registration_id: int, channel: str, channel_user_id: str
    ) -> OpenDayRegistration:
        reg = await session.get(OpenDayRegistration, registration_id)
        if reg is None or reg.channel != channel or reg.channel_user_id != channel_user_id:
            raise NotFound("找不到您的这份报名", "You have no registration with that id",
                           code="registration_not_found")
        return reg

    # --- messages ------------------------------------------------------------------------------
    def _event_news(self, event: OpenDayEvent, language: str) -> dict[str, Any]:
        """The fields of `messages.EventNews` for this event."""
        tz = self.policy.tz
        return {
            "event_id": event.id,
            "title": event.title,
            "site_name": event.site_name,
            "address": event.address,
            "starts_at": event.starts_at.astimezone(tz),
            "ends_at": event.ends_at.astimezone(tz),
            "seats_left": seating.Seats(event.capacity, event.seats_taken).left,
            "url": self.event_url(event.id),
            "language": language,
        }

    async def _notify(
        self, session: AsyncSession, event: OpenDayEvent, reg: OpenDayRegistration,
        kind: type[messages.RegistrationNews], now: datetime, **extra: Any,
    ) -> None:
        """Tell a registrant on their chat channel, or a web registrant at the e-mail address or
        mobile number they asked to be told at (otherwise they see it with their token)."""
        pushable = reg.channel in PUSH_CHANNELS and reg.chat_id
        if not pushable and reg.channel != RegChannel.WEB.value:
            return
        message = kind(
            **self._event_news(event, reg.language), registration_id=reg.id, name=reg.name,
            party_size=reg.party_size, check_in_code=reg.check_in_code, status=reg.status, **extra,
        )
        if pushable:
            outbox.enqueue(session, channel=reg.channel, recipient=reg.chat_id, message=message, now=now)
        else:
            await contacts.tell(session, contacts.REGISTRATION, reg.id, message, now)

    # --- seats and registrants (shared by events and registrations) -------------------------
    def _max_party(self, event: OpenDayEvent) -> int:
        return seating.max_party(event.max_party_size, self.policy.max_party_size, event.capacity)

    async def _promote(self, session: AsyncSession, event: OpenDayEvent, now: datetime) -> list[int]:
        """Give free seats to waitlisted parties, oldest first, each that fits; tell each one."""
        free = seating.Seats(event.capacity, event.seats_taken).left
        if free <= 0 or not lifecycle.seats_can_move(event, now):
            return []
        waiting = await session.scalars(
            select(OpenDayRegistration).where(
                OpenDayRegistration.event_id == event.id, OpenDayRegistration.status == RegStatus.WAITLISTED.value
            ).order_by(OpenDayRegistration.id)
        )
        promoted = seating.promotions(waiting, free)
        for reg in promoted:
            reg.status = RegStatus.CONFIRMED.value
            reg.confirmed_at = reg.promoted_at = reg.updated_at = now
            event.seats_taken += reg.party_size
            await self._notify(session, event, reg, messages.OpenDayPromoted, now)
        return [reg.id for reg in promoted]

    async def _tell_registrants(
        self, session: AsyncSession, event: OpenDayEvent, kind: type[messages.RegistrationNews], now: datetime,
        reset_reminders: bool,
    ) -> None:
        regs = await session.scalars(select(OpenDayRegistration).where(
            OpenDayRegistration.event_id == event.id,
            OpenDayRegistration.status.in_([RegStatus.CONFIRMED.value, RegStatus.WAITLISTED.value]),
        ).order_by(OpenDayRegistration.id))
        for reg in regs:
            if reset_reminders:
                reg.reminder_sent_at = None
            await self._notify(session, event, reg, kind, now)

    # --- views ---------------------------------------------------------------------------------
    async def _event(self, session: AsyncSession, event_id: int, public: bool = False) -> OpenDayEvent:
        event = await session.get(OpenDayEvent, event_id)
        if event is None or (public and event.published_at is None):
            raise _not_found(event_id)
        return event

    async def _lock_event(self, session: AsyncSession, event_id: int, public: bool = False) -> OpenDayEvent:
        event = await session.scalar(
            select(OpenDayEvent).where(OpenDayEvent.id == event_id).with_for_update()
            .execution_options(populate_existing=True)
        )
        if event is None or (public and event.published_at is None):
            raise _not_found(event_id)
        return event

    async def _waitlist_counts(self, session: AsyncSession, event_ids: list[int]) -> dict[int, int]:
        if not event_ids:
            return {}
        rows = await session.execute(
            select(OpenDayRegistration.event_id, func.count(OpenDayRegistration.id))
            .where(OpenDayRegistration.event_id.in_(event_ids),
                   OpenDayRegistration.status == RegStatus.WAITLISTED.value)
            .group_by(OpenDayRegistration.event_id)
        )
        return {event_id: n for event_id, n in rows.all()}

    def _event_out(self, event: OpenDayEvent, waitlisted: int, now: datetime, lang: str) -> EventOut:
        tz = self.policy.tz
        opens, closes = lifecycle.registration_window(event)
        return EventOut(
            id=event.id, uid=event.uid, title=event.title, description=event.description,
            site_name=event.site_name, address=event.address, lat=event.lat, lon=event.lon,
            starts_at=event.starts_at.astimezone(tz), ends_at=event.ends_at.astimezone(tz),
            capacity=event.capacity, seats_left=seating.Seats(event.capacity, event.seats_taken).left,
            waitlisted=waitlisted,
            max_party_size=self._max_party(event),
            registration_opens_at=opens.astimezone(tz) if opens else None,
            registration_closes_at=closes.astimezone(tz),
            registration_open=lifecycle.registration_refusal(event, now, tz) is None,
            audience=event.audience,
            requirements=Requirements(
                requires_id=event.requires_id, requires_verified_phone=event.requires_verified_phone,
                min_age=event.min_age,
                safety_gear_provided=event.safety_gear_provided, accessibility_notes=event.accessibility_notes,
            ),
            contact=event.contact, status=event.status, status_label=event_status_label(event.status, lang),
            cancel_reason=event.cancel_reason, ics_url=self.ics_url(event.id),
        )

    async def _staff_event(self, session: AsyncSession, event: OpenDayEvent, lang: str = "zh") -> EventStaffOut:
        await session.flush()
        counts = dict((await session.execute(
            select(OpenDayRegistration.status, func.count(OpenDayRegistration.id))
            .where(OpenDayRegistration.event_id == event.id).group_by(OpenDayRegistration.status)
        )).all())
        feedback_count, average = (await session.execute(
            select(func.count(OpenDayFeedback.id), func.avg(OpenDayFeedback.rating))
            .where(OpenDayFeedback.event_id == event.id)
        )).one()
        base = self._event_out(event, counts.get(RegStatus.WAITLISTED.value, 0), self.clock.now(), lang)
        return EventStaffOut(
            **base.model_dump(),
            seats_taken=event.seats_taken,
            registrations=sum(n for status, n in counts.items() if status != RegStatus.CANCELLED),
            attended=counts.get(RegStatus.ATTENDED.value, 0),
            feedback_count=feedback_count,
            average_rating=round(float(average), 2) if average is not None else None,
            minutes=event.minutes, minutes_by=event.minutes_by, minutes_at=event.minutes_at,
            sequence=event.sequence, created_by=event.created_by, created_at=event.created_at,
            updated_at=event.updated_at, published_at=event.published_at, cancelled_at=event.cancelled_at,
            finished_at=event.finished_at,
        )

    async def _registrations_with_positions(
        self, session: AsyncSession, event_id: int
    ) -> tuple[list[OpenDayRegistration], dict[int, int]]:
        regs = list(await session.scalars(
            select(OpenDayRegistration).where(OpenDayRegistration.event_id == event_id).order_by(OpenDayRegistration.id)
        ))
        waiting = [r.id for r in regs if r.status == RegStatus.WAITLISTED]
        return regs, {reg_id: n for n, reg_id in enumerate(waiting, start=1)}

    async def _waitlist_position(self, session: AsyncSession, reg: OpenDayRegistration) -> int | None:
        if reg.status != RegStatus.WAITLISTED:
            return None
        ahead = await session.scalar(select(func.count(OpenDayRegistration.id)).where(
            OpenDayRegistration.event_id == reg.event_id, OpenDayRegistration.status == RegStatus.WAITLISTED.value,
            OpenDayRegistration.id < reg.id))
        return (ahead or 0) + 1

    async def _feedback_of(self, session: AsyncSession, reg: OpenDayRegistration) -> FeedbackOut | None:
        row = await session.scalar(select(OpenDayFeedback).where(OpenDayFeedback.registration_id == reg.id))
        return _feedback_out(row) if row else None

    def _brief(self, event: OpenDayEvent, lang: str) -> EventBrief:
        tz = self.policy.tz
        return EventBrief(
            id=event.id, title=event.title, site_name=event.site_name, address=event.address,
            starts_at=event.starts_at.astimezone(tz), ends_at=event.ends_at.astimezone(tz), status=event.status,
            status_label=event_status_label(event.status, lang), cancel_reason=event.cancel_reason,
        )

    async def _registration_out(
        self, session: AsyncSession, reg: OpenDayRegistration, now: datetime, lang: str
    ) -> RegistrationOut:
        event = reg.event
        active = reg.status in (RegStatus.CONFIRMED, RegStatus.WAITLISTED)
        return RegistrationOut(
            id=reg.id, event=self._brief(event, lang), name=reg.name, phone_masked=mask_phone(reg.phone),
            party_size=reg.party_size, channel=reg.channel, status=reg.status,
            status_label=registration_status_label(reg.status, lang), check_in_code=reg.check_in_code,
            waitlist_position=await self._waitlist_position(session, reg), created_at=reg.created_at,
            can_cancel=active and now < event.starts_at,
            can_give_feedback=reg.status in SEATED and lifecycle.takes_feedback(event, now),
            feedback=await self._feedback_of(session, reg),
        )

    def _staff_registration(self, reg: OpenDayRegistration, positions: dict[int, int], lang: str) -> StaffRegistration:
        return StaffRegistration(
            id=reg.id, event_id=reg.event_id, name=reg.name, phone_masked=mask_phone(reg.phone),
            party_size=reg.party_size, channel=reg.channel, status=reg.status,
            status_label=registration_status_label(reg.status, lang), check_in_code=reg.check_in_code,
            waitlist_position=positions.get(reg.id), created_at=reg.created_at, confirmed_at=reg.confirmed_at,
            attended_at=reg.attended_at, cancelled_at=reg.cancelled_at,
        )

    async def _staff_detail(self, session: AsyncSession, reg: OpenDayRegistration, lang: str) -> StaffRegistrationDetail:
        position = await self._waitlist_position(session, reg)
        base = self._staff_registration(reg, {reg.id: position} if position else {}, lang)
        return StaffRegistrationDetail(
            **base.model_dump(),
            phone=reg.phone, channel_user_id=reg.channel_user_id, chat_id=reg.chat_id, language=reg.language,
            promoted_at=reg.promoted_at, cancelled_by=reg.cancelled_by, checked_in_by=reg.checked_in_by,
            reminder_sent_at=reg.reminder_sent_at, feedback_requested_at=reg.feedback_requested_at,
            feedback=await self._feedback_of(session, reg),
        )


def _not_found(event_id: int) -> NotFound:
    return NotFound(f"找不到编号为 {event_id} 的开放日活动", f"No open day with id {event_id}",
                    code="event_not_found")


def _registration_not_found() -> NotFound:
    return NotFound("找不到该报名，或管理码不正确", "No registration with that id and token",
                    code="registration_not_found")


def _feedback_out(row: OpenDayFeedback) -> FeedbackOut:
    return FeedbackOut(
        registration_id=row.registration_id, event_id=row.event_id, name=row.registration.name,
        rating=row.rating, comment=row.comment, created_at=row.created_at, updated_at=row.updated_at,
    )
