"""Report statuses, the transitions staff may make between them, what each transition needs
(its guards) and what it changes on the report (its effects). The one place for rules such as
"a report may only go from resolved to reopened" or "rejecting needs a reason for the reporter".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from core.errors import Conflict, ValidationFailed
from core.kit.language import pick

if TYPE_CHECKING:
    from .deadlines import DeadlinePolicy


class Status(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    # Not reachable by a transition: set when staff merge a duplicate into a primary report.
    MERGED = "merged"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset({Status.ACCEPTED, Status.REJECTED}),
    Status.ACCEPTED: frozenset({Status.ASSIGNED}),
    Status.ASSIGNED: frozenset({Status.IN_PROGRESS}),
    Status.IN_PROGRESS: frozenset({Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.REOPENED}),
    Status.REOPENED: frozenset({Status.IN_PROGRESS}),
    Status.REJECTED: frozenset(),
    Status.CLOSED: frozenset(),
    Status.MERGED: frozenset(),
}

# Reports still waiting for the bureau: candidates for duplicates, counted as open work.
OPEN_STATUSES = frozenset(
    {Status.SUBMITTED, Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS, Status.REOPENED}
)
# A status filter's word for every status in OPEN_STATUSES (the staff list's and map's "未办结").
OPEN_FILTER = "open"


def filter_statuses(values: Iterable[str]) -> list[str]:
    """The statuses a staff status filter names: each value a status, or `open` for all open ones."""
    found: set[str] = set()
    for value in values:
        found |= {s.value for s in OPEN_STATUSES} if value == OPEN_FILTER else {value}
    return sorted(found)


# Statuses whose deadline is the handling deadline (after acceptance).
HANDLING_STATUSES = frozenset({Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS, Status.REOPENED})

STATUS_LABELS: dict[Status, tuple[str, str]] = {
    Status.SUBMITTED: ("已提交，待受理", "Submitted, awaiting acceptance"),
    Status.ACCEPTED: ("已受理", "Accepted"),
    Status.REJECTED: ("不予受理", "Not accepted"),
    Status.ASSIGNED: ("已交办", "Assigned to a department"),
    Status.IN_PROGRESS: ("办理中", "In progress"),
    Status.RESOLVED: ("已办结", "Resolved"),
    Status.REOPENED: ("重新办理", "Reopened"),
    Status.CLOSED: ("已关闭", "Closed"),
    Status.MERGED: ("已合并", "Merged"),
}


def status_label(status: str, lang: str = "zh") -> str:
    zh, en = STATUS_LABELS[Status(status)]
    return pick(lang, zh, en)


class InvalidTransition(Conflict):
    code = "invalid_transition"


def parse_status(value: str) -> Status:
    try:
        return Status(value)
    except ValueError:
        names = ", ".join(s.value for s in Status if s is not Status.MERGED)
        raise InvalidTransition(
            f"未知状态“{value}”，可用状态：{names}",
            f"Unknown status '{value}'; valid statuses: {names}",
            code="unknown_status",
        ) from None


def check_transition(current: str, target: str) -> Status:
    """Return the target status if staff may move a report there, else raise InvalidTransition."""
    src, dst = Status(current), parse_status(target)
    allowed = TRANSITIONS[src]
    if dst not in allowed:
        options = "、".join(s.value for s in sorted(allowed)) or "无"
        options_en = ", ".join(s.value for s in sorted(allowed)) or "none"
        raise InvalidTransition(
            f"不能从“{status_label(src)}”变更为“{status_label(dst)}”。当前可变更为：{options}",
            f"Cannot move a report from '{src.value}' to '{dst.value}'. Allowed next: {options_en}",
            current=src.value,
            target=dst.value,
            allowed=sorted(s.value for s in allowed),
        )
    return dst


PRIORITIES = ("low", "normal", "high", "urgent")


class Transitionable(Protocol):
    """The parts of a report a transition reads and writes (the `Report` row satisfies it)."""

    status: str
    department: str | None
    extension_days: int
    updated_at: datetime
    accepted_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    handling_due_at: datetime | None


def _require_public_message(report: Transitionable, public_message: str | None) -> None:
    if not public_message:
        raise ValidationFailed(
            "不予受理时必须告知举报人理由（public_message）",
            "Rejecting a report needs a reason for the reporter (public_message)",
            code="reason_required",
        )


def _require_department(report: Transitionable, public_message: str | None) -> None:
    if not report.department:
        raise ValidationFailed(
            "交办前请先设置承办部门", "Set a department before assigning the report", code="department_required"
        )


Guard = Callable[[Transitionable, "str | None"], None]
Effect = Callable[[Transitionable, datetime, "DeadlinePolicy"], None]


def _on_accepted(report: Transitionable, now: datetime, deadlines: DeadlinePolicy) -> None:
    report.accepted_at = now
    report.handling_due_at = deadlines.handling_due(now, report.extension_days)


def _on_resolved(report: Transitionable, now: datetime, deadlines: DeadlinePolicy) -> None:
    report.resolved_at = now


def _on_closed(report: Transitionable, now: datetime, deadlines: DeadlinePolicy) -> None:
    report.closed_at = now


@dataclass(frozen=True)
class Arrival:
    """What entering a status needs (guards, checked in order) and changes (effects)."""

    guards: tuple[Guard, ...] = ()
    effects: tuple[Effect, ...] = ()


# Entering a status not listed here needs nothing beyond TRANSITIONS and changes only the status.
ARRIVALS: dict[Status, Arrival] = {
    Status.REJECTED: Arrival(guards=(_require_public_message,)),
    Status.ACCEPTED: Arrival(effects=(_on_accepted,)),
    Status.ASSIGNED: Arrival(guards=(_require_department,)),
    Status.RESOLVED: Arrival(effects=(_on_resolved,)),
    Status.CLOSED: Arrival(effects=(_on_closed,)),
}


def apply_transition(
    report: Transitionable, to: str, now: datetime, deadlines: DeadlinePolicy, public_message: str | None = None
) -> Status:
    """Move a report to `to`: the transition must be allowed and its guards pass, then its effects
    run. Returns the new status; the caller records the audit event and tells the reporter."""
    if report.status == Status.MERGED:
        primary = getattr(getattr(report, "merged_into", None), "tracking_number", "")
        raise ValidationFailed(
            f"该举报已合并到 {primary}，请在主举报上操作",
            "This report was merged into another; act on the primary report",
            code="report_merged",
        )
    target = check_transition(report.status, to)
    arrival = ARRIVALS.get(target, Arrival())
    for guard in arrival.guards:
        guard(report, public_message)
    report.status = target.value
    report.updated_at = now
    for effect in arrival.effects:
        effect(report, now, deadlines)
    return target
