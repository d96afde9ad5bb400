"""Announcements to subscribers, reminders before the start and feedback requests after the end."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.kit.language import normalize_language

from .. import lifecycle, messages
from ..models import OpenDayEvent, OpenDayRegistration, OpenDaySubscription
from ..rules import PUSH_CHANNELS, SEATED, EventStatus, RegStatus
from ..schemas import DueResult
from .base import Base


class Notifications(Base):
    # --- announcements -------------------------------------------------------------------------
    async def subscribe(self, channel: str, recipient: str, language: str = "zh") -> bool:
        """Returns True when the chat was not subscribed before."""
        now = self.clock.now()
        language = normalize_language(language)
        async with self.db.write_session() as session:
            sub = await session.scalar(select(OpenDaySubscription).where(
                OpenDaySubscription.channel == channel, OpenDaySubscription.recipient == recipient))
            if sub is None:
                session.add(OpenDaySubscription(channel=channel, recipient=recipient, language=language, active=True,
                                                created_at=now, updated_at=now))
                return True
            was_active = sub.active
            sub.active, sub.language, sub.updated_at = True, language, now
            return not was_active

    async def unsubscribe(self, channel: str, recipient: str) -> bool:
        """Returns True when the chat was subscribed."""
        async with self.db.write_session() as session:
            sub = await session.scalar(select(OpenDaySubscription).where(
                OpenDaySubscription.channel == channel, OpenDaySubscription.recipient == recipient))
            if sub is None or not sub.active:
                return False
            sub.active, sub.updated_at = False, self.clock.now()
            return True

    async def is_subscribed(self, channel: str, recipient: str) -> bool:
        async with self.db.session() as session:
            return bool(await session.scalar(select(OpenDaySubscription.active).where(
                OpenDaySubscription.channel == channel, OpenDaySubscription.recipient == recipient)))

    # --- reminders and feedback requests -------------------------------------------------------
    async def due_notifications(self, now: datetime | None = None) -> DueResult:
        """Finish ended events, remind registrants 24 hours before the start and ask for feedback
        after the end. Idempotent: each registration is reminded and asked at most once (the flags
        are set in the same transaction as the outbox rows), and concurrent callers queue on the
        event locks."""
        now = now or self.clock.now()
        result = DueResult()
        async with self.db.write_session() as session:
            ended = await self._locked_events(session, OpenDayEvent.status == EventStatus.PUBLISHED.value,
                                              OpenDayEvent.ends_at <= now)
            for event in ended:
                lifecycle.move(event, EventStatus.FINISHED, now, check=False)
                result.finished += 1
            soon = await self._locked_events(
                session, OpenDayEvent.status == EventStatus.PUBLISHED.value,
                OpenDayEvent.starts_at > now, OpenDayEvent.starts_at <= now + self.policy.reminder_before,
            )
            for event in soon:
                result.reminders += await self._remind(session, event, now)
            recent = await self._locked_events(
                session, OpenDayEvent.status.in_([EventStatus.PUBLISHED.value, EventStatus.FINISHED.value]),
                OpenDayEvent.ends_at <= now, OpenDayEvent.ends_at > now - self.policy.feedback_window,
            )
            for event in recent:
                result.feedback_requests += await self._ask_feedback(session, event, now)
        return result

    async def _locked_events(self, session: AsyncSession, *conditions: Any) -> Sequence[OpenDayEvent]:
        return list(await session.scalars(
            select(OpenDayEvent).where(*conditions).order_by(OpenDayEvent.id).with_for_update()
            .execution_options(populate_existing=True)
        ))

    async def _pushable(self, session: AsyncSession, event: OpenDayEvent, *conditions: Any) -> list[OpenDayRegistration]:
        return list(await session.scalars(
            select(OpenDayRegistration).where(
                OpenDayRegistration.event_id == event.id,
                OpenDayRegistration.channel.in_(PUSH_CHANNELS),
                OpenDayRegistration.chat_id.is_not(None),
                *conditions,
            ).order_by(OpenDayRegistration.id)
        ))

    async def _remind(self, session: AsyncSession, event: OpenDayEvent, now: datetime) -> int:
        # Registrations confirmed inside the last 24 hours got every detail in their confirmation.
        remind_from = event.starts_at - self.policy.reminder_before
        regs = await self._pushable(
            session, event, OpenDayRegistration.status == RegStatus.CONFIRMED.value,
            OpenDayRegistration.reminder_sent_at.is_(None), OpenDayRegistration.confirmed_at < remind_from,
        )
        for reg in regs:
            reg.reminder_sent_at = now
            await self._notify(session, event, reg, messages.OpenDayReminder, now)
        return len(regs)

    async def _ask_feedback(self, session: AsyncSession, event: OpenDayEvent, now: datetime) -> int:
        # Where staff checked visitors in, ask those who came; otherwise everyone confirmed.
        attended = await session.scalar(select(func.count(OpenDayRegistration.id)).where(
            OpenDayRegistration.event_id == event.id, OpenDayRegistration.status == RegStatus.ATTENDED.value))
        statuses = [RegStatus.ATTENDED.value] if attended else list(SEATED)
        regs = await self._pushable(session, event, OpenDayRegistration.status.in_(statuses),
                                    OpenDayRegistration.feedback_requested_at.is_(None))
        for reg in regs:
            reg.feedback_requested_at = now
            await self._notify(session, event, reg, messages.OpenDayFeedbackRequest, now)
        return len(regs)

