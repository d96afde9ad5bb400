"""Open days: site-visit events, registration with a waitlist, check-in, minutes, feedback, and the
messages that go with them (through the outbox).

Seats, not registrations: `capacity` counts people and a registration holds `party_size` seats.
Every change to seats happens with the event row locked (SELECT ... FOR UPDATE on PostgreSQL;
BEGIN IMMEDIATE on SQLite), so capacity is never exceeded however many people register at once.

Seat rule ("first that fits"): seats go to requests in order of arrival, skipping a party that does
not fit into the seats left. A new registration is confirmed when its party fits; otherwise it is
waitlisted. When seats free up, the waitlist is walked oldest first and every party that fits is
promoted, so a party of three waiting for three seats may be overtaken by a later single visitor
when only one seat frees up, and seats never stay empty while someone who fits is waiting.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import outbox
from core.clock import Clock
from core.db import Database
from core.errors import Conflict, NotFound, ValidationFailed
from core.ids import new_token, short_code, token_hash, token_matches
from core.kit.csv import csv_text
from core.kit.language import is_english, normalize_language

from . import ics, lifecycle, seating
from .models import OpenDayEvent, OpenDayFeedback, OpenDayRegistration, OpenDaySubscription
from .rules import (
    PUSH_CHANNELS,
    SEATED,
    EventStatus,
    RegChannel,
    RegStatus,
    event_status_label,
    local_text,
    localize,
    mask_phone,
    normalize_phone,
    person_key,
    registration_status_label,
)
from .schemas import (
    DueResult,
    EventBrief,
    EventFields,
    EventInput,
    EventOut,
    EventStaffOut,
    FeedbackOut,
    Requirements,
    RegistrationInput,
    RegistrationOut,
    RegistrationResult,
    StaffRegistration,
    StaffRegistrationDetail,
)

# Event fields staff set, with the value a missing optional one takes.
OPTIONAL_DEFAULTS: dict[str, Any] = {
    "description": "", "lat": None, "lon": None, "max_party_size": None, "registration_opens_at": None,
    "registration_closes_at": None, "audience": "", "requires_id": False, "min_age": None,
    "safety_gear_provided": True, "accessibility_notes": "", "contact": "",
}
REQUIRED_FIELDS = ("title", "site_name", "address", "starts_at", "ends_at", "capacity")
EDITABLE = REQUIRED_FIELDS + tuple(OPTIONAL_DEFAULTS)
TIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
# A change to one of these is news for everyone registered.
NEWSWORTHY = ("starts_at", "ends_at", "site_name", "address")
MAX_EVENT_LENGTH = timedelta(days=7)
CODE_ATTEMPTS = 20


@dataclass(frozen=True)
class OpenDayPolicy:
    max_party_size: int
    tz: ZoneInfo
    public_base_url: str
    reminder_before: timedelta = timedelta(hours=24)
    # Feedback is asked for within this long after the end (not after a long outage of the loop).
    feedback_window: timedelta = timedelta(days=7)
    check_in_opens_before: timedelta = timedelta(hours=2)
    # Past events stay in the calendar feed this long.
    feed_history: timedelta = timedelta(days=90)

    @classmethod
    def from_settings(cls, settings: Any) -> OpenDayPolicy:
        return cls(
            max_party_size=settings.openday_max_party_size,
            tz=ZoneInfo(settings.timezone),
            public_base_url=settings.public_base_url.rstrip("/"),
        )


def _not_found(event_id: int) -> NotFound:
    return NotFound(f"找不到编号为 {event_id} 的开放日活动", f"No open day with id {event_id}",
                    code="event_not_found")


def _registration_not_found() -> NotFound:
    return NotFound("找不到该报名，或管理码不正确", "No registration with that id and token",
                    code="registration_not_found")


class OpenDayService:
    def __init__(self, db: Database, policy: OpenDayPolicy, clock: Clock):
        self.db = db
        self.policy = policy
        self.clock = clock

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
                    await self._tell_registrants(session, event, "openday_updated", now,
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
                outbox.enqueue(session, channel=sub.channel, recipient=sub.recipient, kind="openday_published",
                               payload=self._event_payload(event, sub.language), now=now)
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
                self._notify(session, event, reg, "openday_cancelled", now, reason=reason)
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

    async def registrations_csv(self, event_id: int, lang: str = "zh") -> bytes:
        rows = await self.registrations(event_id, lang=lang)
        en = is_english(lang)
        header = (
            ["Registration", "Name", "Phone (masked)", "Party size", "Channel", "Status", "Check-in code",
             "Waitlist position", "Registered at", "Checked in at", "Cancelled at"]
            if en else
            ["报名编号", "姓名", "手机号（部分隐藏）", "人数", "报名渠道", "状态", "签到码", "候补顺位", "报名时间",
             "签到时间", "取消时间"]
        )
        return self._csv(header, (
            [r.id, r.name, r.phone_masked, r.party_size, r.channel, r.status_label, r.check_in_code,
             r.waitlist_position, self._local(r.created_at), self._local(r.attended_at),
             self._local(r.cancelled_at)]
            for r in rows
        ))

    async def feedback(self, event_id: int) -> list[FeedbackOut]:
        async with self.db.session() as session:
            await self._event(session, event_id)
            rows = await session.scalars(
                select(OpenDayFeedback).where(OpenDayFeedback.event_id == event_id).order_by(OpenDayFeedback.id)
            )
            return [_feedback_out(f) for f in rows]

    async def feedback_csv(self, event_id: int, lang: str = "zh") -> bytes:
        rows = await self.feedback(event_id)
        header = (["Registration", "Name", "Rating", "Comment", "Submitted at"] if is_english(lang)
                  else ["报名编号", "姓名", "评分", "意见建议", "提交时间"])
        return self._csv(header, ([f.registration_id, f.name, f.rating, f.comment, self._local(f.updated_at)]
                                  for f in rows))

    def _csv(self, header: list[str], rows: Iterable[list[Any]]) -> bytes:
        return csv_text(header, rows).encode("utf-8")  # Excel-safe: names and comments never run

    def _local(self, value: datetime | None) -> str:
        return local_text(value, self.policy.tz) if value else ""

    # --- staff: check-in ----------------------------------------------------------------------
    async def check_in(self, event_id: int, code: str, actor: str, lang: str = "zh") -> StaffRegistrationDetail:
        code = "".join((code or "").split()).upper()
        now = self.clock.now()
        async with self.db.write_session() as session:
            event = await self._lock_event(session, event_id)
            lifecycle.check_check_in_status(event)
            opens = event.starts_at - self.policy.check_in_opens_before
            if now < opens:
                raise Conflict(f"签到于 {local_text(opens, self.policy.tz)} 开始（活动开始前 2 小时）",
                               f"Check-in opens at {local_text(opens, self.policy.tz)}", code="check_in_not_open")
            reg = await session.scalar(
                select(OpenDayRegistration).where(
                    OpenDayRegistration.event_id == event.id, OpenDayRegistration.check_in_code == code
                )
            )
            if reg is None:
                raise NotFound(f"本活动没有签到码为 {code} 的报名", f"No registration with check-in code {code}",
                               code="unknown_code")
            if reg.status == RegStatus.CANCELLED:
                raise Conflict("该报名已取消，不能签到", "This registration was cancelled", code="registration_cancelled")
            if reg.status == RegStatus.WAITLISTED:
                raise Conflict("该报名仍在候补名单中，没有确认的名额", "This registration is still on the waitlist",
                               code="still_waitlisted")
            if reg.status == RegStatus.ATTENDED:
                at = local_text(reg.attended_at, self.policy.tz) if reg.attended_at else ""
                raise Conflict(f"该报名已于 {at} 签到", f"Already checked in at {at}", code="already_checked_in")
            reg.status = RegStatus.ATTENDED.value
            reg.attended_at = now
            reg.checked_in_by = actor
            reg.updated_at = now
            return await self._staff_detail(session, reg, lang)

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

    async def feed_ics(self, lang: str = "zh") -> bytes:
        since = self.clock.now() - self.policy.feed_history
        async with self.db.session() as session:
            rows = list(await session.scalars(
                select(OpenDayEvent)
                .where(OpenDayEvent.published_at.is_not(None), OpenDayEvent.ends_at >= since)
                .order_by(OpenDayEvent.starts_at, OpenDayEvent.id)
            ))
        return ics.calendar_bytes(rows, self.policy.tz, {e.id: self.event_url(e.id) for e in rows}, lang)

    async def event_ics(self, event_id: int, lang: str = "zh") -> bytes:
        async with self.db.session() as session:
            event = await self._event(session, event_id, public=True)
        return ics.calendar_bytes([event], self.policy.tz, {event.id: self.event_url(event.id)}, lang,
                                  name=event.title)

    # --- registration --------------------------------------------------------------------------
    async def register(self, event_id: int, data: RegistrationInput) -> RegistrationResult:
        phone = normalize_phone(data.phone)
        key = person_key(data.channel, data.channel_user_id, data.name, phone)
        web = data.channel == RegChannel.WEB
        token = new_token() if web else None
        now = self.clock.now()
        async with self.db.write_session() as session:
            event = await self._lock_event(session, event_id, public=True)
            lifecycle.check_registration_open(event, now, self.policy.tz)
            seating.check_party_size(data.party_size, event.capacity, self._max_party(event))
            existing = await session.scalar(
                select(OpenDayRegistration).where(
                    OpenDayRegistration.event_id == event.id, OpenDayRegistration.person_key == key,
                    OpenDayRegistration.status != RegStatus.CANCELLED.value,
                )
            )
            if existing is not None:
                raise self._already_registered(existing, web, phone)
            seated = seating.Seats(event.capacity, event.seats_taken).fits(data.party_size)
            reg = OpenDayRegistration(
                event_id=event.id, name=data.name, phone=phone, party_size=data.party_size,
                channel=data.channel.value, channel_user_id=data.channel_user_id,
                chat_id=data.chat_id if not web else None,
                language=normalize_language(data.language), person_key=key,
                check_in_code=await self._new_code(session, event.id),
                status=(RegStatus.CONFIRMED if seated else RegStatus.WAITLISTED).value,
                token_hash=token_hash(token) if token else None,
                created_at=now, updated_at=now, confirmed_at=now if seated else None,
            )
            reg.event = event
            if seated:
                event.seats_taken += data.party_size
            session.add(reg)
            await session.flush()
            view = await self._registration_out(session, reg, now, data.language)
        return RegistrationResult(**view.model_dump(), manage_token=token)

    async def check_registration(
        self, event_id: int, channel: str, channel_user_id: str | None = None, lang: str = "zh"
    ) -> EventOut:
        """Raises what `register` would raise for the event's state (and, for a channel user, an
        existing registration), so a conversation can stop before asking anything; returns the event."""
        now = self.clock.now()
        async with self.db.session() as session:
            event = await self._event(session, event_id, public=True)
            lifecycle.check_registration_open(event, now, self.policy.tz)
            if channel_user_id:
                key = person_key(channel, channel_user_id, "", None)
                existing = await session.scalar(select(OpenDayRegistration).where(
                    OpenDayRegistration.event_id == event.id, OpenDayRegistration.person_key == key,
                    OpenDayRegistration.status != RegStatus.CANCELLED.value))
                if existing is not None:
                    raise self._already_registered(existing, channel == RegChannel.WEB, None)
            waiting = await self._waitlist_counts(session, [event.id])
        return self._event_out(event, waiting.get(event.id, 0), now, lang)

    def _already_registered(self, existing: OpenDayRegistration, web: bool, phone: str | None) -> Conflict:
        label_zh = registration_status_label(existing.status)
        if not web:
            return Conflict(
                f"您已报名该活动（{label_zh}，签到码 {existing.check_in_code}），每人只能有一份有效报名",
                f"You are already registered ({existing.status}, check-in code {existing.check_in_code})",
                code="already_registered", registration_id=existing.id,
            )
        if phone:
            return Conflict("该手机号已报名此活动；如需更改，请用报名时获得的管理链接先取消原报名",
                            "This phone number is already registered; cancel that registration first "
                            "with its manage link", code="already_registered")
        return Conflict("已有同名且未留手机号的报名；如果您是另一位同名人士，请填写手机号后报名",
                        "Someone with this name registered without a phone number; if that is not you, "
                        "register with your phone number", code="already_registered")

    async def _new_code(self, session: AsyncSession, event_id: int) -> str:
        for _ in range(CODE_ATTEMPTS):
            code = short_code(6)
            taken = await session.scalar(
                select(OpenDayRegistration.id).where(
                    OpenDayRegistration.event_id == event_id, OpenDayRegistration.check_in_code == code
                )
            )
            if taken is None:
                return code
        raise RuntimeError("could not find a free check-in code")  # 31^6 codes: practically unreachable

    def _max_party(self, event: OpenDayEvent) -> int:
        return seating.max_party(event.max_party_size, self.policy.max_party_size, event.capacity)

    # --- the registrant's side -----------------------------------------------------------------
    async def registration_by_token(self, registration_id: int, token: str, lang: str = "zh") -> RegistrationOut:
        async with self.db.session() as session:
            reg = await self._by_token(session, registration_id, token)
            return await self._registration_out(session, reg, self.clock.now(), lang)

    async def cancel_by_token(self, registration_id: int, token: str, lang: str = "zh") -> RegistrationOut:
        async with self.db.write_session() as session:
            await self._by_token(session, registration_id, token)
            return await self._cancel(session, registration_id, "registrant", lang)

    async def feedback_by_token(
        self, registration_id: int, token: str, rating: int, comment: str = "", lang: str = "zh"
    ) -> RegistrationOut:
        async with self.db.write_session() as session:
            reg = await self._by_token(session, registration_id, token)
            return await self._give_feedback(session, reg, rating, comment, lang)

    async def registrations_of_user(
        self, channel: str, channel_user_id: str, lang: str = "zh"
    ) -> list[RegistrationOut]:
        """A person's current registrations: upcoming ones, and recent ones that can still get feedback."""
        now = self.clock.now()
        async with self.db.session() as session:
            rows = await session.scalars(
                select(OpenDayRegistration)
                .join(OpenDayRegistration.event)
                .where(
                    OpenDayRegistration.channel == channel,
                    OpenDayRegistration.channel_user_id == channel_user_id,
                    OpenDayRegistration.status != RegStatus.CANCELLED.value,
                    OpenDayEvent.ends_at >= now - self.policy.feedback_window,
                )
                .order_by(OpenDayEvent.starts_at, OpenDayRegistration.id)
            )
            return [await self._registration_out(session, r, now, lang) for r in rows]

    async def registration_of_user(
        self, registration_id: int, channel: str, channel_user_id: str, lang: str = "zh"
    ) -> RegistrationOut:
        async with self.db.session() as session:
            reg = await self._of_user(session, registration_id, channel, channel_user_id)
            return await self._registration_out(session, reg, self.clock.now(), lang)

    async def cancel_for_user(
        self, registration_id: int, channel: str, channel_user_id: str, lang: str = "zh"
    ) -> RegistrationOut:
        async with self.db.write_session() as session:
            await self._of_user(session, registration_id, channel, channel_user_id)
            return await self._cancel(session, registration_id, "registrant", lang)

    async def feedback_for_user(
        self, registration_id: int, channel: str, channel_user_id: str, rating: int, comment: str = "",
        lang: str = "zh",
    ) -> RegistrationOut:
        async with self.db.write_session() as session:
            reg = await self._of_user(session, registration_id, channel, channel_user_id)
            return await self._give_feedback(session, reg, rating, comment, lang)

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

    async def _cancel(self, session: AsyncSession, registration_id: int, by: str, lang: str) -> RegistrationOut:
        """Cancel with the event locked first (the lock order everywhere: event, then registrations),
        then give freed seats to the waitlist."""
        now = self.clock.now()
        reg = await session.get(OpenDayRegistration, registration_id)
        assert reg is not None
        event = await self._lock_event(session, reg.event_id)
        await session.refresh(reg)
        if reg.status == RegStatus.CANCELLED:
            raise Conflict("该报名已经取消", "This registration is already cancelled", code="already_cancelled")
        if reg.status == RegStatus.ATTENDED:
            raise Conflict("已签到的报名不能取消", "A registration that checked in cannot be cancelled",
                           code="already_attended")
        if now >= event.starts_at:
            raise Conflict("活动已开始，不能再取消报名", "The event has started; it is too late to cancel",
                           code="too_late_to_cancel")
        seated = reg.status == RegStatus.CONFIRMED
        reg.status = RegStatus.CANCELLED.value
        reg.cancelled_at = now
        reg.cancelled_by = by
        reg.updated_at = now
        if seated:
            event.seats_taken -= reg.party_size
            await self._promote(session, event, now)
        return await self._registration_out(session, reg, now, lang)

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
            self._notify(session, event, reg, "openday_promoted", now)
        return [reg.id for reg in promoted]

    async def _give_feedback(
        self, session: AsyncSession, reg: OpenDayRegistration, rating: int, comment: str, lang: str
    ) -> RegistrationOut:
        now = self.clock.now()
        if not isinstance(rating, int) or not 1 <= rating <= 5:
            raise ValidationFailed("评分须为 1 到 5 之间的整数", "The rating must be a whole number from 1 to 5",
                                   code="invalid_rating")
        comment = (comment or "").strip()
        if len(comment) > 2000:
            raise ValidationFailed("意见不能超过 2000 字", "The comment must be at most 2000 characters",
                                   code="comment_too_long")
        event = await self._lock_event(session, reg.event_id)  # one feedback row per registration, also when racing
        if event.status == EventStatus.CANCELLED:
            raise Conflict("活动已取消，无需评价", "The event was cancelled", code="event_cancelled")
        if not lifecycle.takes_feedback(event, now):
            raise Conflict("活动结束后才能评价", "Feedback opens when the event has ended", code="feedback_too_early")
        if reg.status not in SEATED:
            raise Conflict("只有参加了活动的报名可以评价", "Only registrations that took part can give feedback",
                           code="feedback_not_allowed")
        existing = await session.scalar(select(OpenDayFeedback).where(OpenDayFeedback.registration_id == reg.id))
        if existing is None:
            session.add(OpenDayFeedback(registration_id=reg.id, event_id=event.id, rating=rating, comment=comment,
                                        created_at=now, updated_at=now))
        else:
            existing.rating, existing.comment, existing.updated_at = rating, comment, now
        await session.flush()
        return await self._registration_out(session, reg, now, lang)

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
            self._notify(session, event, reg, "openday_reminder", now)
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
            self._notify(session, event, reg, "openday_feedback_request", now)
        return len(regs)

    async def _tell_registrants(
        self, session: AsyncSession, event: OpenDayEvent, kind: str, now: datetime, reset_reminders: bool
    ) -> None:
        regs = await session.scalars(select(OpenDayRegistration).where(
            OpenDayRegistration.event_id == event.id,
            OpenDayRegistration.status.in_([RegStatus.CONFIRMED.value, RegStatus.WAITLISTED.value]),
        ).order_by(OpenDayRegistration.id))
        for reg in regs:
            if reset_reminders:
                reg.reminder_sent_at = None
            self._notify(session, event, reg, kind, now)

    # --- messages ------------------------------------------------------------------------------
    def _event_payload(self, event: OpenDayEvent, language: str) -> dict[str, Any]:
        tz = self.policy.tz
        return {
            "event_id": event.id,
            "title": event.title,
            "site_name": event.site_name,
            "address": event.address,
            "starts_at": event.starts_at.astimezone(tz).isoformat(),
            "ends_at": event.ends_at.astimezone(tz).isoformat(),
            "seats_left": seating.Seats(event.capacity, event.seats_taken).left,
            "url": self.event_url(event.id),
            "language": language,
        }

    def _notify(
        self, session: AsyncSession, event: OpenDayEvent, reg: OpenDayRegistration, kind: str, now: datetime,
        **extra: Any,
    ) -> None:
        if reg.channel not in PUSH_CHANNELS or not reg.chat_id:
            return  # web registrants see their status through their token
        payload = self._event_payload(event, reg.language) | {
            "registration_id": reg.id,
            "name": reg.name,
            "party_size": reg.party_size,
            "check_in_code": reg.check_in_code,
            "status": reg.status,
        } | extra
        outbox.enqueue(session, channel=reg.channel, recipient=reg.chat_id, kind=kind, payload=payload, now=now)

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
                requires_id=event.requires_id, min_age=event.min_age,
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


def _feedback_out(row: OpenDayFeedback) -> FeedbackOut:
    return FeedbackOut(
        registration_id=row.registration_id, event_id=row.event_id, name=row.registration.name,
        rating=row.rating, comment=row.comment, created_at=row.created_at, updated_at=row.updated_at,
    )
