"""What the complaints tracker tells reporters through the outbox: one payload model per kind."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from pydantic import BaseModel

from core.outbox import OutboxPayload, message_kind


@message_kind
class ReportUpdate(OutboxPayload):
    """A status change, a public reply, an extension or a merge, for the reporter of
    `tracking_number` (who follows `primary_tracking_number` once merged)."""

    kind: ClassVar[str] = "report_update"
    event: str  # status | reply | extension | merge | reopen_declined
    tracking_number: str
    primary_tracking_number: str
    status: str
    message: str | None = None


@message_kind
class StaffAlert(OutboxPayload):
    """News for a department's staff chat about one of its reports: `alert` is `transfer` (handed
    to `department` from `from_department` by `actor`, with `reason`)."""

    kind: ClassVar[str] = "staff_alert"
    alert: str
    tracking_number: str
    department: str
    from_department: str | None = None
    reason: str | None = None
    actor: str | None = None


class AlertReport(BaseModel):
    """One report as staff alerts name it: no reporter data (a staff chat may be a group)."""

    tracking_number: str
    category_zh: str
    category_en: str
    department: str | None = None
    priority: str = "normal"
    due_at: datetime | None = None
    deadline: str | None = None  # acceptance_due_at | handling_due_at


@message_kind
class UrgentReportAlert(OutboxPayload):
    """A report of the recipient's departments was raised to high or urgent priority."""

    kind: ClassVar[str] = "staff_urgent_report"
    report: AlertReport
    actor: str | None = None


@message_kind
class DeadlineAlert(OutboxPayload):
    """A report's acceptance or handling deadline (`report.deadline`, `report.due_at`) is near."""

    kind: ClassVar[str] = "staff_deadline"
    report: AlertReport
    days_left: int


@message_kind
class OverdueDigest(OutboxPayload):
    """The daily list of the recipient's overdue reports (`reports` holds at most a page; `total`
    counts them all)."""

    kind: ClassVar[str] = "staff_overdue_digest"
    day: date
    total: int
    reports: list[AlertReport]
