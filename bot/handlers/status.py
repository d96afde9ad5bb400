"""A person's reports: the list with statuses, and each one's public history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.types import CallbackQuery, Message

from complaints.schemas import Channel, ReporterView
from core.errors import NotFound

from .. import keyboards
from ..context import BotContext, chat_id_of
from ..i18n import Html, Texts, labels
from ..keyboards import StatusCb
from .followup import followup_keyboard, reporter

LIST_LIMIT = 10
TRACKING_NUMBER = r"^\s*\d{4}-\d{6}\s*$"


async def on_status(message: Message, tr: Texts, ctx: BotContext) -> None:
    assert message.from_user is not None
    reports = await ctx.complaints.reports_of_channel_user(
        Channel.TELEGRAM.value, str(message.from_user.id), limit=LIST_LIMIT, lang=tr.lang
    )
    if not reports:
        await message.answer(tr("status.none"))
        return
    lines = [tr("status.list_header")]
    for report in reports:
        lines.append(
            tr(
                "status.item",
                number=report.tracking_number,
                category=_category(report, tr),
                status=report.status_label,
            )
        )
    await message.answer("\n".join(lines), reply_markup=keyboards.report_list(tr, reports))


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


def render_report(view: ReporterView, tr: Texts, local_date: Callable[[datetime], str]) -> Html:
    location = view.address or (f"{view.lat:.5f}, {view.lon:.5f}" if view.lat is not None else "—")
    parts = [
        tr(
            "status.detail",
            number=view.tracking_number,
            category=_category(view, tr),
            location=location,
            created=local_date(view.created_at),
            status=view.status_label,
        )
    ]
    if view.due_at is not None:
        parts.append(tr("status.due", date=local_date(view.due_at)))
    if view.merged_into:
        parts.append(tr("status.merged", primary=view.merged_into))
    parts.append("")
    parts.append(tr("status.history"))
    for event in view.history:
        what = {
            "created": tr("status.event_created"),
            "status": tr("status.event_status", status=event.status_label or ""),
            "reply": tr("status.event_reply"),
            "merge": tr("status.event_merge"),
            "extension": tr("status.event_extension"),
            "rating": tr("status.event_rating", rating=event.status_label or ""),
            "reopen_requested": tr("status.event_reopen_requested"),
            "reopen_declined": tr("status.event_reopen_declined"),
            "supplement": tr("status.event_supplement"),
        }.get(event.kind, tr("status.event_reply"))
        parts.append(tr("status.history_line", date=local_date(event.at), what=what))
        if event.message:
            parts.append(tr("status.history_message", message=event.message))
    return Html("\n".join(parts))


def _category(view: ReporterView, tr: Texts) -> str:
    return view.category.name_en if tr.lang == "en" else view.category.name_zh


def router() -> Router:
    r = Router(name="status")
    r.message.register(on_status, Command("status"))
    r.message.register(on_status, F.text.in_(labels("menu.status")))
    r.callback_query.register(on_report_button, StatusCb.filter())
    r.message.register(on_tracking_number, StateFilter(None), F.text.regexp(TRACKING_NUMBER))
    return r
