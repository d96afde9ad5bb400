"""Deadlines from 信访工作条例: a decision on acceptance within 15 days of receipt (第二十三条),
handling within 60 days of acceptance, extendable once or more by at most 30 days in total with a
reason given to the reporter (第三十四条). Days are calendar days, counted from the moment of
receipt, and the numbers come from settings so a county can follow local rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.errors import ValidationFailed

from .workflow import HANDLING_STATUSES, Status


@dataclass(frozen=True)
class DeadlinePolicy:
    acceptance_days: int = 15
    handling_days: int = 60
    max_extension_days: int = 30

    @classmethod
    def from_settings(cls, settings: object) -> DeadlinePolicy:
        return cls(
            acceptance_days=settings.acceptance_due_days,  # type: ignore[attr-defined]
            handling_days=settings.handling_due_days,  # type: ignore[attr-defined]
            max_extension_days=settings.max_extension_days,  # type: ignore[attr-defined]
        )

    def acceptance_due(self, submitted_at: datetime) -> datetime:
        return submitted_at + timedelta(days=self.acceptance_days)

    def handling_due(self, accepted_at: datetime, extension_days: int = 0) -> datetime:
        return accepted_at + timedelta(days=self.handling_days + extension_days)

    def check_extension(self, status: str, already_extended: int, days: int, reason: str) -> None:
        if Status(status) not in HANDLING_STATUSES:
            raise ValidationFailed(
                "只有已受理、尚未办结的举报可以延长办理期限",
                "Only accepted reports that are still being handled can have their deadline extended",
                code="extension_not_allowed",
            )
        if not reason or not reason.strip():
            raise ValidationFailed("延长办理期限必须说明理由", "An extension needs a reason", code="reason_required")
        left = self.max_extension_days - already_extended
        if days < 1 or days > left:
            raise ValidationFailed(
                f"延长天数须在 1 至 {left} 天之间（累计不得超过 {self.max_extension_days} 天）",
                f"Extension must be 1 to {left} days (at most {self.max_extension_days} days in total)",
                code="extension_out_of_range",
            )


def due_at(
    status: str, acceptance_due_at: datetime, handling_due_at: datetime | None
) -> datetime | None:
    """The deadline that applies to a report in its current status, if any."""
    st = Status(status)
    if st is Status.SUBMITTED:
        return acceptance_due_at
    if st in HANDLING_STATUSES:
        return handling_due_at
    return None


def is_overdue(status: str, acceptance_due_at: datetime, handling_due_at: datetime | None, now: datetime) -> bool:
    deadline = due_at(status, acceptance_due_at, handling_due_at)
    return deadline is not None and now > deadline
