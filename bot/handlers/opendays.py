"""Open days in the bot: the list (menu "开放日" and /opendays), an event's details and calendar file,
registration (name -> party size -> optional phone via the contact button), "my registrations"
with cancelling and feedback, announcement subscriptions, and the outbox messages about open days
(promotion, cancellation, changes, reminders, feedback requests, announcements).

Reminders and feedback requests are enqueued by `OpenDayService.due_notifications`, which the job
runner (`civicdesk/jobs.py`) runs; the delivery loop only sends what is queued.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)

from core.errors import DomainError
from opendays import messages
from opendays.ics import requirement_lines
from opendays.rules import RegChannel
from conversations.notices import render_event_news
from conversations.opendays import RegistrationConversation, stars_text, when_text
from core.conversation import Say
from opendays.schemas import ByChannelUser, EventOut, RegistrationOut

from ..context import BotContext, chat_id_of
from ..i18n import Html, Texts, labels
from ..render import markup

log = logging.getLogger(__name__)

CHANNEL = RegChannel.TELEGRAM.value
LIST_LIMIT = 10


class OpenDayFlow(StatesGroup):
    name = State()
    party = State()
    phone = State()
    comment = State()


class OdCb(CallbackData, prefix="od"):
    action: str  # list | show | ics | reg | mine | sub | unsub | cancel | cancel_yes | keep | rate
    id: int = 0


class OdRateCb(CallbackData, prefix="odr"):
    reg: int
    stars: int


# --- formatting -------------------------------------------------------------------------------------
def _me(user_id: int | str) -> ByChannelUser:
    """The Telegram user as a registrant."""
    return ByChannelUser(CHANNEL, str(user_id))


def _seats(event: EventOut, tr: Texts, tz: ZoneInfo, now: datetime) -> Html:
    if not event.registration_open:
        opens = event.registration_opens_at
        if event.status == "published" and opens is not None and opens > now:
            return tr("od.reg_not_open", at=f"{opens.astimezone(tz):%Y-%m-%d %H:%M}")
        return tr("od.reg_closed")
    if event.seats_left > 0:
        return tr("od.seats_left", left=event.seats_left, capacity=event.capacity)
    return tr("od.seats_full")


def _inline(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[list(r) for r in rows])


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text[:60], callback_data=data.pack())


def _reply(rows: Sequence[Sequence[KeyboardButton]]) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(keyboard=[list(r) for r in rows], resize_keyboard=True)


def _cancel_button(tr: Texts) -> KeyboardButton:
    # The report flow's cancel button: the start router ends any conversation with it.
    return KeyboardButton(text=tr.plain("report.button_cancel"))


def rating_keyboard(registration_id: int) -> InlineKeyboardMarkup:
    return _inline([[_button("⭐" * n, OdRateCb(reg=registration_id, stars=n)) for n in range(1, 6)]])


# --- the list and one event -------------------------------------------------------------------------
async def on_list(message: Message, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    await send_list(bot, message.chat.id, tr, ctx)


async def send_list(bot: Bot, chat_id: int, tr: Texts, ctx: BotContext) -> None:
    service = ctx.services.opendays
    tz = service.policy.tz
    events = (await service.upcoming(tr.lang))[:LIST_LIMIT]
    subscribed = await service.is_subscribed(CHANNEL, str(chat_id))
    rows = [[_button(tr.plain("od.button_event", n=n, title=e.title), OdCb(action="show", id=e.id))]
            for n, e in enumerate(events, start=1)]
    rows.append([_button(tr.plain("od.button_mine"), OdCb(action="mine"))])
    rows.append([_button(tr.plain("od.button_unsubscribe"), OdCb(action="unsub")) if subscribed
                 else _button(tr.plain("od.button_subscribe"), OdCb(action="sub"))])
    if not events:
        await bot.send_message(chat_id, tr("od.none"), reply_markup=_inline(rows))
        return
    blocks = [tr("od.list_header")]
    for n, event in enumerate(events, start=1):
        blocks.append(tr("od.item", n=n, title=event.title, when=when_text(event.starts_at, event.ends_at, tr.lang, tz),
                         site=event.site_name, seats=_seats(event, tr, tz, ctx.now())))
    await bot.send_message(chat_id, "\n\n".join(blocks), reply_markup=_inline(rows))


async def on_button(callback: CallbackQuery, callback_data: OdCb, state: FSMContext, tr: Texts, ctx: BotContext,
                    bot: Bot) -> None:
    await callback.answer()
    chat_id, user_id = chat_id_of(callback), callback.from_user.id
    action, item = callback_data.action, callback_data.id
    service = ctx.services.opendays
    if action == "list":
        await send_list(bot, chat_id, tr, ctx)
    elif action == "show":
        await send_event(bot, chat_id, item, tr, ctx)
    elif action == "ics":
        await send_ics(bot, chat_id, item, tr, ctx)
    elif action == "reg":
        await start_registration(bot, chat_id, user_id, callback.from_user.full_name.strip(), item, state, tr, ctx)
    elif action == "mine":
        await send_mine(bot, chat_id, user_id, tr, ctx)
    elif action in ("sub", "unsub"):
        if action == "sub":
            await service.subscribe(CHANNEL, str(chat_id), tr.lang)
        else:
            await service.unsubscribe(CHANNEL, str(chat_id))
        await bot.send_message(chat_id, tr("od.subscribed" if action == "sub" else "od.unsubscribed"))
    elif action == "cancel":
        await _confirm_cancel(bot, chat_id, user_id, item, tr, ctx)
    elif action == "cancel_yes":
        said = await registration(state, tr, ctx, user_id, chat_id).cancel_registration(item)
        await bot.send_message(chat_id, said.text)
    elif action == "keep":
        await bot.send_message(chat_id, tr("od.kept"))
    elif action == "rate":
        try:
            view = await service.registration(item, _me(user_id), tr.lang)
        except DomainError as exc:
            await bot.send_message(chat_id, exc.message(tr.lang))
            return
        await bot.send_message(chat_id, tr("od.ask_rating", title=view.event.title), reply_markup=rating_keyboard(item))


async def send_event(bot: Bot, chat_id: int, event_id: int, tr: Texts, ctx: BotContext) -> None:
    service = ctx.services.opendays
    tz = service.policy.tz
    try:
        event = await service.public_event(event_id, tr.lang)
    except DomainError:
        await bot.send_message(chat_id, tr("od.not_found"))
        return
    parts = [tr("od.detail", title=event.title, when=when_text(event.starts_at, event.ends_at, tr.lang, tz),
                site=event.site_name, address=event.address, seats=_seats(event, tr, tz, ctx.now()))]
    if event.description:
        parts.append(html.escape(event.description, quote=False))
    parts.append(tr("od.requirements"))
    r = event.requirements
    lines = requirement_lines(
        audience=event.audience, requires_id=r.requires_id, min_age=r.min_age,
        safety_gear_provided=r.safety_gear_provided, accessibility_notes=r.accessibility_notes,
        contact=event.contact, lang=tr.lang,
    )
    parts.extend(tr("od.requirement_line", text=line) for line in lines)
    parts.append(tr("od.party_limit", max=event.max_party_size))
    rows = []
    if event.registration_open:
        rows.append([_button(tr.plain("od.button_register"), OdCb(action="reg", id=event.id))])
    rows.append([_button(tr.plain("od.button_ics"), OdCb(action="ics", id=event.id)),
                 _button(tr.plain("od.button_back"), OdCb(action="list"))])
    await bot.send_message(chat_id, "\n".join(parts), reply_markup=_inline(rows))


async def send_ics(bot: Bot, chat_id: int, event_id: int, tr: Texts, ctx: BotContext) -> None:
    try:
        data = await ctx.services.opendays.event_ics(event_id, tr.lang)
    except DomainError:
        await bot.send_message(chat_id, tr("od.not_found"))
        return
    await bot.send_document(chat_id, BufferedInputFile(data, filename=f"openday-{event_id}.ics"),
                            caption=tr("od.ics_caption"))


# --- registering ------------------------------------------------------------------------------------
def registration(state: FSMContext, tr: Texts, ctx: BotContext, user_id: int, chat_id: int) -> RegistrationConversation:
    return RegistrationConversation(state, tr, ctx.services.opendays, CHANNEL, str(user_id), str(chat_id))


def _markup(say: Say, tr: Texts) -> Any:
    """The registration's widgets as reply keyboards (each with the report flow's cancel button,
    which the start router handles for any conversation)."""
    if say.widget == "name":
        return _reply(([[KeyboardButton(text=say.data)]] if say.data else []) + [[_cancel_button(tr)]])
    if say.widget == "party":
        numbers = [KeyboardButton(text=str(n)) for n in range(1, say.data + 1)]
        return _reply([numbers[i:i + 5] for i in range(0, len(numbers), 5)] + [[_cancel_button(tr)]])
    if say.widget == "phone":
        return _reply([
            [KeyboardButton(text=tr.plain("od.button_share_phone"), request_contact=True)],
            [KeyboardButton(text=tr.plain("od.button_skip")), _cancel_button(tr)],
        ])
    if say.widget == "skip":
        return _reply([[KeyboardButton(text=tr.plain("od.button_skip"))]])
    return markup(say, tr)


async def _show(bot: Bot, chat_id: int, says: Sequence[Say], tr: Texts) -> None:
    for say in says:
        await bot.send_message(chat_id, say.text, reply_markup=_markup(say, tr))


async def start_registration(bot: Bot, chat_id: int, user_id: int, full_name: str, event_id: int, state: FSMContext,
                             tr: Texts, ctx: BotContext) -> None:
    # The Telegram name as a one-tap answer; any other name can be typed.
    says = await registration(state, tr, ctx, user_id, chat_id).start(event_id, full_name)
    await _show(bot, chat_id, says, tr)


async def on_name(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    assert message.from_user is not None
    says = await registration(state, tr, ctx, message.from_user.id, message.chat.id).give_name(message.text or "")
    await _show(bot, message.chat.id, says, tr)


async def on_party(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    assert message.from_user is not None
    says = await registration(state, tr, ctx, message.from_user.id, message.chat.id).give_party(message.text or "")
    await _show(bot, message.chat.id, says, tr)


async def on_phone(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    contact, user = message.contact, message.from_user
    assert contact is not None and user is not None
    if contact.user_id != user.id:
        await message.answer(tr("od.phone_not_own"))
        return
    # Telegram sends the number of the account itself (checked above): a verified phone.
    await submit(bot, message.chat.id, user.id, state, tr, ctx, contact.phone_number, verified=True)


async def on_skip_phone(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    assert message.from_user is not None
    await submit(bot, message.chat.id, message.from_user.id, state, tr, ctx, None)


async def on_phone_expected(message: Message, tr: Texts) -> None:
    await message.answer(tr("od.phone_expected"))


async def on_text_expected(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    """A photo, sticker or the like where a typed answer is wanted: ask the question again."""
    assert message.from_user is not None
    says = await registration(state, tr, ctx, message.from_user.id, message.chat.id).reask()
    await _show(bot, message.chat.id, says, tr)


async def submit(bot: Bot, chat_id: int, user_id: int, state: FSMContext, tr: Texts, ctx: BotContext,
                 phone: str | None, verified: bool = False) -> None:
    done = await registration(state, tr, ctx, user_id, chat_id).finish(phone, verified)
    await _show(bot, chat_id, done.says, tr)
    if done.event is not None:
        await send_ics(bot, chat_id, done.event.id, tr, ctx)


# --- my registrations -------------------------------------------------------------------------------
async def on_mine(message: Message, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    assert message.from_user is not None
    await send_mine(bot, message.chat.id, message.from_user.id, tr, ctx)


async def send_mine(bot: Bot, chat_id: int, user_id: int, tr: Texts, ctx: BotContext) -> None:
    service = ctx.services.opendays
    mine: list[RegistrationOut] = await service.registrations_of_user(CHANNEL, str(user_id), tr.lang)
    if not mine:
        await bot.send_message(chat_id, tr("od.mine_none"))
        return
    blocks, rows = [tr("od.mine_header")], []
    for reg in mine:
        status = reg.status_label + (tr.plain("od.mine_waitlist", position=reg.waitlist_position)
                                     if reg.waitlist_position else "")
        block = tr("od.mine_item", title=reg.event.title, status=status, party=reg.party_size,
                   code=reg.check_in_code,
                   when=when_text(reg.event.starts_at, reg.event.ends_at, tr.lang, service.policy.tz))
        if reg.feedback:
            block = Html(block + "\n" + tr("od.mine_feedback", stars=stars_text(reg.feedback.rating, tr)))
        blocks.append(block)
        if reg.can_cancel:
            rows.append([_button(tr.plain("od.button_cancel_reg", title=reg.event.title), OdCb(action="cancel", id=reg.id))])
        if reg.can_give_feedback:
            rows.append([_button(tr.plain("od.button_feedback", title=reg.event.title), OdCb(action="rate", id=reg.id))])
    await bot.send_message(chat_id, "\n\n".join(blocks), reply_markup=_inline(rows) if rows else None)


async def _confirm_cancel(bot: Bot, chat_id: int, user_id: int, registration_id: int, tr: Texts,
                          ctx: BotContext) -> None:
    try:
        reg = await ctx.services.opendays.registration(registration_id, _me(user_id), tr.lang)
    except DomainError as exc:
        await bot.send_message(chat_id, exc.message(tr.lang))
        return
    await bot.send_message(chat_id, tr("od.cancel_confirm", title=reg.event.title), reply_markup=_inline([[
        _button(tr.plain("od.button_cancel_yes"), OdCb(action="cancel_yes", id=reg.id)),
        _button(tr.plain("od.button_keep"), OdCb(action="keep", id=reg.id)),
    ]]))


# --- feedback ---------------------------------------------------------------------------------------
async def on_rating(callback: CallbackQuery, callback_data: OdRateCb, state: FSMContext, tr: Texts, ctx: BotContext,
                    bot: Bot) -> None:
    """The rating is stored at once; a comment may follow."""
    await callback.answer()
    chat_id = chat_id_of(callback)
    conversation = registration(state, tr, ctx, callback.from_user.id, chat_id)
    refused = await conversation.store_rating(callback_data.reg, callback_data.stars)
    if refused is not None:
        await _show(bot, chat_id, [refused], tr)
        return
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    await _show(bot, chat_id, await conversation.ask_comment(callback_data.reg, callback_data.stars), tr)


async def on_comment(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    assert message.from_user is not None
    text = message.text or ""
    conversation = registration(state, tr, ctx, message.from_user.id, message.chat.id)
    await _show(bot, message.chat.id, await conversation.give_comment(text, text.strip() in labels("od.button_skip")), tr)


# --- messages from the outbox -----------------------------------------------------------------------
async def send_outbox_message(delivery: Any, chat_id: int, message: messages.EventNews, tr: Texts) -> None:
    """Render and send one open-day message (promotion, cancellation, change, reminder, feedback
    request, announcement). Telegram errors propagate to the delivery loop, which retries or gives up."""
    bot: Bot = delivery.bot
    text = render_event_news(message, tr, delivery.services.opendays.policy.tz)
    markup: InlineKeyboardMarkup | None = None
    if isinstance(message, messages.OpenDayPublished):
        markup = _inline([[_button(tr.plain("od.button_view"), OdCb(action="show", id=message.event_id))]])
    elif isinstance(message, messages.OpenDayFeedbackRequest):
        markup = rating_keyboard(message.registration_id)
    await bot.send_message(chat_id, text, reply_markup=markup)
    if isinstance(message, messages.OpenDayPromoted | messages.OpenDayUpdated):
        # The calendar file follows the news; if it fails the message has still gone out, so no retry.
        try:
            data = await delivery.services.opendays.event_ics(message.event_id, tr.lang)
            await bot.send_document(chat_id, BufferedInputFile(data, filename=f"openday-{message.event_id}.ics"),
                                    caption=tr("od.ics_caption"))
        except Exception:  # noqa: BLE001
            log.warning("calendar file for outbox %s to %s not sent", message.kind, chat_id, exc_info=True)


# The kinds this renderer sends (bot/delivery.py registers it for them).
OUTBOX_MESSAGES = (
    messages.OpenDayPublished, messages.OpenDayCancelled, messages.OpenDayFeedbackRequest,
    messages.OpenDayPromoted, messages.OpenDayUpdated, messages.OpenDayReminder,
)


def router() -> Router:
    r = Router(name="opendays")
    r.message.register(on_list, Command("opendays"))
    r.message.register(on_list, F.text.in_(labels("menu.opendays")))
    r.message.register(on_mine, Command("myopendays"))
    r.callback_query.register(on_button, OdCb.filter())
    r.callback_query.register(on_rating, OdRateCb.filter(F.stars.in_({1, 2, 3, 4, 5})))
    not_command = F.text & ~F.text.startswith("/")
    r.message.register(on_name, StateFilter(OpenDayFlow.name), not_command)
    r.message.register(on_party, StateFilter(OpenDayFlow.party), not_command)
    r.message.register(on_phone, StateFilter(OpenDayFlow.phone), F.contact)
    r.message.register(on_skip_phone, StateFilter(OpenDayFlow.phone), F.text.in_(labels("od.button_skip")))
    r.message.register(on_phone_expected, StateFilter(OpenDayFlow.phone))
    r.message.register(on_comment, StateFilter(OpenDayFlow.comment), not_command)
    r.message.register(on_text_expected, StateFilter(OpenDayFlow.name, OpenDayFlow.party, OpenDayFlow.comment),
                       ~F.text)
    return r

