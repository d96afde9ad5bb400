"""Reading: the public event list and staff views of events, registrations and feedback."""

from __future__ import annotations

from sqlalchemy import select

from core.errors import NotFound

from ..models import OpenDayEvent, OpenDayFeedback, OpenDayRegistration
from ..rules import EventStatus
from ..schemas import EventOut, EventStaffOut, FeedbackOut, StaffRegistration, StaffRegistrationDetail
from .base import Base, _feedback_out


class Views(Base):
    # --- public: events ------------------------------------------------------------------------
    async def upcoming(self, lang: str = "zh", only_available: bool = False, limit: int = 50) -> list[EventOut]:
        now = self.clock.now()
        async with self.db.session() as session:
            rows = list(await session.scalars(
                select(OpenDayEvent)
                .where(OpenDayEvent.status == EventStatus.PUBLISHED.value, OpenDayEvent.starts_at > now)
                .order_by(OpenDayEvent.starts_at, OpenDayEvent.id)
                .limit(limit)
            ))
            waiting = await self._waitlist_counts(session, [e.id for e in rows])
        events = [self._event_out(e, waiting.get(e.id, 0), now, lang) for e in rows]
        return [e for e in events if e.seats_left > 0] if only_available else events

    async def public_event(self, event_id: int, lang: str = "zh") -> EventOut:
        async with self.db.session() as session:
            event = await self._event(session, event_id, public=True)
            waiting = await self._waitlist_counts(session, [event.id])
        return self._event_out(event, waiting.get(event.id, 0), self.clock.now(), lang)

    # --- staff: reading ------------------------------------------------------------------------
    async def staff_events(self, status: str | None = None, lang: str = "zh") -> list[EventStaffOut]:
        async with self.db.session() as session:
            query = select(OpenDayEvent).order_by(OpenDayEvent.starts_at.desc(), OpenDayEvent.id.desc())
            if status:
                query = query.where(OpenDayEvent.status == status)
            return [await self._staff_event(session, e, lang) for e in await session.scalars(query)]

    async def staff_event(self, event_id: int, lang: str = "zh") -> EventStaffOut:
        async with self.db.session() as session:
            return await self._staff_event(session, await self._event(session, event_id), lang)

    async def registrations(
        self, event_id: int, status: str | None = None, lang: str = "zh"
    ) -> list[StaffRegistration]:
        async with self.db.session() as session:
            await self._event(session, event_id)
            regs, positions = await self._registrations_with_positions(session, event_id)
        return [self._staff_registration(r, positions, lang) for r in regs if status is None or r.status == status]

    async def registration_detail(self, event_id: int, registration_id: int, lang: str = "zh") -> StaffRegistrationDetail:
        async with self.db.session() as session:
            reg = await session.get(OpenDayRegistration, registration_id)
            if reg is None or reg.event_id != event_id:
                raise NotFound(f"该活动没有编号为 {registration_id} 的报名",
                               f"The event has no registration {registration_id}", code="registration_not_found")
            return await self._staff_detail(session, reg, lang)

    async def feedback(self, event_id: int) -> list[FeedbackOut]:
        async with self.db.session() as session:
            await self._event(session, event_id)
            rows = await session.scalars(
                select(OpenDayFeedback).where(OpenDayFeedback.event_id == event_id).order_by(OpenDayFeedback.id)
            )
            return [_feedback_out(f) for f in rows]
