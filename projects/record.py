"""A company's record from the reports linked to its projects: the pure counting rules.

What the workflow records is the bureau's outcome, not a finding of fact, so "substantiated"
(查实) is defined from it honestly: a report the bureau accepted and handled to the end (now
已办结 or 已关闭). Rejected reports (不予受理) are not; reports still being handled are counted
as open, not yet either way; merged duplicates are counted once, through their primary. Nothing
in the workflow says that a resolved report found a violation, so this is an upper bound.

"Overdue share": of the open reports, the share past their deadline now, by the one definition
in `complaints/deadlines.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from complaints.deadlines import is_overdue
from complaints.workflow import OPEN_STATUSES, Status
from core.kit.bureau_time import BureauTime

SUBSTANTIATED_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED})
RECORD_MONTHS = 12

DEFINITION_ZH = ("“查实”按办理结果计：已受理并办结（已办结、已关闭）的举报；不予受理的不计，办理中的计为未结；"
                 "合并的重复举报只按主举报计一次。系统不记录办结时是否认定违法，故此数为上限。"
                 "“逾期占比”：未结举报中当前已超过办理期限的比例。")
DEFINITION_EN = ("'Substantiated' follows the workflow's outcome: reports the bureau accepted and resolved "
                 "(resolved or closed); rejected ones are not, those still being handled count as open, and a "
                 "merged duplicate counts once, through its primary. The workflow does not record whether a "
                 "violation was found, so this is an upper bound. 'Overdue share': of the open reports, those "
                 "now past their deadline.")


@dataclass(frozen=True)
class LinkedReport:
    """What the record needs of one linked report."""

    status: str
    created_at: datetime
    acceptance_due_at: datetime
    handling_due_at: datetime | None
    resolved_at: datetime | None
    rejected_at: datetime | None = None


@dataclass
class Month:
    month: str  # YYYY-MM, bureau time
    received: int = 0
    substantiated: int = 0
    rejected: int = 0


@dataclass
class Record:
    linked: int = 0
    substantiated: int = 0
    rejected: int = 0
    open: int = 0
    overdue: int = 0
    months: list[Month] = field(default_factory=list)

    @property
    def overdue_share(self) -> float | None:
        return round(self.overdue / self.open, 3) if self.open else None

    @property
    def substantiated_share(self) -> float | None:
        decided = self.substantiated + self.rejected
        return round(self.substantiated / decided, 3) if decided else None


def recent_months(now: datetime, bureau: BureauTime, count: int = RECORD_MONTHS) -> list[date]:
    """The first days of this bureau month and the `count - 1` before it, oldest first."""
    today = bureau.local(now)
    index = today.year * 12 + today.month - 1
    return [date((i // 12), i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def summarize(reports: Iterable[LinkedReport], now: datetime, bureau: BureauTime,
              months: int = RECORD_MONTHS) -> Record:
    keys = [m.strftime("%Y-%m") for m in recent_months(now, bureau, months)]
    by_month = {k: Month(k) for k in keys}
    record = Record(months=list(by_month.values()))

    def bump(at: datetime | None, name: str) -> None:
        if at is not None and (month := by_month.get(bureau.local(at).strftime("%Y-%m"))) is not None:
            setattr(month, name, getattr(month, name) + 1)

    for report in reports:
        status = Status(report.status)
        if status is Status.MERGED:
            continue
        record.linked += 1
        bump(report.created_at, "received")
        if status in SUBSTANTIATED_STATUSES:
            record.substantiated += 1
            bump(report.resolved_at, "substantiated")
        elif status is Status.REJECTED:
            record.rejected += 1
            bump(report.rejected_at, "rejected")
        elif status in OPEN_STATUSES:
            record.open += 1
            record.overdue += is_overdue(report.status, report.acceptance_due_at, report.handling_due_at, now)
    return record
