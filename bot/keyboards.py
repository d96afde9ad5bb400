"""Keyboards and the callback data their buttons carry."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from complaints.schemas import CategoryOut, ReporterView
from conversations.answers import has_sources
from knowledge.schemas import AnswerOut

from .i18n import LANGUAGE_NAMES, Texts


class CategoryCb(CallbackData, prefix="rc"):
    code: str


class ReportCb(CallbackData, prefix="ra"):
    action: str  # submit | edit | cancel | back


class EditCb(CallbackData, prefix="re"):
    field: str  # category | location | description | photos | contact


class VoteCb(CallbackData, prefix="v"):
    question_id: int
    helpful: bool


class SourcesCb(CallbackData, prefix="src"):
    question_id: int


class HandoffCb(CallbackData, prefix="ho"):
    code: str  # the report category the answer suggests


class StatusCb(CallbackData, prefix="st"):
    number: str


class LanguageCb(CallbackData, prefix="lang"):
    lang: str


EDIT_FIELDS = ("category", "location", "description", "photos", "contact")


def _reply(rows: Sequence[Sequence[KeyboardButton]], placeholder: str | None = None) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[list(row) for row in rows], resize_keyboard=True, input_field_placeholder=placeholder
    )


def main_menu(tr: Texts) -> ReplyKeyboardMarkup:
    b = lambda key: KeyboardButton(text=tr.plain(key))  # noqa: E731
    return _reply(
        [[b("menu.ask"), b("menu.report")], [b("menu.status"), b("menu.opendays")]],
        tr.plain("menu.placeholder"),
    )


def cancel_only(tr: Texts) -> ReplyKeyboardMarkup:
    return _reply([[KeyboardButton(text=tr.plain("report.button_cancel"))]])


def location_request(tr: Texts) -> ReplyKeyboardMarkup:
    return _reply(
        [
            [KeyboardButton(text=tr.plain("report.button_location"), request_location=True)],
            [KeyboardButton(text=tr.plain("report.button_cancel"))],
        ]
    )


def photo_step(tr: Texts, count: int) -> ReplyKeyboardMarkup:
    first = [KeyboardButton(text=tr.plain("report.button_done"))]
    if count:
        first.append(KeyboardButton(text=tr.plain("report.button_clear_photos")))
    else:
        first.append(KeyboardButton(text=tr.plain("report.button_no_photo")))
    return _reply([first, [KeyboardButton(text=tr.plain("report.button_cancel"))]])


def contact_step(tr: Texts) -> ReplyKeyboardMarkup:
    return _reply(
        [
            [KeyboardButton(text=tr.plain("report.button_share_phone"), request_contact=True)],
            [
                KeyboardButton(text=tr.plain("report.button_anonymous")),
                KeyboardButton(text=tr.plain("report.button_skip")),
            ],
            [KeyboardButton(text=tr.plain("report.button_cancel"))],
        ]
    )


def categories(tr: Texts, items: Sequence[CategoryOut]) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            text=c.name_en if tr.lang == "en" else c.name_zh, callback_data=CategoryCb(code=c.code).pack()
        )
        for c in items
    ]
    per_row = 1 if tr.lang == "en" else 2
    rows = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    rows.append(
        [
            InlineKeyboardButton(
                text=tr.plain("report.button_cancel"), callback_data=ReportCb(action="cancel").pack()
            )
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def confirm(tr: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=tr.plain("report.button_submit"), callback_data=ReportCb(action="submit").pack()
                )
            ],
            [
                InlineKeyboardButton(
                    text=tr.plain("report.button_edit"), callback_data=ReportCb(action="edit").pack()
                ),
                InlineKeyboardButton(
                    text=tr.plain("report.button_cancel"), callback_data=ReportCb(action="cancel").pack()
                ),
            ],
        ]
    )


def edit_fields(tr: Texts) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=tr.plain(f"report.field_{f}"), callback_data=EditCb(field=f).pack())
        for f in EDIT_FIELDS
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(
        [
            InlineKeyboardButton(
                text=tr.plain("report.button_back"), callback_data=ReportCb(action="back").pack()
            )
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def inline(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[list(row) for row in rows])


def answer_actions(tr: Texts, answer: AnswerOut) -> InlineKeyboardMarkup | None:
    """Under an answer: 查看条文 (the full articles), 我要举报 (when suggested), and the votes."""
    rows: list[list[InlineKeyboardButton]] = []
    if has_sources(answer):
        rows.append([InlineKeyboardButton(text=tr.plain("ask.show_sources"),
                                          callback_data=SourcesCb(question_id=answer.question_id).pack())])
    if answer.report_suggestion is not None:
        rows.append([InlineKeyboardButton(text=tr.plain("ask.report_button"),
                                          callback_data=HandoffCb(code=answer.report_suggestion.category).pack())])
    if answer.question_id is not None:
        rows += votes(tr, answer.question_id).inline_keyboard
    return inline(rows) if rows else None


def votes(tr: Texts, question_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=tr.plain("ask.vote_up"),
                    callback_data=VoteCb(question_id=question_id, helpful=True).pack(),
                ),
                InlineKeyboardButton(
                    text=tr.plain("ask.vote_down"),
                    callback_data=VoteCb(question_id=question_id, helpful=False).pack(),
                ),
            ]
        ]
    )


def report_list(tr: Texts, reports: Sequence[ReporterView]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=tr.plain("status.button", number=r.tracking_number, status=r.status_label),
                    callback_data=StatusCb(number=r.tracking_number).pack(),
                )
            ]
            for r in reports
        ]
    )


def view_report(tr: Texts, number: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=tr.plain("notify.button_view"), callback_data=StatusCb(number=number).pack()
                )
            ]
        ]
    )


def languages() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=name, callback_data=LanguageCb(lang=code).pack())]
            for code, name in LANGUAGE_NAMES.items()
        ]
    )
