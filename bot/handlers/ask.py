"""Policy questions: any text outside a conversation is a question for `knowledge/`.

The short cited answer is sent as escaped Telegram HTML; the full articles stay behind a "查看条文"
button, so no text is sent twice. A question describing a reportable problem gets a "我要举报" button
that starts the report flow with the category chosen. 👍/👎 votes are stored with the logged question.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from complaints.schemas import Channel
from core.errors import DomainError, NotFound
from conversations.answers import render_answer, render_sources

from .. import keyboards
from ..context import BotContext, chat_id_of
from ..html import split_html
from ..i18n import Texts
from ..keyboards import HandoffCb, SourcesCb, VoteCb
from .report import start_report_for

log = logging.getLogger(__name__)
SOURCES = 3  # articles behind an answer (a phone screen is small)


async def on_question(message: Message, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    question = (message.text or "").strip()
    await bot.send_chat_action(message.chat.id, ChatAction.TYPING)
    try:
        answer = await ctx.knowledge.ask(question, k=SOURCES, lang=tr.lang, channel=Channel.TELEGRAM.value)
    except DomainError as exc:  # empty or too long
        await message.answer(tr("ask.refused", reason=exc.message(tr.lang)))
        return
    except Exception:
        log.exception("answering a question failed")
        await message.answer(tr("ask.unavailable"))
        return
    pieces = split_html(render_answer(answer, tr))
    markup = keyboards.answer_actions(tr, answer)
    for i, piece in enumerate(pieces):
        await message.answer(piece, reply_markup=markup if i == len(pieces) - 1 else None)


async def on_sources(callback: CallbackQuery, callback_data: SourcesCb, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    """"查看条文": the full articles behind an answer, as a new message."""
    try:
        sources = await ctx.knowledge.question_sources(callback_data.question_id)
    except NotFound:
        sources = []
    if not sources:
        await callback.answer(tr.plain("button.expired"))
        return
    await callback.answer()
    for piece in split_html(render_sources(sources, tr)):
        await bot.send_message(chat_id_of(callback), piece)


async def on_handoff(
    callback: CallbackQuery, callback_data: HandoffCb, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot
) -> None:
    """"我要举报" under an answer: the report flow, its category already chosen."""
    await callback.answer()
    await start_report_for(bot, chat_id_of(callback), state, tr, ctx, callback_data.code)


async def on_vote(callback: CallbackQuery, callback_data: VoteCb, tr: Texts, ctx: BotContext) -> None:
    try:
        await ctx.knowledge.vote(callback_data.question_id, callback_data.helpful)
    except NotFound:
        await callback.answer(tr.plain("button.expired"))
        return
    await callback.answer(tr.plain("ask.vote_thanks"))
    if isinstance(callback.message, Message) and callback.message.reply_markup is not None:
        # keep "查看条文" and "我要举报"; drop the vote row
        rows = [row for row in callback.message.reply_markup.inline_keyboard
                if not any((b.callback_data or "").startswith(f"{VoteCb.__prefix__}:") for b in row)]
        await callback.message.edit_reply_markup(reply_markup=keyboards.inline(rows) if rows else None)


async def on_other_message(message: Message, tr: Texts) -> None:
    if message.text:
        await message.answer(tr("unknown_command"))
    elif message.photo or message.document:
        await message.answer(tr("photo_outside_flow"))
    else:
        await message.answer(tr("unsupported"))


async def on_stale_button(callback: CallbackQuery, tr: Texts) -> None:
    await callback.answer(tr.plain("button.expired"))


def router() -> Router:
    r = Router(name="ask")
    r.message.register(on_question, StateFilter(None), F.text, ~F.text.startswith("/"))
    r.callback_query.register(on_vote, VoteCb.filter())
    r.callback_query.register(on_sources, SourcesCb.filter())
    r.callback_query.register(on_handoff, HandoffCb.filter())
    r.message.register(on_other_message, StateFilter(None))
    r.callback_query.register(on_stale_button)
    return r
