"""Alerts to staff on Telegram (a department's group chat, or a linked staff account): rendered
from the outbox rows `complaints/` writes, each with a button to the console page."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from complaints.links import console_link
from complaints.messages import AlertReport, DeadlineAlert, OverdueDigest, StaffAlert, UrgentReportAlert

from .i18n import Html, Texts


def _button(tr: Texts, key: str, url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=tr.plain(key), url=url)]])


def _base(delivery: Any) -> str:
    return delivery.services.settings.public_base_url


def _when(delivery: Any, report: AlertReport) -> str:
    return delivery.services.bureau_time.text(report.due_at) if report.due_at else "—"


def _category(report: AlertReport, tr: Texts) -> str:
    return report.category_en if tr.lang == "en" else report.category_zh


async def send_staff_alert(delivery: Any, chat_id: int, alert: StaffAlert, tr: Texts) -> None:
    """Telegram errors propagate to the delivery loop, which retries or gives up."""
    number = alert.tracking_number
    if alert.alert != "transfer":
        raise ValueError(f"unknown staff alert {alert.alert!r}")
    text = tr("staff.transfer", number=number, source=alert.from_department or "—",
              department=alert.department, actor=alert.actor or "", reason=alert.reason or "")
    await delivery.bot.send_message(chat_id, text,
                                    reply_markup=_button(tr, "staff.button_open", console_link(_base(delivery), number)))


async def send_urgent(delivery: Any, chat_id: int, alert: UrgentReportAlert, tr: Texts) -> None:
    report = alert.report
    text = tr("staff.urgent", priority=tr.plain(f"priority.{report.priority}"), number=report.tracking_number,
              category=_category(report, tr), department=report.department or "—", due=_when(delivery, report),
              actor=alert.actor or "—")
    url = console_link(_base(delivery), report.tracking_number)
    await delivery.bot.send_message(chat_id, text, reply_markup=_button(tr, "staff.button_open", url))


async def send_deadline(delivery: Any, chat_id: int, alert: DeadlineAlert, tr: Texts) -> None:
    report = alert.report
    text = tr("staff.deadline", deadline=tr.plain(f"deadline.{report.deadline}"), number=report.tracking_number,
              due=_when(delivery, report), days=alert.days_left, category=_category(report, tr),
              department=report.department or "—")
    url = console_link(_base(delivery), report.tracking_number)
    await delivery.bot.send_message(chat_id, text, reply_markup=_button(tr, "staff.button_open", url))


def render_digest(delivery: Any, digest: OverdueDigest, tr: Texts) -> Html:
    lines = [tr("staff.digest", day=digest.day.isoformat(), total=digest.total)]
    lines += [tr("staff.digest_line", number=r.tracking_number, category=_category(r, tr),
                 deadline=tr.plain(f"deadline.{r.deadline}"), due=_when(delivery, r)) for r in digest.reports]
    if digest.total > len(digest.reports):
        lines.append(tr("staff.digest_more", count=digest.total - len(digest.reports)))
    return Html("\n".join(lines))


async def send_digest(delivery: Any, chat_id: int, digest: OverdueDigest, tr: Texts) -> None:
    url = f"{_base(delivery).rstrip('/')}/staff/reports?overdue=1&sort=due_at"
    await delivery.bot.send_message(chat_id, render_digest(delivery, digest, tr),
                                    reply_markup=_button(tr, "staff.button_overdue", url))
