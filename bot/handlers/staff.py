"""Staff linking their Telegram account to their console account: `/link CODE` with the one-time
code from the console (in a private chat), `/unlink` to stop. In a group, `/link` tells the
group's id for the department settings instead."""

from __future__ import annotations

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from core.errors import DomainError
from core.kit.channels import ChannelName

from ..context import BotContext
from ..i18n import Texts

CHANNEL = ChannelName.TELEGRAM.value


async def on_link(message: Message, command: CommandObject, tr: Texts, ctx: BotContext) -> None:
    if message.chat.type != ChatType.PRIVATE:
        await message.answer(tr("link.group", chat_id=message.chat.id))
        return
    if not (command.args or "").strip():
        await message.answer(tr("link.usage", minutes=ctx.settings.staff_link_code_minutes))
        return
    try:
        link = await ctx.services.links.redeem(command.args or "", CHANNEL, str(message.chat.id))
    except DomainError as exc:
        await message.answer(tr("link.refused", reason=exc.message(tr.lang)))
        return
    await message.answer(tr("link.done", username=link.username))


async def on_unlink(message: Message, tr: Texts, ctx: BotContext) -> None:
    username = await ctx.services.links.unlink_address(CHANNEL, str(message.chat.id))
    await message.answer(tr("link.unlinked", username=username) if username else tr("link.not_linked"))


def router() -> Router:
    r = Router(name="staff")
    r.message.register(on_link, Command("link"))
    r.message.register(on_unlink, Command("unlink"))
    return r
