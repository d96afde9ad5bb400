"""The watch list (重点关注名单) and the black list (黑名单): what a listing needs, and when it
counts. A listing always has a reason and an expiry; from its expiry on (or once lifted early,
with a reason) it no longer shows, and stays in the company's audit trail."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from accounts.roles import Role, role_allows
from core.errors import PermissionDenied, ValidationFailed
from core.kit.bureau_time import BureauTime
from core.kit.language import pick

MAX_LISTING_DAYS = 5 * 366  # 失信惩戒 listings run for years, not for ever
MAX_REASON = 2000


class ListKind(StrEnum):
    WATCH = "watch"
    BLACK = "black"


LIST_LABELS: dict[ListKind, tuple[str, str]] = {
    ListKind.WATCH: ("重点关注名单", "Watch list"),
    ListKind.BLACK: ("黑名单", "Black list"),
}


def list_label(kind: str, lang: str = "zh") -> str:
    zh, en = LIST_LABELS[ListKind(kind)]
    return pick(lang, zh, en)


def parse_kind(value: str) -> ListKind:
    try:
        return ListKind(value)
    except ValueError:
        raise ValidationFailed(f"未知名单“{value}”：可选 watch（重点关注）或 black（黑名单）",
                               f"Unknown list '{value}': watch or black", code="unknown_list", field="kind") from None


def check_role(kind: str, role: str) -> None:
    """The watch list is a triager's tool; the black list, with its consequences, an admin's."""
    needed = Role.ADMIN if ListKind(kind) is ListKind.BLACK else Role.TRIAGER
    if not role_allows(role, needed):
        raise PermissionDenied(f"只有{'管理员' if needed is Role.ADMIN else '办理员及以上'}可以变更{list_label(kind)}",
                               f"Only {needed.value}s or higher may change the {list_label(kind, 'en').lower()}")


def is_active(expires_at: datetime, lifted_at: datetime | None, now: datetime) -> bool:
    """A listing shows from its creation until its expiry (exclusive), unless lifted before."""
    return lifted_at is None and now < expires_at


def last_day(expires_at: datetime, bureau: BureauTime) -> date:
    """The last local day a listing is in force: one "until 2026-12-31" ends at the midnight after it."""
    return (bureau.local(expires_at) - timedelta(microseconds=1)).date()


def check_listing(reason: str, expires_at: datetime, now: datetime) -> str:
    """The reason, stripped, when a new listing may be made; else a clear error."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("列入名单必须说明理由", "A listing needs a reason", code="reason_required", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"理由不能超过 {MAX_REASON} 字", f"The reason is longer than {MAX_REASON} characters",
                               code="reason_too_long", field="reason")
    if expires_at <= now:
        raise ValidationFailed("到期时间必须晚于现在", "The expiry must be in the future", code="expiry_in_past",
                               field="expires_at")
    if expires_at > now + timedelta(days=MAX_LISTING_DAYS):
        raise ValidationFailed("列入期限不能超过 5 年", "A listing may last at most 5 years", code="expiry_too_far",
                               field="expires_at")
    return reason
