"""回访 and additions on Telegram: rate a resolved report with one tap (then a comment if they
like), ask for reopening with a reason, add text or a photo to an open report. The conversation is `conversations/followup.py`
(shared with WeChat); this module turns buttons into its calls and draws its answers."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from complaints.followup import Rating
from complaints.schemas import Channel, FollowupView
from complaints.service import ChannelUser
from conversations.followup import FollowupConversation
from core.conversation import Say

from ..context import BotContext, chat_id_of
from ..i18n import Texts
from ..photos import IncomingPhoto, photo_source


class FollowupCb(CallbackData, prefix="fu"):
    action: str  # rate | comment | reopen | add
    number: str
    value: str = ""


class FollowupFlow(StatesGroup):
    comment = State()
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


def conversation(state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot, user_id: int) -> FollowupConversation:
    return FollowupConversation(state, tr, ctx.complaints, reporter(user_id), ctx.local_date,
                                photo_source(ctx.intake, bot))


def _markup(say: Say, tr: Texts) -> Any:
    if say.widget in ("reopen", "comment"):
        key = f"fu.button_{say.widget}"
        return InlineKeyboardMarkup(inline_keyboard=[[_button(tr, key, say.widget, say.data)]])
    return None  # the reply keyboard stays as it is


async def _show(bot: Bot, chat_id: int, says: list[Say], tr: Texts) -> None:
    for say in says:
        await bot.send_message(chat_id, say.text, reply_markup=_markup(say, tr))


async def on_rate(callback: CallbackQuery, callback_data: FollowupCb, state: FSMContext, tr: Texts,
                  ctx: BotContext, bot: Bot) -> None:
    await callback.answer()
    rated = await conversation(state, tr, ctx, bot, callback.from_user.id).rate(callback_data.number,
                                                                                callback_data.value,
                                                                                offer_comment=True)
    if rated.stored and isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)  # rated once: no second tap
    await _show(bot, chat_id_of(callback), rated.says, tr)


async def on_start_text(callback: CallbackQuery, callback_data: FollowupCb, state: FSMContext, tr: Texts,
                        ctx: BotContext, bot: Bot) -> None:
    """Comment, reopen or add: the next message is the comment, the reason, or the addition."""
    await callback.answer()
    flow = conversation(state, tr, ctx, bot, callback.from_user.id)
    if callback_data.action == "comment":
        says = await flow.start_comment(callback_data.number)
    elif callback_data.action == "reopen":
        says = await flow.start_reopen(callback_data.number)
    else:
        says = await flow.start_supplement(callback_data.number)
    await _show(bot, chat_id_of(callback), says, tr)


async def on_reason(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    assert message.from_user is not None
    says = await conversation(state, tr, ctx, bot, message.from_user.id).give_reason(message.text or "")
    await _show(bot, message.chat.id, says, tr)


async def on_comment(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    assert message.from_user is not None
    says = await conversation(state, tr, ctx, bot, message.from_user.id).give_comment(message.text or "")
    await _show(bot, message.chat.id, says, tr)


async def on_supplement(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    assert message.from_user is not None
    photo = IncomingPhoto.of(message)
    flow = conversation(state, tr, ctx, bot, message.from_user.id)
    if photo:
        says = await flow.supplement_now(message.caption or "", [photo.as_dict()])
    else:
        says = await flow.supplement_now(message.text or "")
    await _show(bot, message.chat.id, says, tr)


def router() -> Router:
    r = Router(name="followup")
    r.callback_query.register(on_rate, FollowupCb.filter(F.action == "rate"))
    r.callback_query.register(on_start_text, FollowupCb.filter(F.action.in_({"comment", "reopen", "add"})))
    r.message.register(on_comment, StateFilter(FollowupFlow.comment), F.text, ~F.text.startswith("/"))
    r.message.register(on_reason, StateFilter(FollowupFlow.reason), F.text, ~F.text.startswith("/"))
    r.message.register(on_supplement, StateFilter(FollowupFlow.supplement), ~F.text.startswith("/"))
    return r
