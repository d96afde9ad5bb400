"""The menus' words for every chat channel: a person's reports and one report's public history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from complaints.schemas import ReporterView

from .i18n import Html, Texts

LIST_LIMIT = 10
TRACKING_NUMBER = r"^\s*\d{4}-\d{6}\s*$"


def report_list(reports: Sequence[ReporterView], tr: Texts) -> Html:
    lines = [tr("status.list_header")]
    for report in reports:
        lines.append(
            tr("status.item", number=report.tracking_number, category=_category(report, tr),
               status=report.status_label)
        )
    return Html("\n".join(lines))


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
