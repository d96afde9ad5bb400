"""Reporting a problem: category -> location -> description -> photos -> contact -> review -> submit.

Every step keeps what was entered in the FSM data, so a person can leave and come back; the report
itself is created only by `ComplaintService.submit` on "Submit", so cancelling leaves nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from pydantic import ValidationError

from complaints.photos import PhotoRejected
from complaints.schemas import FIELD_LABELS, MAX_DESCRIPTION, MIN_DESCRIPTION, Channel, ReportInput
from core.errors import DomainError
from core.kit.validation import error_lines

from .. import keyboards
from ..context import BotContext, chat_id_of
from ..i18n import Html, Texts, labels
from ..keyboards import CategoryCb, EditCb, ReportCb
from ..photos import DownloadFailed, IncomingPhoto
from ..throttling import REPORT_FLAG

log = logging.getLogger(__name__)

MIN_ADDRESS = 4
MAX_ADDRESS = 500
PHOTO_KINDS = F.photo | F.document


class ReportFlow(StatesGroup):
    category = State()
    location = State()
    description = State()
    photos = State()
    contact = State()
    confirm = State()


STEPS = {
    "category": ReportFlow.category,
    "location": ReportFlow.location,
    "description": ReportFlow.description,
    "photos": ReportFlow.photos,
    "contact": ReportFlow.contact,
}


# --- entering and resuming ------------------------------------------------------------------------
async def start_report(message: Message, state: FSMContext, tr: Texts, ctx: BotContext) -> None:
    """Menu "report" or /report: a new draft, or back to the step of the one in progress."""
    if await in_flow(state):
        await prompt_current(message.bot, message.chat.id, state, tr, ctx)  # type: ignore[arg-type]
        return
    await state.set_data({"photos": [], "touched": ctx.now().isoformat()})
    await state.set_state(ReportFlow.category)
    await prompt_step(message.bot, message.chat.id, "category", state, tr, ctx)  # type: ignore[arg-type]


async def start_report_for(bot: Bot, chat_id: int, state: FSMContext, tr: Texts, ctx: BotContext, code: str) -> None:
    """The hand-off from a policy answer: a new draft with its category chosen, on to the location.

    A draft in progress is resumed instead (it is not thrown away); an unknown code asks for one."""
    if await in_flow(state):
        await prompt_current(bot, chat_id, state, tr, ctx)
        return
    await state.set_data({"photos": [], "touched": ctx.now().isoformat()})
    categories = {c.code: c for c in await ctx.complaints.categories()}
    category = categories.get(code)
    if category is None:
        await state.set_state(ReportFlow.category)
        await prompt_step(bot, chat_id, "category", state, tr, ctx)
        return
    name = category.name_en if tr.lang == "en" else category.name_zh
    await bot.send_message(chat_id, tr("report.category_chosen", category=name))
    await advance(bot, chat_id, state, tr, ctx, "location", category=category.code)


async def in_flow(state: FSMContext) -> bool:
    current = await state.get_state()
    return bool(current and current.startswith("ReportFlow:"))


async def prompt_current(bot: Bot, chat_id: int, state: FSMContext, tr: Texts, ctx: BotContext) -> None:
    current = await state.get_state()
    if current == ReportFlow.confirm.state:
        await send_summary(bot, chat_id, await state.get_data(), tr, ctx)
        return
    step = next((name for name, s in STEPS.items() if s.state == current), "category")
    await prompt_step(bot, chat_id, step, state, tr, ctx)


async def prompt_step(
    bot: Bot, chat_id: int, step: str, state: FSMContext, tr: Texts, ctx: BotContext
) -> None:
    if step == "category":
        items = await ctx.complaints.categories()
        await bot.send_message(
            chat_id, tr("report.choose_category"), reply_markup=keyboards.categories(tr, items)
        )
    elif step == "location":
        await bot.send_message(
            chat_id, tr("report.ask_location"), reply_markup=keyboards.location_request(tr)
        )
    elif step == "description":
        await bot.send_message(
            chat_id, tr("report.ask_description", min=MIN_DESCRIPTION), reply_markup=keyboards.cancel_only(tr)
        )
    elif step == "photos":
        count = len((await state.get_data()).get("photos", []))
        max_photos = ctx.complaints.policy.max_photos
        text = (
            tr("report.ask_more_photos", count=count, max=max_photos)
            if count
            else tr("report.ask_photos", max=max_photos)
        )
        await bot.send_message(chat_id, text, reply_markup=keyboards.photo_step(tr, count))
    elif step == "contact":
        await bot.send_message(chat_id, tr("report.ask_contact"), reply_markup=keyboards.contact_step(tr))


async def advance(
    bot: Bot, chat_id: int, state: FSMContext, tr: Texts, ctx: BotContext, next_step: str, **changes: Any
) -> None:
    """Save this step's answer and go on: to the next step, or back to the review when editing."""
    data = await state.update_data(touched=ctx.now().isoformat(), **changes)
    if data.get("editing") or next_step == "confirm":
        await state.update_data(editing=False)
        await state.set_state(ReportFlow.confirm)
        await send_summary(bot, chat_id, data, tr, ctx)
        return
    await state.set_state(STEPS[next_step])
    await prompt_step(bot, chat_id, next_step, state, tr, ctx)


async def send_summary(bot: Bot, chat_id: int, data: dict[str, Any], tr: Texts, ctx: BotContext) -> None:
    await bot.send_message(chat_id, tr("report.review"), reply_markup=ReplyKeyboardRemove())
    await bot.send_message(chat_id, await summary(data, tr, ctx), reply_markup=keyboards.confirm(tr))


async def summary(data: dict[str, Any], tr: Texts, ctx: BotContext) -> Html:
    categories = {c.code: c for c in await ctx.complaints.categories()}
    category = categories.get(data.get("category", ""))
    category_name = (category.name_en if tr.lang == "en" else category.name_zh) if category else "—"
    if data.get("lat") is not None:
        location = tr.plain("report.location_coords", lat=f"{data['lat']:.5f}", lon=f"{data['lon']:.5f}")
    else:
        location = data.get("address") or "—"
    if data.get("anonymous"):
        contact = tr.plain("report.contact_anonymous")
    else:
        contact = data.get("contact_phone") or tr.plain("report.contact_none")
    return tr(
        "report.summary",
        category=category_name,
        location=location,
        description=data.get("description", "—"),
        photos=len(data.get("photos", [])),
        contact=contact,
    )


# --- step handlers ----------------------------------------------------------------------------------
async def on_category(
    callback: CallbackQuery,
    callback_data: CategoryCb,
    state: FSMContext,
    tr: Texts,
    ctx: BotContext,
    bot: Bot,
) -> None:
    categories = {c.code: c for c in await ctx.complaints.categories()}
    category = categories.get(callback_data.code)
    if category is None:
        await callback.answer(tr.plain("button.expired"))
        return
    await callback.answer()
    name = category.name_en if tr.lang == "en" else category.name_zh
    if isinstance(callback.message, Message):
        await callback.message.edit_text(tr("report.category_chosen", category=name), reply_markup=None)
    await advance(bot, chat_id_of(callback), state, tr, ctx, "location", category=category.code)


async def on_category_text(message: Message, tr: Texts) -> None:
    await message.answer(tr("report.use_buttons"))


async def on_location(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    location = message.venue.location if message.venue else message.location
    assert location is not None
    address = message.venue.address if message.venue else ""
    await advance(
        bot,
        message.chat.id,
        state,
        tr,
        ctx,
        "description",
        lat=round(location.latitude, 6),
        lon=round(location.longitude, 6),
        address=address,
    )


async def on_address(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    address = " ".join((message.text or "").split())
    if len(address) < MIN_ADDRESS:
        await message.answer(tr("report.address_too_short"))
        return
    if len(address) > MAX_ADDRESS:
        await message.answer(tr("report.address_too_long", max=MAX_ADDRESS))
        return
    await advance(bot, message.chat.id, state, tr, ctx, "description", address=address, lat=None, lon=None)


async def on_location_other(message: Message, tr: Texts) -> None:
    await message.answer(tr("report.location_expected"), reply_markup=keyboards.location_request(tr))


async def on_description(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    text = (message.text or "").strip()
    if len(text) < MIN_DESCRIPTION:
        await message.answer(tr("report.description_too_short", min=MIN_DESCRIPTION))
        return
    if len(text) > MAX_DESCRIPTION:
        await message.answer(tr("report.description_too_long", max=MAX_DESCRIPTION))
        return
    await advance(bot, message.chat.id, state, tr, ctx, "photos", description=text)


async def on_description_other(message: Message, tr: Texts) -> None:
    await message.answer(tr("report.description_expected", min=MIN_DESCRIPTION))


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


async def take_photos(
    messages: list[Message], state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot
) -> None:
    """Check the photos of one step (a single photo or an album) and add the good ones to the draft."""
    chat_id = messages[0].chat.id
    user_id = messages[0].from_user.id  # type: ignore[union-attr]
    incoming = [p for p in (IncomingPhoto.of(m) for m in messages) if p is not None]
    max_photos = ctx.complaints.policy.max_photos
    async with ctx.photo_lock(user_id):
        if await state.get_state() != ReportFlow.photos.state:
            return  # cancelled or moved on while the album was arriving
        photos = list((await state.get_data()).get("photos", []))
        known = {p["unique_id"] for p in photos}
        notes: list[Html] = []
        fresh: list[IncomingPhoto] = []
        for photo in incoming:
            if photo.unique_id in known:
                notes.append(tr("report.photo_duplicate"))
            else:
                known.add(photo.unique_id)
                fresh.append(photo)
        room = max(0, max_photos - len(photos))
        extra = len(fresh) - room
        fresh = fresh[:room]
        results = await asyncio.gather(*(_check(ctx, bot, p, tr) for p in fresh))
        added = 0
        for photo, problem in zip(fresh, results, strict=True):
            if problem is None:
                photos.append(photo.as_dict())
                added += 1
            else:
                notes.append(problem)
        if extra > 0:
            notes.append(tr("report.photo_limit", max=max_photos, extra=extra))
        await state.update_data(photos=photos, touched=ctx.now().isoformat())
    for note in notes:
        await bot.send_message(chat_id, note)
    if added:
        await bot.send_message(
            chat_id,
            tr("report.photos_received", added=added, count=len(photos), max=max_photos),
            reply_markup=keyboards.photo_step(tr, len(photos)),
        )


async def _check(ctx: BotContext, bot: Bot, photo: IncomingPhoto, tr: Texts) -> Html | None:
    try:
        await ctx.intake.check(bot, photo)
    except PhotoRejected as exc:
        return tr("report.photo_refused", reason=exc.message(tr.lang))
    except DownloadFailed:
        return tr("report.photo_download_failed")
    return None


async def on_photos_done(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    assert message.from_user is not None
    await ctx.albums.wait(message.from_user.id)
    await advance(bot, message.chat.id, state, tr, ctx, "contact")


async def on_photos_clear(message: Message, state: FSMContext, tr: Texts, ctx: BotContext) -> None:
    assert message.from_user is not None
    await ctx.albums.wait(message.from_user.id)
    async with ctx.photo_lock(message.from_user.id):
        photos = (await state.get_data()).get("photos", [])
        ctx.intake.forget([IncomingPhoto.from_dict(p) for p in photos])
        await state.update_data(photos=[], touched=ctx.now().isoformat())
    await message.answer(tr("report.photos_cleared"), reply_markup=keyboards.photo_step(tr, 0))


async def on_photos_other(message: Message, state: FSMContext, tr: Texts) -> None:
    count = len((await state.get_data()).get("photos", []))
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
    await _save_contact(message, state, tr, ctx, bot, phone=phone, name=name)


async def on_anonymous(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    await _save_contact(message, state, tr, ctx, bot, anonymous=True)


async def on_skip_contact(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    await _save_contact(message, state, tr, ctx, bot)


async def _save_contact(
    message: Message,
    state: FSMContext,
    tr: Texts,
    ctx: BotContext,
    bot: Bot,
    *,
    phone: str | None = None,
    name: str | None = None,
    anonymous: bool = False,
) -> None:
    await advance(
        bot,
        message.chat.id,
        state,
        tr,
        ctx,
        "confirm",
        contact_phone=phone,
        contact_name=name,
        anonymous=anonymous,
    )


async def on_contact_other(message: Message, tr: Texts) -> None:
    await message.answer(tr("report.contact_expected"), reply_markup=keyboards.contact_step(tr))


# --- review -----------------------------------------------------------------------------------------
async def on_confirm_other(message: Message, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    await send_summary(bot, message.chat.id, await state.get_data(), tr, ctx)


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
    step = callback_data.field
    if step not in STEPS:
        await callback.answer(tr.plain("button.expired"))
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    await state.update_data(editing=True, touched=ctx.now().isoformat())
    await state.set_state(STEPS[step])
    await prompt_step(bot, chat_id_of(callback), step, state, tr, ctx)


async def on_cancel_button(
    callback: CallbackQuery, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot
) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    await cancel_flow(bot, chat_id_of(callback), state, tr, ctx)


async def cancel_flow(bot: Bot, chat_id: int, state: FSMContext, tr: Texts, ctx: BotContext) -> None:
    data = await state.get_data()
    ctx.intake.forget([IncomingPhoto.from_dict(p) for p in data.get("photos", [])])
    await state.clear()
    await bot.send_message(chat_id, tr("cancel.done"), reply_markup=keyboards.main_menu(tr))


async def on_submit(callback: CallbackQuery, state: FSMContext, tr: Texts, ctx: BotContext, bot: Bot) -> None:
    chat_id = chat_id_of(callback)
    await callback.answer(tr.plain("report.submitting"))
    if isinstance(callback.message, Message):
        # No second tap on the same buttons: updates of one person are handled one at a time,
        # and after this one the draft is gone.
        await callback.message.edit_reply_markup(reply_markup=None)
    data = await state.get_data()
    photos = [IncomingPhoto.from_dict(p) for p in data.get("photos", [])]
    try:
        report = ReportInput(
            category=data.get("category", ""),
            description=data.get("description", ""),
            address=data.get("address") or "",
            lat=data.get("lat"),
            lon=data.get("lon"),
            channel=Channel.TELEGRAM,
            reporter_channel_id=str(callback.from_user.id),
            contact_name=data.get("contact_name"),
            contact_phone=data.get("contact_phone"),
            anonymous=bool(data.get("anonymous")),
            language=tr.lang,
        )
        uploads = [await ctx.intake.upload(bot, photo) for photo in photos]
        result = await ctx.complaints.submit(report, uploads)
    except ValidationError as exc:
        reason = "; ".join(error_lines(exc.errors(), FIELD_LABELS, tr.lang))
        await _submit_failed(bot, chat_id, tr("report.submit_failed", reason=reason), data, tr, ctx)
        return
    except DomainError as exc:  # a refused photo, an unknown category...
        await _submit_failed(
            bot, chat_id, tr("report.submit_failed", reason=exc.message(tr.lang)), data, tr, ctx
        )
        return
    except Exception:
        log.exception("submitting a report from Telegram failed")
        await _submit_failed(bot, chat_id, tr("report.submit_error"), data, tr, ctx)
        return
    ctx.intake.forget(photos)
    await state.clear()
    await bot.send_message(
        chat_id,
        tr("report.submitted", number=result.tracking_number, due=ctx.local_date(result.acceptance_due_at)),
        reply_markup=keyboards.main_menu(tr),
    )


async def _submit_failed(
    bot: Bot, chat_id: int, text: Html, data: dict[str, Any], tr: Texts, ctx: BotContext
) -> None:
    await bot.send_message(chat_id, text)
    await bot.send_message(chat_id, await summary(data, tr, ctx), reply_markup=keyboards.confirm(tr))


# --- wiring -----------------------------------------------------------------------------------------
def router() -> Router:
    r = Router(name="report")
    r.message.register(start_report, Command("report"))
    r.message.register(start_report, F.text.in_(labels("menu.report")))
    r.callback_query.register(
        on_cancel_button, StateFilter(ReportFlow), ReportCb.filter(F.action == "cancel")
    )

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
