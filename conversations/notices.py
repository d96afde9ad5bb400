"""The words of the messages that reach people later (through the outbox), for every chat channel:
a report's news, and an open day's (promotion, cancellation, change, reminder, feedback request,
announcement). Channels add their buttons; the text is the same everywhere."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from complaints.messages import ReportUpdate
from complaints.workflow import status_label
from opendays import messages

from .i18n import Html, Texts
from .opendays import when_text


def asks_rating(update: ReportUpdate) -> bool:
    own = update.primary_tracking_number in (None, update.tracking_number)
    return update.event == "status" and update.status == "resolved" and own


def render_report_update(update: ReportUpdate, tr: Texts) -> Html:
    """A `report_update` message in the reader's language."""
    event = update.event
    number = update.tracking_number
    primary = update.primary_tracking_number or number
    lines: list[str] = []
    if event == "merge":
        lines.append(tr("notify.merge", number=number, primary=primary))
    elif event == "reply":
        lines.append(tr("notify.reply", number=number))
    elif event == "extension":
        lines.append(tr("notify.extension", number=number))
    elif event == "reopen_declined":
        lines.append(tr("fu.notify_declined", number=number))
    else:
        lines.append(tr("notify.status", number=number, status=status_label(update.status, tr.lang)))
    if primary != number and event != "merge":
        lines.append(tr("notify.via_primary", primary=primary))
    if update.message:
        lines.append(tr("notify.message", message=update.message))
    if asks_rating(update):
        lines.append(tr("fu.ask_rating"))
    return Html("\n".join(lines))


def render_event_news(message: messages.EventNews, tr: Texts, tz: ZoneInfo) -> Html:
    """An open-day message in the reader's language."""
    common = {"title": message.title, "when": when_text(message.starts_at, message.ends_at, tr.lang, tz),
              "site": message.site_name, "address": message.address}
    if isinstance(message, messages.OpenDayPublished):
        return tr("od.notify_published", left=message.seats_left, **common)
    if isinstance(message, messages.OpenDayCancelled):
        return tr("od.notify_cancelled", title=common["title"], when=common["when"], reason=message.reason)
    if isinstance(message, messages.OpenDayFeedbackRequest):
        return tr("od.ask_rating", title=common["title"])
    assert isinstance(message, messages.RegistrationNews)
    key = {messages.OpenDayPromoted: "od.notify_promoted", messages.OpenDayUpdated: "od.notify_updated",
           messages.OpenDayReminder: "od.notify_reminder"}[type(message)]
    return tr(key, party=message.party_size, code=message.check_in_code, **common)
