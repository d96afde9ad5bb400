"""Registering, the registrant's own view, cancelling, feedback, and check-in; seats move here
(the rules are in `opendays/seating.py`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import contacts
from core.errors import Conflict, NotFound, ValidationFailed
from core.ids import new_token, short_code, token_hash
from core.kit.language import normalize_language

from .. import lifecycle, seating
from ..models import OpenDayEvent, OpenDayFeedback, OpenDayRegistration
from ..rules import (
    SEATED,
    EventStatus,
    RegChannel,
    RegStatus,
    check_verified_phone,
    local_text,
    normalize_phone,
    person_key,
    registration_status_label,
)
from ..schemas import (
    ByToken,
    EventOut,
    Registrant,
    RegistrationInput,
    RegistrationOut,
    RegistrationResult,
    StaffRegistrationDetail,
)
from .base import Base

CODE_ATTEMPTS = 20


class Registrations(Base):
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
            check_verified_phone(event.requires_verified_phone, phone, data.phone_verified)
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
            if web:
                self._add_contacts(session, reg, data, token)
            view = await self._registration_out(session, reg, now, data.language)
        return RegistrationResult(**view.model_dump(), manage_token=token)

    def _add_contacts(self, session: AsyncSession, reg: OpenDayRegistration, data: RegistrationInput,
                      token: str | None) -> None:
        """Where a web registrant asked to be told (a seat from the waiting list, a change, a
        cancellation): only what they opted in to is kept."""
        common = {"subject": contacts.REGISTRATION, "subject_id": reg.id, "token": token, "notify": True,
                  "language": reg.language, "now": reg.created_at}
        if data.email and data.notify_email:
            contacts.add(session, self.contact_keys, channel=contacts.EMAIL, address=data.email, **common)
        mobile = contacts.mobile_or_none(data.phone)
        if mobile and data.notify_sms:
            contacts.add(session, self.contact_keys, channel=contacts.SMS, address=mobile, **common)

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

    # --- the registrant's side: a web registrant with their token, or a chat user -------------
    async def registration(self, registration_id: int, who: Registrant, lang: str = "zh") -> RegistrationOut:
        async with self.db.session() as session:
            reg = await self._registrant(session, registration_id, who)
            return await self._registration_out(session, reg, self.clock.now(), lang)

    async def cancel_registration(self, registration_id: int, who: Registrant, lang: str = "zh") -> RegistrationOut:
        async with self.db.write_session() as session:
            await self._registrant(session, registration_id, who)
            return await self._cancel(session, registration_id, "registrant", lang)

    async def sms_updates(self, registration_id: int, who: Registrant) -> bool | None:
        """Whether the registrant gets SMS updates (None: they never asked)."""
        async with self.db.session() as session:
            reg = await self._registrant(session, registration_id, who)
            return await contacts.sms_state(session, contacts.REGISTRATION, reg.id)

    async def stop_sms(self, registration_id: int, who: Registrant) -> int:
        """Stop the registration's SMS updates (the registration page's button)."""
        async with self.db.write_session() as session:
            reg = await self._registrant(session, registration_id, who)
            return await contacts.stop_sms(session, contacts.REGISTRATION, reg.id, self.clock.now())

    async def give_feedback(
        self, registration_id: int, who: Registrant, rating: int, comment: str = "", lang: str = "zh"
    ) -> RegistrationOut:
        async with self.db.write_session() as session:
            reg = await self._registrant(session, registration_id, who)
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

    async def _registrant(self, session: AsyncSession, registration_id: int, who: Registrant) -> OpenDayRegistration:
        if isinstance(who, ByToken):
            return await self._by_token(session, registration_id, who.token)
        return await self._of_user(session, registration_id, who.channel, who.user_id)

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
