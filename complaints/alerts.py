"""Alerts to staff phones: which changes and moments alert, and the keys that make each scheduled
alert go out once. Pure rules; `service/alerts.py` applies them and `accounts/links.py` says who
hears about a department's reports.

- A report raised to high or urgent priority (from a lower one) alerts its department's staff.
- A report whose acceptance or handling deadline is `deadline_days` away or nearer (and not past)
  alerts them once per report, deadline and due time (an extension sets a new due time, which is
  worth a new alert).
- Once a day, at `digest_hour` bureau time or later, a digest of the overdue reports goes to each
  department chat and linked staff member (their scope's reports), if they have any.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .workflow import PRIORITIES

ALERT_PRIORITIES = frozenset({"high", "urgent"})
DIGEST_LIMIT = 20  # reports named in one digest; the rest are counted


@dataclass(frozen=True)
class AlertPolicy:
    deadline_days: int = 3  # 0: no deadline alerts
    digest_hour: int | None = 8  # bureau time; None: no digest

    @property
    def deadline_window(self) -> timedelta:
        return timedelta(days=self.deadline_days)

    def digest_due(self, local_now: datetime) -> bool:
        return self.digest_hour is not None and local_now.hour >= self.digest_hour


def raises_alert(old_priority: str | None, new_priority: str) -> bool:
    """Raised into high or urgent (normal -> high, high -> urgent); lowering never alerts."""
    if new_priority not in ALERT_PRIORITIES:
        return False
    rank = PRIORITIES.index
    return old_priority not in PRIORITIES or rank(new_priority) > rank(old_priority)  # type: ignore[arg-type]


def deadline_key(report_id: int, field: str, due: datetime) -> str:
    return f"deadline:{report_id}:{field}:{due.isoformat(timespec='seconds')}"


def digest_key(day: date) -> str:
    return f"overdue-digest:{day.isoformat()}"
