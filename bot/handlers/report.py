"""Reporting a problem in Telegram: the aiogram side of `conversations.report` (the steps, their
checks and what each stores live there). Handlers turn buttons, shared locations, contacts and
typed lines into the flow's calls and draw its answers with `bot.render`.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from complaints.schemas import Channel
from conversations import report as flow

from .. import keyboards
from ..context import BotContext, chat_id_of
from ..i18n import Texts, labels
from ..keyboards import CategoryCb, EditCb, ReportCb
from ..photos import IncomingPhoto
from ..render import show
from ..throttling import REPORT_FLAG

PHOTO_KINDS = F.photo | F.document


class ReportFlow(StatesGroup):
    """The flow's states for aiogram's filters (the same "ReportFlow:step" strings it stores)."""

    category = State()
    location = State()
    description = State()
    photos = State()
    contact = State()
    confirm = State()


assert ReportFlow.__full_group_name__ == flow.FLOW


# --- entering and resuming ------------------------------------------------------------------------
async def start_report(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    """Menu "report" or /report: a new draft, or back to the step of the one in progress."""
    await show(bot, message.chat.id, await ctx.report(state, tr, bot).start(), tr)


async def start_report_for(bot: Bot, chat_id: int, state: FSMContext, tr: Texts, ctx: BotContext, code: str) -> None:
    """The hand-off from a policy answer: the flow with its category chosen."""
    await show(bot, chat_id, await ctx.report(state, tr, bot).start_for(code), tr)


async def in_flow(state: FSMContext) -> bool:
    current = await state.get_state()
    return bool(current and current.startswith(f"{flow.FLOW}:"))


async def prompt_current(bot: Bot, chat_id: int, state: FSMContext, tr: Texts, ctx: BotContext) -> None:
    await show(bot, chat_id, await ctx.report(state, tr, bot).current(), tr)


# --- step handlers ----------------------------------------------------------------------------------
async def on_category(
    callback: CallbackQuery, callback_data: CategoryCb, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot
) -> None:
    conversation = ctx.report(state, tr, bot)
    category = await conversation.category(callback_data.code)
    if category is None:
        await callback.answer(tr.plain("button.expired"))
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_text(conversation.category_chosen(category).text, reply_markup=None)
    await show(bot, chat_id_of(callback), await conversation.choose_category(category), tr)


async def on_category_text(message: Message, tr: Texts) -> None:
    await message.answer(tr("report.use_buttons"))


async def on_location(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    location = message.venue.location if message.venue else message.location
    assert location is not None
    address = message.venue.address if message.venue else ""
    says = await ctx.report(state, tr, bot).give_location(location.latitude, location.longitude, address)
    await show(bot, message.chat.id, says, tr)


async def on_address(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    await show(bot, message.chat.id, await ctx.report(state, tr, bot).give_address(message.text or ""), tr)


async def on_location_other(message: Message, tr: Texts) -> None:
    await message.answer(tr("report.location_expected"), reply_markup=keyboards.location_request(tr))


async def on_description(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    says = await ctx.report(state, tr, bot).give_description(message.text or "")
    await show(bot, message.chat.id, says, tr)


async def on_description_other(message: Message, tr: Texts) -> None:
    await message.answer(tr("report.description_expected", min=flow.MIN_DESCRIPTION))


# --- photos -----------------------------------------------------------------------------------------
async def on_photo(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    assert message.from_user is not None
    if message.media_group_id:
        # One part of an album: the parts are taken together once the last has arrived.
        async def complete(parts: list[Message]) -> None:
            await take_photos(parts, state, tr, ctx, bot)

        ctx.albums.add(message.from_user.id, message, complete)
        return
    await take_photos([message], state, tr, ctx, bot)


async def take_photos(messages: list[Message], state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    """The photos of one step (a single photo or an album), checked and added by the flow."""
    incoming = [p.as_dict() for p in (IncomingPhoto.of(m) for m in messages) if p is not None]
    lock = ctx.photo_lock(messages[0].from_user.id)  # type: ignore[union-attr]
    await show(bot, messages[0].chat.id, await ctx.report(state, tr, bot).add_photos(incoming, lock), tr)


async def on_photos_done(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    assert message.from_user is not None
    await ctx.albums.wait(message.from_user.id)
    await show(bot, message.chat.id, await ctx.report(state, tr, bot).photos_done(), tr)


async def on_photos_clear(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    assert message.from_user is not None
    await ctx.albums.wait(message.from_user.id)
    says = await ctx.report(state, tr, bot).clear_photos(ctx.photo_lock(message.from_user.id))
    await show(bot, message.chat.id, says, tr)


async def on_photos_other(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    count = await ctx.report(state, tr, bot).photo_count()
    await message.answer(tr("report.photos_expected"), reply_markup=keyboards.photo_step(tr, count))


# --- contact ----------------------------------------------------------------------------------------
async def on_contact(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    contact, user = message.contact, message.from_user
    assert contact is not None and user is not None
    if contact.user_id != user.id:
        await message.answer(tr("report.contact_not_own"), reply_markup=keyboards.contact_step(tr))
        return
    phone = contact.phone_number.strip()
    phone = phone if phone.startswith("+") else f"+{phone}"
    name = " ".join(part for part in (contact.first_name, contact.last_name) if part) or None
    await show(bot, message.chat.id, await ctx.report(state, tr, bot).give_contact(phone=phone, name=name), tr)


async def on_anonymous(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    await show(bot, message.chat.id, await ctx.report(state, tr, bot).give_contact(anonymous=True), tr)


async def on_skip_contact(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    await show(bot, message.chat.id, await ctx.report(state, tr, bot).give_contact(), tr)


async def on_contact_other(message: Message, tr: Texts) -> None:
    await message.answer(tr("report.contact_expected"), reply_markup=keyboards.contact_step(tr))


# --- review -----------------------------------------------------------------------------------------
async def on_confirm_other(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    conversation = ctx.report(state, tr, bot)
    await show(bot, message.chat.id, await conversation.review(await state.get_data()), tr)


async def on_edit(callback: CallbackQuery, tr: Texts) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=keyboards.edit_fields(tr))


async def on_back(callback: CallbackQuery, tr: Texts) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=keyboards.confirm(tr))


async def on_edit_field(
    callback: CallbackQuery, callback_data: EditCb, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot
) -> None:
    if callback_data.field not in flow.STEPS:
        await callback.answer(tr.plain("button.expired"))
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    says = await ctx.report(state, tr, bot).edit(callback_data.field)
    await show(bot, chat_id_of(callback), says or [], tr)


async def on_cancel_button(callback: CallbackQuery, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    await cancel_flow(bot, chat_id_of(callback), state, tr, ctx)


async def cancel_flow(bot: Bot, chat_id: int, state: FSMContext, tr: Texts, ctx: BotContext) -> None:
    await show(bot, chat_id, await ctx.report(state, tr, bot).cancel(), tr)


async def on_submit(callback: CallbackQuery, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    await callback.answer(tr.plain("report.submitting"))
    if isinstance(callback.message, Message):
        # No second tap on the same buttons: updates of one person are handled one at a time,
        # and after this one the draft is gone.
        await callback.message.edit_reply_markup(reply_markup=None)
    done = await ctx.report(state, tr, bot).submit(Channel.TELEGRAM, str(callback.from_user.id))
    await show(bot, chat_id_of(callback), done.says, tr)


# --- wiring -----------------------------------------------------------------------------------------
def router() -> Router:
    r = Router(name="report")
    r.message.register(start_report, Command("report"))
    r.message.register(start_report, F.text.in_(labels("menu.report")))
    r.callback_query.register(on_cancel_button, StateFilter(ReportFlow), ReportCb.filter(F.action == "cancel"))

    r.callback_query.register(on_category, ReportFlow.category, CategoryCb.filter())
    r.message.register(on_category_text, ReportFlow.category)

    r.message.register(on_location, ReportFlow.location, F.location | F.venue)
    r.message.register(on_address, ReportFlow.location, F.text)
    r.message.register(on_location_other, ReportFlow.location)

    r.message.register(on_description, ReportFlow.description, F.text)
    r.message.register(on_description_other, ReportFlow.description)

    r.message.register(on_photo, ReportFlow.photos, PHOTO_KINDS)
    r.message.register(
        on_photos_done,
        ReportFlow.photos,
        F.text.in_(labels("report.button_done") | labels("report.button_no_photo")),
    )
    r.message.register(on_photos_clear, ReportFlow.photos, F.text.in_(labels("report.button_clear_photos")))
    r.message.register(on_photos_other, ReportFlow.photos)

    r.message.register(on_contact, ReportFlow.contact, F.contact)
    r.message.register(on_anonymous, ReportFlow.contact, F.text.in_(labels("report.button_anonymous")))
    r.message.register(on_skip_contact, ReportFlow.contact, F.text.in_(labels("report.button_skip")))
    r.message.register(on_contact_other, ReportFlow.contact)

    r.callback_query.register(
        on_submit, ReportFlow.confirm, ReportCb.filter(F.action == "submit"), flags={REPORT_FLAG: True}
    )
    r.callback_query.register(on_edit, ReportFlow.confirm, ReportCb.filter(F.action == "edit"))
    r.callback_query.register(on_back, ReportFlow.confirm, ReportCb.filter(F.action == "back"))
    r.callback_query.register(on_edit_field, ReportFlow.confirm, EditCb.filter())
    r.message.register(on_confirm_other, ReportFlow.confirm)
    return r
