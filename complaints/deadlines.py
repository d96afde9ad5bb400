"""Deadlines from 信访工作条例: a decision on acceptance within 15 days of receipt (第二十三条),
handling within 60 days of acceptance, extendable once or more by at most 30 days in total with a
reason given to the reporter (第三十四条). Days are calendar days, counted from the moment of
receipt. These are the defaults; `CIVICDESK_ACCEPTANCE_DUE_DAYS` and friends let a county follow
local rules.

"Overdue" is defined here once, from `DEADLINE_BY_STATUS`: as a Python predicate (`is_overdue`)
and as the SQL condition the staff filters and the dashboard use (`overdue_clause`); likewise
"due within N days" (`is_due_within`, `due_within_clause`) for the staff's deadline alerts, and
"resolved within the deadline" (`resolved_in_time`) for the public figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, false, or_

from core.errors import ValidationFailed

from .models import Report
from .workflow import HANDLING_STATUSES, Status

ACCEPTANCE_DAYS = 15  # 信访工作条例 第二十三条
HANDLING_DAYS = 60  # 信访工作条例 第三十四条
MAX_EXTENSION_DAYS = 30  # 信访工作条例 第三十四条

# Which deadline applies in which status; a status not listed has none (decided or closed).
DEADLINE_BY_STATUS: dict[Status, str] = {
    Status.SUBMITTED: "acceptance_due_at",
    **{status: "handling_due_at" for status in HANDLING_STATUSES},
}


@dataclass(frozen=True)
class DeadlinePolicy:
    acceptance_days: int = ACCEPTANCE_DAYS
    handling_days: int = HANDLING_DAYS
    max_extension_days: int = MAX_EXTENSION_DAYS

    @classmethod
    def from_settings(cls, settings: Any) -> DeadlinePolicy:
        """Settings left unset (None) keep the regulation's numbers above."""
        values = {
            "acceptance_days": settings.acceptance_due_days,
            "handling_days": settings.handling_due_days,
            "max_extension_days": settings.max_extension_days,
        }
        return cls(**{k: v for k, v in values.items() if v is not None})

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
    field = DEADLINE_BY_STATUS.get(Status(status))
    if field is None:
        return None
    return acceptance_due_at if field == "acceptance_due_at" else handling_due_at


def is_overdue(status: str, acceptance_due_at: datetime, handling_due_at: datetime | None, now: datetime) -> bool:
    deadline = due_at(status, acceptance_due_at, handling_due_at)
    return deadline is not None and now > deadline


def deadline_field(status: str) -> str | None:
    """Which deadline applies in this status: `acceptance_due_at`, `handling_due_at` or None."""
    return DEADLINE_BY_STATUS.get(Status(status))


def is_due_within(status: str, acceptance_due_at: datetime, handling_due_at: datetime | None, now: datetime,
                  within: timedelta) -> bool:
    """Not overdue yet, but the status's deadline falls within `within` from `now`."""
    deadline = due_at(status, acceptance_due_at, handling_due_at)
    return deadline is not None and now <= deadline <= now + within


def resolved_in_time(resolved_at: datetime | None, handling_due_at: datetime | None) -> bool:
    """A resolution counts as on time when it came by the (possibly extended) handling deadline."""
    return resolved_at is not None and handling_due_at is not None and resolved_at <= handling_due_at


def _by_field() -> dict[str, list[str]]:
    by_field: dict[str, list[str]] = {}
    for status, field in DEADLINE_BY_STATUS.items():
        by_field.setdefault(field, []).append(status.value)
    return by_field


def overdue_clause(now: datetime) -> Any:
    """SQL for `is_overdue`: the status's deadline column is before `now`."""
    conditions = [
        and_(Report.status.in_(sorted(statuses)), getattr(Report, field) < now)
        for field, statuses in _by_field().items()
    ]
    return or_(*conditions) if conditions else false()


def due_within_clause(now: datetime, within: timedelta) -> Any:
    """SQL for `is_due_within`."""
    conditions = [
        and_(Report.status.in_(sorted(statuses)), getattr(Report, field) >= now,
             getattr(Report, field) <= now + within)
        for field, statuses in _by_field().items()
    ]
    return or_(*conditions) if conditions else false()


def resolved_in_time_clause() -> Any:
    """SQL for `resolved_in_time`."""
    return and_(Report.resolved_at.is_not(None), Report.handling_due_at.is_not(None),
                Report.resolved_at <= Report.handling_due_at)
