"""Report statuses and the transitions staff may make between them."""

from __future__ import annotations

from enum import StrEnum

from core.errors import Conflict


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
    return en if lang.startswith("en") else zh


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
