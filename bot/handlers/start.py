"""Greeting, help, language, cancel and the menu entries that need no service."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.enums import ChatMemberStatus
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message

from .. import keyboards
from ..context import BotContext, chat_id_of
from ..i18n import Texts, labels, texts
from ..keyboards import LanguageCb
from .report import cancel_flow, in_flow, prompt_current


async def on_start(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    name = message.from_user.full_name if message.from_user else ""
    await message.answer(tr("start.greeting", name=name), reply_markup=keyboards.main_menu(tr))
    if await in_flow(state):
        await message.answer(tr("start.resume"))
        await prompt_current(bot, message.chat.id, state, tr, ctx)


async def on_language(message: Message, tr: Texts) -> None:
    await message.answer(tr("language.choose"), reply_markup=keyboards.languages())


async def on_language_chosen(
    callback: CallbackQuery, callback_data: LanguageCb, ctx: BotContext, bot: Bot
) -> None:
    lang = await ctx.users.set_language(callback.from_user.id, callback_data.lang)
    tr = texts(lang)
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    # The reply keyboard is sent again so its buttons are in the new language.
    await bot.send_message(chat_id_of(callback), tr("language.set"), reply_markup=keyboards.main_menu(tr))


async def on_cancel(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    if await state.get_state() is None:
        await message.answer(tr("cancel.nothing"), reply_markup=keyboards.main_menu(tr))
        return
    await cancel_flow(bot, message.chat.id, state, tr, ctx)


async def on_ask_menu(message: Message, tr: Texts) -> None:
    await message.answer(tr("ask.prompt"))


async def on_membership(update: ChatMemberUpdated, ctx: BotContext) -> None:
    """Blocking the bot (kicked) stops follow-up messages; unblocking is any update from them
    (the language middleware clears the mark)."""
    if update.new_chat_member.status == ChatMemberStatus.KICKED:
        await ctx.users.mark_blocked(update.from_user.id)


def router() -> Router:
    r = Router(name="start")
    r.message.register(on_start, CommandStart())
    r.message.register(on_start, Command("help"))
    r.message.register(on_language, Command("language"))
    r.callback_query.register(on_language_chosen, LanguageCb.filter(F.lang.in_({"zh", "en"})))
    r.message.register(on_cancel, Command("cancel"))
    r.message.register(on_cancel, F.text.in_(labels("report.button_cancel")))
    r.message.register(on_ask_menu, F.text.in_(labels("menu.ask")))
    r.my_chat_member.register(on_membership)
    return r
