"""A person's reports: the list with statuses, and each one's public history."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.types import CallbackQuery, Message

from complaints.schemas import Channel
from conversations.menus import LIST_LIMIT, TRACKING_NUMBER, render_report, report_list
from core.errors import NotFound

from .. import keyboards
from ..context import BotContext, chat_id_of
from ..i18n import Texts, labels
from ..keyboards import StatusCb
from .followup import followup_keyboard, reporter



async def on_status(message: Message, tr: Texts, ctx: BotContext) -> None:
    assert message.from_user is not None
    reports = await ctx.complaints.reports_of_channel_user(
        Channel.TELEGRAM.value, str(message.from_user.id), limit=LIST_LIMIT, lang=tr.lang
    )
    if not reports:
        await message.answer(tr("status.none"))
        return
    await message.answer(report_list(reports, tr), reply_markup=keyboards.report_list(tr, reports))


async def on_report_button(
    callback: CallbackQuery, callback_data: StatusCb, tr: Texts, ctx: BotContext, bot: Bot
) -> None:
    await callback.answer()
    await show_report(bot, chat_id_of(callback), callback.from_user.id, callback_data.number, tr, ctx)


async def on_tracking_number(message: Message, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    assert message.from_user is not None and message.text is not None
    await show_report(bot, message.chat.id, message.from_user.id, message.text.strip(), tr, ctx)


async def show_report(bot: Bot, chat_id: int, user_id: int, number: str, tr: Texts, ctx: BotContext) -> None:
    try:
        view = await ctx.complaints.reporter_view_for_channel_user(
            number, Channel.TELEGRAM.value, str(user_id), lang=tr.lang
        )
    except NotFound as exc:
        await bot.send_message(chat_id, tr("status.not_found", number=number, reason=exc.message(tr.lang)))
        return
    actions = await ctx.complaints.followup_view(number, reporter(user_id), tr.lang)
    await bot.send_message(chat_id, render_report(view, tr, ctx.local_date),
                           reply_markup=followup_keyboard(tr, view.tracking_number, actions))


def router() -> Router:
    r = Router(name="status")
    r.message.register(on_status, Command("status"))
    r.message.register(on_status, F.text.in_(labels("menu.status")))
    r.callback_query.register(on_report_button, StatusCb.filter())
    r.message.register(on_tracking_number, StateFilter(None), F.text.regexp(TRACKING_NUMBER))
    return r
