"""回访: what a reporter may do after staff resolve a report, and what a reporter may add while it
is open. Pure rules (no database, no channel), used by the service and tested on their own.

- Rating: once a report is resolved (or closed), its reporter rates that resolution once:
  满意 / 基本满意 / 不满意, with an optional comment. A report reopened and resolved again can be
  rated again (each rating belongs to one resolution, by its `resolved_at`).
- Reopening: a reporter who rated 不满意 may ask, with a reason, for the report to be handled
  again, within `reopen_window_days` of the resolution and while it is still resolved (closed is
  final). Staff decide: accept through the workflow (resolved -> reopened) or decline with a reply.
- Supplements: while a report is open (not rejected, resolved or closed) its reporter may add text
  and photos; staff are alerted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.errors import Conflict, ValidationFailed
from core.kit.language import pick

MAX_COMMENT = 1000
MAX_REASON = 1000
MAX_SUPPLEMENT = 2000
MIN_REASON = 5


class Rating(StrEnum):
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"


RATING_LABELS = {
    Rating.SATISFIED: ("满意", "Satisfied"),
    Rating.BASICALLY_SATISFIED: ("基本满意", "Basically satisfied"),
    Rating.DISSATISFIED: ("不满意", "Dissatisfied"),
}
# A satisfied share counts 满意 and 基本满意, as 12345 hotlines report their 满意率.
SATISFIED = frozenset({Rating.SATISFIED, Rating.BASICALLY_SATISFIED})

RATEABLE = frozenset({"resolved", "closed"})
OPEN_FOR_SUPPLEMENT = frozenset({"submitted", "accepted", "assigned", "in_progress", "reopened"})


def rating_label(value: str, lang: str = "zh") -> str:
    zh, en = RATING_LABELS[Rating(value)]
    return pick(lang, zh, en)


@dataclass(frozen=True)
class FollowupPolicy:
    reopen_window_days: int = 15

    def reopen_deadline(self, resolved_at: datetime) -> datetime:
        return resolved_at + timedelta(days=self.reopen_window_days)


def parse_rating(value: str) -> Rating:
    try:
        return Rating(value)
    except ValueError:
        raise ValidationFailed("请选择：满意、基本满意或不满意", "Choose satisfied, basically satisfied or dissatisfied",
                               code="invalid_rating") from None


def clean_text(text: str | None, limit: int, field_zh: str, field_en: str, minimum: int = 0) -> str:
    """Stripped text within its limits; an over-long text is refused with its length, never cut."""
    value = (text or "").strip()
    if len(value) > limit:
        raise ValidationFailed(f"{field_zh}不能超过 {limit} 个字符（现为 {len(value)} 个）",
                               f"The {field_en} must be at most {limit} characters (it has {len(value)})",
                               code="text_too_long")
    if len(value) < minimum:
        raise ValidationFailed(f"{field_zh}至少需要 {minimum} 个字符", f"The {field_en} needs at least {minimum} characters",
                               code="text_too_short")
    return value


def check_can_rate(status: str, resolved_at: datetime | None, already_rated: bool) -> None:
    if status not in RATEABLE or resolved_at is None:
        raise Conflict("办结后才能评价", "A report can be rated once it is resolved", code="not_resolved")
    if already_rated:
        raise Conflict("您已评价过这次办理结果", "You have already rated this resolution", code="already_rated")


def check_can_comment(rated: bool, has_comment: bool) -> None:
    """A comment can follow a rating given without one (a chat's one-tap rating), once."""
    if not rated:
        raise Conflict("请先评价办理结果", "Rate the result first", code="not_rated")
    if has_comment:
        raise Conflict("您已提交过评价意见", "You have already commented on this rating", code="already_commented")


def can_request_reopen(policy: FollowupPolicy, status: str, resolved_at: datetime | None, rating: str | None,
                       already_requested: bool, now: datetime) -> bool:
    return (status == "resolved" and resolved_at is not None and rating == Rating.DISSATISFIED
            and not already_requested and now <= policy.reopen_deadline(resolved_at))


def check_can_request_reopen(policy: FollowupPolicy, status: str, resolved_at: datetime | None, rating: str | None,
                             already_requested: bool, now: datetime) -> None:
    if can_request_reopen(policy, status, resolved_at, rating, already_requested, now):
        return
    if already_requested:
        raise Conflict("已提交过重新办理申请，请等待工作人员答复", "Reopening has already been requested; staff will reply",
                       code="reopen_already_requested")
    if rating != Rating.DISSATISFIED:
        raise Conflict("评价为“不满意”后才能申请重新办理", "Reopening can be requested after rating the result dissatisfied",
                       code="reopen_needs_dissatisfied")
    if status != "resolved" or resolved_at is None:
        raise Conflict("该举报当前不能申请重新办理", "This report cannot be reopened now", code="reopen_not_allowed")
    raise Conflict(f"办结超过 {policy.reopen_window_days} 日，不能再申请重新办理；如有新情况请重新举报",
                   f"More than {policy.reopen_window_days} days have passed since the resolution; "
                   "please submit a new report if something new happened", code="reopen_window_passed")


def check_can_supplement(status: str) -> None:
    if status not in OPEN_FOR_SUPPLEMENT:
        raise Conflict("该举报已办结或未受理，不能再补充材料；如有新情况请重新举报",
                       "This report is no longer open for additions; please submit a new report if something new happened",
                       code="report_not_open")
