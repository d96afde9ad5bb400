"""What the complaints tracker tells reporters through the outbox: one payload model per kind."""

from __future__ import annotations

from typing import ClassVar

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
