"""Open days on WeChat, in typed replies over the shared `conversations/opendays.py`: the list
("报名 N", "详情 N"), my registrations ("取消报名 N" with a confirmation, "评价 N" for 1-5 stars and a
comment), and the event's calendar file as a link (WeChat cannot send an .ics file to a person)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from conversations.i18n import Texts
from conversations.opendays import RegistrationConversation, calendar_link, stars_text, when_text
from core.conversation import Say
from core.errors import ValidationFailed
from core.phones import normalize_phone
from opendays.rules import RegChannel
from opendays.schemas import RegistrationOut

from . import texts as wx

if TYPE_CHECKING:
    from .channel import WeChatChannel

LIST_LIMIT = 10
CHANNEL = RegChannel.WECHAT.value
EVENT_ACTION = re.compile(r"^\s*(报名|详情|register|details)\s*(\d{1,2})\s*$", re.I)
MINE_ACTION = re.compile(r"^\s*(取消报名|评价|cancel registration|rate)\s*(\d{1,2})?\s*$", re.I)


def registration(channel: WeChatChannel, openid: str, tr: Texts) -> RegistrationConversation:
    return RegistrationConversation(channel.state_of(openid), tr, channel.services.opendays, CHANNEL, openid, openid)


def _calendar(channel: WeChatChannel, event_id: int, tr: Texts) -> Say:
    return Say(tr("od.ics_link", url=calendar_link(channel.services.opendays, event_id, tr.lang)))


async def listing(channel: WeChatChannel, tr: Texts) -> list[Say]:
    service = channel.services.opendays
    events = (await service.upcoming(tr.lang))[:LIST_LIMIT]
    if not events:
        return [Say(tr("od.none"))]
    blocks = [tr("od.list_header")]
    for n, event in enumerate(events, start=1):
        when = when_text(event.starts_at, event.ends_at, tr.lang, service.policy.tz)
        seats = tr("od.seats_left", left=event.seats_left, capacity=event.capacity) if event.registration_open \
            else tr("od.reg_closed")
        blocks.append(tr("od.item", n=n, title=event.title, when=when, site=event.site_name, seats=seats))
    blocks.append(wx.hint(tr.lang, "opendays_hint"))
    return [Say("\n\n".join(blocks))]


async def typed(channel: WeChatChannel, openid: str, text: str, tr: Texts) -> list[Say] | None:
    """The answer when `text` is an open-day command; None otherwise."""
    if wx.is_answer(text, "od.button_mine"):
        return await mine(channel, openid, tr)
    event_action = EVENT_ACTION.match(text)
    if event_action:
        return await _event_action(channel, openid, event_action.group(1).lower(), int(event_action.group(2)), tr)
    mine_action = MINE_ACTION.match(text)
    if mine_action:
        return await _mine_action(channel, openid, mine_action.group(1).lower(), mine_action.group(2), tr)
    return None


async def _event_action(channel: WeChatChannel, openid: str, verb: str, n: int, tr: Texts) -> list[Say]:
    service = channel.services.opendays
    events = (await service.upcoming(tr.lang))[:LIST_LIMIT]
    if not 1 <= n <= len(events):
        return [Say(tr("od.not_found"))]
    event = events[n - 1]
    if verb in ("报名", "register"):
        return await registration(channel, openid, tr).start(event.id)
    when = when_text(event.starts_at, event.ends_at, tr.lang, service.policy.tz)
    seats = tr("od.seats_left", left=event.seats_left, capacity=event.capacity)
    parts = [tr("od.detail", title=event.title, when=when, site=event.site_name, address=event.address,
                seats=seats)]
    if event.description:
        parts.append(event.description)
    parts.append(tr("od.party_limit", max=event.max_party_size))
    return [Say("\n".join(parts)), _calendar(channel, event.id, tr)]


async def step(channel: WeChatChannel, openid: str, text: str, tr: Texts, at: str) -> list[Say]:
    """A text inside the registration conversation (or its cancel question, rating, comment)."""
    conversation = registration(channel, openid, tr)
    if at == "name":
        return await conversation.give_name(text)
    if at == "party":
        return await conversation.give_party(text)
    if at == "phone":
        if wx.is_answer(text, "od.button_skip"):
            phone = None
        else:
            try:
                phone = normalize_phone(text)
            except ValidationFailed as exc:
                return [Say(exc.message(tr.lang)), Say(tr("od.ask_phone"), "phone")]
        done = await conversation.finish(phone)
        return [*done.says, *([_calendar(channel, done.event.id, tr)] if done.event else [])]
    if at == "cancel":
        if wx.is_answer(text, "od.button_cancel_yes"):
            return await conversation.decide_cancel(True)
        if wx.is_answer(text, "od.button_keep"):
            return await conversation.decide_cancel(False)
        return [Say(tr("od.cancel_confirm_again"), "cancel_confirm")]
    if at == "rating":
        return await conversation.give_rating(text)
    return await conversation.give_comment(text, wx.is_answer(text, "od.button_skip"))


async def _mine(channel: WeChatChannel, openid: str, tr: Texts) -> list[RegistrationOut]:
    return await channel.services.opendays.registrations_of_user(CHANNEL, openid, tr.lang)


async def mine(channel: WeChatChannel, openid: str, tr: Texts) -> list[Say]:
    service = channel.services.opendays
    regs = await _mine(channel, openid, tr)
    if not regs:
        return [Say(tr("od.mine_none"))]
    blocks = [tr("od.mine_header")]
    for n, reg in enumerate(regs, start=1):
        when = when_text(reg.event.starts_at, reg.event.ends_at, tr.lang, service.policy.tz)
        status = reg.status_label + (tr.plain("od.mine_waitlist", position=reg.waitlist_position)
                                     if reg.waitlist_position else "")
        block = f"{n}. " + tr("od.mine_item", title=reg.event.title, status=status, party=reg.party_size,
                              code=reg.check_in_code, when=when)
        if reg.feedback:
            block += "\n" + tr("od.mine_feedback", stars=stars_text(reg.feedback.rating, tr))
        if reg.can_cancel:
            block += "\n" + tr("od.ics_link", url=calendar_link(service, reg.event.id, tr.lang))
        blocks.append(block)
    if any(r.can_cancel or r.can_give_feedback for r in regs):
        blocks.append(wx.hint(tr.lang, "mine_hint"))
    return [Say("\n\n".join(blocks))]


async def _mine_action(channel: WeChatChannel, openid: str, verb: str, n: str | None, tr: Texts) -> list[Say]:
    """"取消报名 N" / "评价 N" on the numbered "我的报名"; without N, the only registration it fits."""
    cancelling = verb in ("取消报名", "cancel registration")
    regs = await _mine(channel, openid, tr)
    if n is not None:
        if not 1 <= int(n) <= len(regs):
            return [Say(tr("od.not_found")), *await mine(channel, openid, tr)]
        chosen = regs[int(n) - 1]
    else:
        fitting = [r for r in regs if (r.can_cancel if cancelling else r.can_give_feedback)]
        if len(fitting) != 1:
            if not fitting:
                return [Say(tr("od.mine_none_cancel" if cancelling else "od.mine_none_rate"))]
            return await mine(channel, openid, tr)
        chosen = fitting[0]
    conversation = registration(channel, openid, tr)
    if cancelling:
        return await conversation.confirm_cancel(chosen.id)
    return await conversation.start_rating(chosen.id)
