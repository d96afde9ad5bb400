"""Drawing the conversations' answers in Telegram: each `Say` is one message, its widget the
keyboard under it (the widget names are listed in `conversations.report`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import Bot
from aiogram.types import ReplyKeyboardRemove

from core.conversation import Say

from . import keyboards
from .i18n import Texts


def markup(say: Say, tr: Texts) -> Any:
    widget = say.widget
    if widget is None:
        return None
    if widget == "categories":
        return keyboards.categories(tr, say.data)
    if widget == "photos":
        return keyboards.photo_step(tr, say.data)
    if widget == "remove":
        return ReplyKeyboardRemove()
    simple = {
        "location": keyboards.location_request,
        "cancel_only": keyboards.cancel_only,
        "contact": keyboards.contact_step,
        "confirm": keyboards.confirm,
        "main_menu": keyboards.main_menu,
    }
    return simple[widget](tr)


async def show(bot: Bot, chat_id: int, says: Sequence[Say], tr: Texts) -> None:
    for say in says:
        await bot.send_message(chat_id, say.text, reply_markup=markup(say, tr))
