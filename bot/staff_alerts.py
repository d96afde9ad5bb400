"""Alerts to staff on Telegram (a department's group chat, or a linked staff account): rendered
from the outbox rows `complaints/` writes, with a button to the report's console page."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from complaints.messages import StaffAlert

from .i18n import Texts


def console_link(base_url: str, tracking_number: str) -> str:
    return f"{base_url.rstrip('/')}/staff/reports/{tracking_number}"


async def send_staff_alert(delivery: Any, chat_id: int, alert: StaffAlert, tr: Texts) -> None:
    """Telegram errors propagate to the delivery loop, which retries or gives up."""
    number = alert.tracking_number
    if alert.alert != "transfer":
        raise ValueError(f"unknown staff alert {alert.alert!r}")
    text = tr("staff.transfer", number=number, source=alert.from_department or "—",
              department=alert.department, actor=alert.actor or "", reason=alert.reason or "")
    url = console_link(delivery.services.settings.public_base_url, number)
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=tr.plain("staff.button_open"), url=url)]])
    await delivery.bot.send_message(chat_id, text, reply_markup=markup)
