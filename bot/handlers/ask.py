"""Policy questions: any text outside a conversation is a question for `knowledge/`.

The answer and its citations are sent as escaped Telegram HTML, split under the length limit, with
👍/👎 buttons whose vote is stored with the logged question.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery, Message

from complaints.schemas import Channel
from core.errors import DomainError, NotFound

from .. import keyboards
from ..context import BotContext
from ..html import split_html
from ..i18n import Html, Texts
from ..keyboards import VoteCb

log = logging.getLogger(__name__)
SOURCES = 3  # articles cited under an answer (a phone screen is small)


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
    markup = keyboards.votes(tr, answer.question_id) if answer.question_id is not None else None
    for i, piece in enumerate(pieces):
        await message.answer(piece, reply_markup=markup if i == len(pieces) - 1 else None)


def render_answer(answer: object, tr: Texts) -> Html:
    """The answer's text, then its sources as numbered citations (《法律》第N条)."""
    parts = [tr("ask.answer", text=getattr(answer, "answer", ""))]
    sources = [] if getattr(answer, "abstained", False) else list(getattr(answer, "sources", []))
    if sources:
        parts.append("")
        parts.append(tr("ask.sources"))
        for n, hit in enumerate(sources, 1):
            parts.append(tr("ask.source_line", n=n, citation=hit.citation()))
    if getattr(answer, "abstained", False):
        parts.append("")
        parts.append(tr("ask.abstained_note"))
    return Html("\n".join(parts))


async def on_vote(callback: CallbackQuery, callback_data: VoteCb, tr: Texts, ctx: BotContext) -> None:
    try:
        await ctx.knowledge.vote(callback_data.question_id, callback_data.helpful)
    except NotFound:
        await callback.answer(tr.plain("button.expired"))
        return
    await callback.answer(tr.plain("ask.vote_thanks"))
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)


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
    r.message.register(on_other_message, StateFilter(None))
    r.callback_query.register(on_stale_button)
    return r
