"""Registering for an open day, for every chat channel: name -> party size -> optional phone ->
registered (confirmed or waitlisted), and the comment that may follow a star rating.

What is stored at each step: `event_id` and `max_party` on entry, then `name`, then `party_size`;
the registration itself is made only by `OpenDayService.register` at the end. Cancelling asked as
a question keeps `cancel_reg` (step `cancel`); a rating typed as a reply keeps `rating_reg`
(step `rating`), then the comment step. Widgets named in the answers: name (data: a one-tap name
suggestion or None), party (data: the party limit), phone, skip, cancel_confirm, stars, main_menu.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from core.conversation import Say, StateAccess, state_name, step_of
from core.errors import DomainError
from opendays.schemas import ByChannelUser, EventOut, RegistrationInput, RegistrationOut
from opendays.service import OpenDayService

from .i18n import Texts

FLOW = "OpenDayFlow"
MAX_NAME = 100
MAX_COMMENT = 2000
WEEKDAYS_ZH = "一二三四五六日"


def when_text(starts: datetime, ends: datetime, lang: str, tz: ZoneInfo) -> str:
    s, e = starts.astimezone(tz), ends.astimezone(tz)
    if lang == "en":
        day = f"{s:%a} {s.day} {s:%b %Y}"
        end = f"{e:%H:%M}" if e.date() == s.date() else f"{e:%a} {e.day} {e:%b} {e:%H:%M}"
        return f"{day}, {s:%H:%M}–{end}"
    day = f"{s.year}年{s.month}月{s.day}日（周{WEEKDAYS_ZH[s.weekday()]}）"
    end = f"{e:%H:%M}" if e.date() == s.date() else f"{e.month}月{e.day}日 {e:%H:%M}"
    return f"{day}{s:%H:%M}–{end}"


def parse_stars(text: str) -> int | None:
    """A typed rating: "4", "4星", "4 stars" or "⭐⭐⭐⭐"; None unless 1-5."""
    value = text.strip()
    if value and set(value) == {"⭐"}:
        n = len(value)
    else:
        match = re.fullmatch(r"([1-5])\s*(星|分|stars?)?", value, re.I)
        n = int(match.group(1)) if match else 0
    return n if 1 <= n <= 5 else None


def calendar_link(service: OpenDayService, event_id: int, lang: str) -> str:
    """The event's .ics address, in the reader's language."""
    url = service.ics_url(event_id)
    return f"{url}?lang=en" if lang == "en" else url


def stars_text(n: int, tr: Texts) -> str:
    return f"{'⭐' * n} " + tr.plain("od.stars", n=n)


@dataclass
class Registered:
    """The end of a registration: what to say, and the event (a channel may add its calendar file)."""

    says: list[Say]
    event: EventOut | None = None


class RegistrationConversation:
    def __init__(self, state: StateAccess, tr: Texts, service: OpenDayService, channel: str, user_id: str,
                 chat_id: str):
        self.state = state
        self.tr = tr
        self.service = service
        self.channel = channel
        self.user_id = user_id
        self.chat_id = chat_id

    @property
    def me(self) -> ByChannelUser:
        return ByChannelUser(self.channel, self.user_id)

    async def step(self) -> str | None:
        return step_of(await self.state.get_state(), FLOW)

    async def start(self, event_id: int, suggested_name: str = "") -> list[Say]:
        """Check the event takes this person, then ask for the name. Another conversation in
        progress (a report) is not interrupted."""
        tr = self.tr
        current = await self.state.get_state()
        if current is not None and step_of(current, FLOW) is None:
            return [Say(tr("od.busy_elsewhere"))]
        try:
            event = await self.service.check_registration(event_id, self.channel, self.user_id, tr.lang)
        except DomainError as exc:
            await self.state.clear()
            return [Say(tr("od.refused", reason=exc.message(tr.lang)))]
        await self.state.set_data({"event_id": event.id, "max_party": event.max_party_size})
        await self.state.set_state(state_name(FLOW, "name"))
        suggestion = suggested_name if 1 <= len(suggested_name) <= MAX_NAME else None
        return [Say(tr("od.ask_name"), "name", suggestion)]

    async def give_name(self, text: str) -> list[Say]:
        name = " ".join(text.split())
        if not 1 <= len(name) <= MAX_NAME:
            return [Say(self.tr("od.name_invalid", max=MAX_NAME))]
        data = await self.state.update_data(name=name)
        await self.state.set_state(state_name(FLOW, "party"))
        return [Say(self.tr("od.ask_party", max=data["max_party"]), "party", data["max_party"])]

    async def give_party(self, text: str) -> list[Say]:
        limit = (await self.state.get_data())["max_party"]
        try:
            size = int(text.strip())
        except ValueError:
            size = 0
        if not 1 <= size <= limit:
            return [Say(self.tr("od.party_invalid", max=limit))]
        await self.state.update_data(party_size=size)
        await self.state.set_state(state_name(FLOW, "phone"))
        return [Say(self.tr("od.ask_phone"), "phone")]

    async def reask(self) -> list[Say]:
        """The question of the current step again (something other than a typed answer came)."""
        step, data = await self.step(), await self.state.get_data()
        if step == "name":
            return [Say(self.tr("od.ask_name"))]
        if step == "party":
            return [Say(self.tr("od.party_invalid", max=data["max_party"]))]
        if step == "phone":
            return [Say(self.tr("od.phone_expected"))]
        return [Say(self.tr("od.ask_comment", stars=stars_text(data.get("stars", 0), self.tr)))]

    async def finish(self, phone: str | None, phone_verified: bool = False) -> Registered:
        """`phone_verified`: the channel vouches the number is the person's (Telegram's contact of
        the sender's own account, shared with request_contact); a typed number is not."""
        tr = self.tr
        data = await self.state.get_data()
        try:
            result = await self.service.register(data["event_id"], RegistrationInput(
                name=data["name"], phone=phone, party_size=data["party_size"], channel=self.channel,
                channel_user_id=self.user_id, chat_id=self.chat_id, language=tr.lang, phone_verified=phone_verified,
            ))
        except DomainError as exc:
            await self.state.clear()
            return Registered([Say(tr("od.refused", reason=exc.message(tr.lang)), "main_menu")])
        await self.state.clear()
        event = await self.service.public_event(result.event.id, tr.lang)
        return Registered([Say(self.registered_text(result, event), "main_menu")], event)

    def registered_text(self, result: RegistrationOut, event: EventOut) -> str:
        tr = self.tr
        when = when_text(event.starts_at, event.ends_at, tr.lang, self.service.policy.tz)
        if result.status == "confirmed":
            return tr("od.confirmed", title=event.title, when=when, site=event.site_name, address=event.address,
                      party=result.party_size, code=result.check_in_code)
        return tr("od.waitlisted", position=result.waitlist_position or "", title=event.title, when=when,
                  party=result.party_size, code=result.check_in_code)

    async def _enter(self, step: str, data: dict[str, object]) -> Say | None:
        """Enter a step of this flow, unless another conversation (a report) is in progress."""
        current = await self.state.get_state()
        if current is not None and step_of(current, FLOW) is None:
            return Say(self.tr("od.busy_elsewhere"))
        await self.state.set_data(data)
        await self.state.set_state(state_name(FLOW, step))
        return None

    # --- cancelling ---------------------------------------------------------------------------
    async def _ask_about(self, registration_id: int, step: str, key: str, widget: str,
                         allowed: Callable[[RegistrationOut], Say | None]) -> list[Say]:
        """A question about one of the person's registrations whose answer is the next message."""
        tr = self.tr
        try:
            reg = await self.service.registration(registration_id, self.me, tr.lang)
        except DomainError as exc:
            return [Say(exc.message(tr.lang))]
        refused = allowed(reg)
        if refused is not None:
            return [refused]
        busy = await self._enter(step, {f"{step}_reg": reg.id})
        return [busy] if busy else [Say(tr(key, title=reg.event.title), widget)]

    async def confirm_cancel(self, registration_id: int) -> list[Say]:
        """Ask before cancelling; the answer (`decide_cancel`) is the next message (channels with
        buttons put the registration in the button instead and call `cancel_registration`)."""
        tr = self.tr
        return await self._ask_about(
            registration_id, "cancel", "od.cancel_confirm", "cancel_confirm",
            lambda reg: None if reg.can_cancel else Say(tr("od.cannot_cancel", title=reg.event.title,
                                                           status=reg.status_label)))

    async def decide_cancel(self, yes: bool) -> list[Say]:
        registration_id = (await self.state.get_data()).get("cancel_reg")
        await self.state.clear()
        if not yes or registration_id is None:
            return [Say(self.tr("od.kept"), "main_menu")]
        return [await self.cancel_registration(int(registration_id))]

    async def cancel_registration(self, registration_id: int) -> Say:
        tr = self.tr
        try:
            view = await self.service.cancel_registration(registration_id, self.me, tr.lang)
        except DomainError as exc:
            return Say(exc.message(tr.lang))
        return Say(tr("od.cancelled", title=view.event.title), "main_menu")

    # --- feedback -----------------------------------------------------------------------------
    async def start_rating(self, registration_id: int) -> list[Say]:
        """Ask for 1-5 stars as the next message (channels with buttons show star buttons instead)."""
        tr = self.tr
        return await self._ask_about(
            registration_id, "rating", "od.ask_rating", "stars",
            lambda reg: None if reg.can_give_feedback else Say(tr("od.cannot_rate", title=reg.event.title)))

    async def give_rating(self, text: str) -> list[Say]:
        stars = parse_stars(text)
        if stars is None:
            return [Say(self.tr("od.rating_invalid"), "stars")]
        registration_id = int((await self.state.get_data())["rating_reg"])
        refused = await self.store_rating(registration_id, stars)
        if refused is not None:
            await self.state.clear()
            return [refused]
        return await self.ask_comment(registration_id, stars)

    async def store_rating(self, registration_id: int, stars: int) -> Say | None:
        """The rating is stored at once (a comment may follow); a Say when it was refused."""
        try:
            await self.service.give_feedback(registration_id, self.me, stars, "", self.tr.lang)
        except DomainError as exc:
            return Say(exc.message(self.tr.lang))
        return None

    async def ask_comment(self, registration_id: int, stars: int) -> list[Say]:
        tr = self.tr
        current = await self.state.get_state()
        if current is not None and step_of(current, FLOW) is None:
            return [Say(tr("od.feedback_thanks"))]  # do not interrupt a report in progress
        await self.state.set_data({"feedback_reg": registration_id, "stars": stars})
        await self.state.set_state(state_name(FLOW, "comment"))
        return [Say(tr("od.ask_comment", stars=stars_text(stars, tr)), "skip")]

    async def give_comment(self, text: str, skipped: bool) -> list[Say]:
        tr = self.tr
        comment = text.strip()
        if len(comment) > MAX_COMMENT:
            return [Say(tr("od.comment_too_long", max=MAX_COMMENT))]
        data = await self.state.get_data()
        await self.state.clear()
        if not skipped:
            try:
                await self.service.give_feedback(data["feedback_reg"], self.me, data["stars"], comment, tr.lang)
            except DomainError as exc:
                return [Say(exc.message(tr.lang), "main_menu")]
        return [Say(tr("od.feedback_thanks"), "main_menu")]
