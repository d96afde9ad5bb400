"""回访 and additions on Telegram: rate a resolved report with one tap, ask for reopening with a
reason, add text or a photo to an open report. Rules and storage are the complaints service's
(`complaints/followup.py`); this module only asks and answers."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from complaints.followup import Rating
from complaints.schemas import Channel, FollowupView
from complaints.service import ChannelUser
from core.errors import DomainError

from ..context import BotContext, chat_id_of
from ..i18n import Texts
from ..photos import DownloadFailed, IncomingPhoto, photo_source


class FollowupCb(CallbackData, prefix="fu"):
    action: str  # rate | reopen | add
    number: str
    value: str = ""


class FollowupFlow(StatesGroup):
    reason = State()
    supplement = State()


def reporter(user_id: int) -> ChannelUser:
    return ChannelUser(Channel.TELEGRAM.value, str(user_id))


def rating_row(tr: Texts, number: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=tr.plain(f"fu.rating_{r.value}"),
                                 callback_data=FollowupCb(action="rate", number=number, value=r.value).pack())
            for r in Rating]


def followup_keyboard(tr: Texts, number: str, view: FollowupView) -> InlineKeyboardMarkup | None:
    """The buttons under a report's history: what its reporter may do now."""
    rows: list[list[InlineKeyboardButton]] = []
    if view.can_rate:
        rows.append(rating_row(tr, number))
    if view.can_request_reopen:
        rows.append([_button(tr, "fu.button_reopen", "reopen", number)])
    if view.can_supplement:
        rows.append([_button(tr, "fu.button_supplement", "add", number)])
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def _button(tr: Texts, key: str, action: str, number: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=tr.plain(key), callback_data=FollowupCb(action=action, number=number).pack())


async def on_rate(callback: CallbackQuery, callback_data: FollowupCb, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    await callback.answer()
    chat_id, who, number = chat_id_of(callback), reporter(callback.from_user.id), callback_data.number
    try:
        await ctx.complaints.rate(number, who, callback_data.value)
    except DomainError as exc:
        await bot.send_message(chat_id, tr("fu.refused", reason=exc.message(tr.lang)))
        return
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)  # rated once: no second tap
    view = await ctx.complaints.followup_view(number, who, tr.lang)
    await bot.send_message(chat_id, tr("fu.rated", rating=view.rating_label or ""))
    if view.can_request_reopen and view.reopen_until is not None:
        await bot.send_message(chat_id, tr("fu.offer_reopen", until=ctx.local_date(view.reopen_until)),
                               reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
                                   _button(tr, "fu.button_reopen", "reopen", number)]]))


async def on_start_text(callback: CallbackQuery, callback_data: FollowupCb, state: FSMContext, tr: Texts,
                        bot: Bot) -> None:
    """Reopen or add: the next message is the reason, or the addition."""
    await callback.answer()
    reopen = callback_data.action == "reopen"
    await state.set_state(FollowupFlow.reason if reopen else FollowupFlow.supplement)
    await state.update_data(number=callback_data.number)
    await bot.send_message(chat_id_of(callback), tr("fu.ask_reason" if reopen else "fu.ask_supplement"))


async def on_reason(message: Message, state: FSMContext, tr: Texts, ctx: BotContext) -> None:
    assert message.from_user is not None
    number = (await state.get_data())["number"]
    try:
        await ctx.complaints.request_reopen(number, reporter(message.from_user.id), message.text or "")
    except DomainError as exc:
        await message.answer(tr("fu.refused", reason=exc.message(tr.lang)))  # still waiting for a reason
        return
    await state.clear()
    await message.answer(tr("fu.reopen_requested"))


async def on_supplement(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    assert message.from_user is not None
    number = (await state.get_data())["number"]
    photo = IncomingPhoto.of(message)
    try:
        photos = [await photo_source(ctx.intake, bot).upload(photo.as_dict())] if photo else []
        await ctx.complaints.supplement(number, reporter(message.from_user.id),
                                        (message.caption if photo else message.text) or "", photos)
    except DownloadFailed:
        await message.answer(tr("fu.photo_refused", reason=""))
        return
    except DomainError as exc:
        await message.answer(tr("fu.photo_refused" if photo else "fu.refused", reason=exc.message(tr.lang)))
        return
    await state.clear()
    await message.answer(tr("fu.supplemented"))


def router() -> Router:
    r = Router(name="followup")
    r.callback_query.register(on_rate, FollowupCb.filter(F.action == "rate"))
    r.callback_query.register(on_start_text, FollowupCb.filter(F.action.in_({"reopen", "add"})))
    r.message.register(on_reason, StateFilter(FollowupFlow.reason), F.text, ~F.text.startswith("/"))
    r.message.register(on_supplement, StateFilter(FollowupFlow.supplement), ~F.text.startswith("/"))
    return r
