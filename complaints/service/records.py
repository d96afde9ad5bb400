"""What intake, triage and queries share: finding a report, the category list, writing an audit
event, and telling reporters through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from accounts import departments as department_rules
from accounts.scope import BUREAU, Scope
from core import contacts, outbox
from core.clock import Clock
from core.db import Database
from core.errors import NotFound, ValidationFailed
from core.ids import token_matches
from core.kit.channels import PUSH_CHANNELS

from ..categories import ensure_categories
from ..messages import ReportUpdate
from ..models import Category, Report, ReportEvent
from ..schemas import CategoryOut

REPORTER = "reporter"
SYSTEM = "system"


async def report_or_none(session: AsyncSession, tracking_number: str, with_photos: bool = False,
                         lock: bool = False) -> Report | None:
    """`lock`: for a change. On PostgreSQL the row stays locked until the transaction ends, so the
    same change sent to two servers at once is checked against what the first one did (SQLite's
    writers already take turns before they read)."""
    query = select(Report).where(Report.tracking_number == tracking_number.strip())
    if with_photos:
        query = query.options(selectinload(Report.photos))
    if lock:
        query = query.with_for_update(of=Report)
    return await session.scalar(query)


async def report_by_number(
    session: AsyncSession, tracking_number: str, with_photos: bool = False, scope: Scope = BUREAU,
    lock: bool = False,
) -> Report:
    """A report staff may see: one outside the account's departments is "not found", like a
    number that does not exist, so other departments' numbers do not leak."""
    report = await report_or_none(session, tracking_number, with_photos, lock)
    if report is None or not scope.allows(report.department_id):
        raise NotFound(
            f"找不到编号为 {tracking_number} 的举报",
            f"No report with tracking number {tracking_number}",
            code="report_not_found",
        )
    return report


async def report_for_token(
    session: AsyncSession, tracking_number: str, token: str, with_photos: bool = False
) -> Report:
    report = await report_or_none(session, tracking_number, with_photos)
    # The same answer for an unknown number and a wrong token: numbers are sequential,
    # so telling them apart would let anyone probe which reports exist.
    if report is None or not token_matches(token, report.status_token_hash):
        raise report_not_found_for_token()
    return report


def report_not_found_for_token() -> NotFound:
    return NotFound(
        "找不到该举报，或查询码不正确",
        "No report with that tracking number and token",
        code="report_not_found",
    )


@dataclass(frozen=True)
class ChannelUser:
    """Who submitted a report through a chat channel (Telegram): they need no token."""

    channel: str
    user_id: str


@dataclass(frozen=True)
class VerifiedPhone:
    """Whoever proved by a one-time SMS code that they hold the number given with a report
    (`accounts/phone_codes.py`); `digits` is normalised (core.phones.normalize_phone)."""

    digits: str


# A reporter proves who they are with the report's status token, as its channel user, or with
# the number given with it, verified.
Reporter = str | ChannelUser | VerifiedPhone


async def report_for_reporter(session: AsyncSession, tracking_number: str, who: Reporter,
                              with_photos: bool = False) -> Report:
    if isinstance(who, VerifiedPhone):
        report = await report_or_none(session, tracking_number, with_photos)
        if report is None or not who.digits or report.reporter_phone_digits != who.digits:
            raise NotFound("找不到以该手机号提交的这份举报", "No report with that number was given with that phone",
                           code="report_not_found")
        return report
    if not isinstance(who, ChannelUser):
        return await report_for_token(session, tracking_number, who, with_photos)
    report = await report_or_none(session, tracking_number, with_photos)
    if report is None or report.channel != who.channel or report.reporter_channel_id != who.user_id:
        raise NotFound("找不到您提交的这份举报", "You have no report with that tracking number", code="report_not_found")
    return report


def add_event(
    session: AsyncSession,
    report: Report,
    kind: str,
    actor: str,
    now: datetime,
    from_value: str | None = None,
    to_value: str | None = None,
    note: str | None = None,
    public_message: str | None = None,
) -> None:
    """One line of the audit trail; `note` stays with staff, `public_message` reaches the reporter."""
    session.add(ReportEvent(report_id=report.id, **event_values(
        kind, actor, now, from_value=from_value, to_value=to_value, note=note, public_message=public_message)))


def event_values(kind: str, actor: str, now: datetime, **texts: str | None) -> dict[str, object]:
    """An audit event's columns but its report's id (intake inserts them with the report);
    `texts`: from_value, to_value, note, public_message (see add_event), None when not given."""
    return {"kind": kind, "actor": actor, "from_value": None, "to_value": None, "note": None,
            "public_message": None, **texts, "created_at": now}


class CategoryBook:
    """Active categories by code and by Chinese name. They change rarely (seeding, settings at
    start-up), and every submission needs one, so they are read once and again on a miss."""

    def __init__(self, db: Database, departments: dict[str, str], clock: Clock):
        self.db = db
        self.departments = departments
        self.clock = clock
        self._cache: dict[str, CategoryOut] = {}

    async def seed(self) -> None:
        async with self.db.write_session() as session:
            await ensure_categories(session, self.departments, self.clock.now())
        self._cache = {}

    async def all(self) -> list[CategoryOut]:
        if not self._cache:
            await self._load()
        return list({c.code: c for c in self._cache.values()}.values())

    async def _load(self) -> None:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(Category).where(Category.active.is_(True)).order_by(Category.sort_order, Category.id)
            )
            categories = [CategoryOut.model_validate(c) for c in rows]
        cache: dict[str, CategoryOut] = {}
        for category in categories:
            cache[category.code] = cache[category.name_zh] = category
        self._cache = cache

    async def ref(self, value: str) -> CategoryOut:
        """The active category with this code or Chinese name, else a clear error listing them."""
        value = value.strip()
        if value not in self._cache:
            await self._load()
        category = self._cache.get(value)
        if category is None:
            names = "、".join(c.name_zh for c in await self.all())
            raise ValidationFailed(
                f"未知的举报类别“{value}”。可选类别：{names}",
                f"Unknown category '{value}'. See GET /api/v1/categories for the list",
                code="unknown_category",
            )
        return category

    async def set_department(self, value: str, department: str | None) -> CategoryOut:
        ref = await self.ref(value)
        async with self.db.write_session() as session:
            category = await self.row(ref.code, session)
            target = await department_rules.find(session, department) if department else None
            category.department_id, category.department = (target.id, target) if target else (None, None)
            await session.flush()
            out = CategoryOut.model_validate(category)
        self._cache = {}
        return out

    async def row(self, value: str, session: AsyncSession) -> Category:
        ref = await self.ref(value)
        category = await session.scalar(select(Category).where(Category.code == ref.code))
        assert category is not None  # the cache only holds rows that exist
        return category


async def notify_followers(
    session: AsyncSession, report: Report, event: str, message: str | None, now: datetime
) -> None:
    """Tell the reporter, and the reporters of duplicates merged into this report."""
    await notify_reporter(session, report, report, event, message, now)
    for child in list(await session.scalars(select(Report).where(Report.merged_into_id == report.id))):
        await notify_reporter(session, child, report, event, message, now)


async def notify_reporter(
    session: AsyncSession, recipient_report: Report, primary: Report, event: str, message: str | None,
    now: datetime,
) -> None:
    """One update to the reporter wherever they can be reached: their chat channel, and the
    e-mail address or mobile number they left asking to be told (`core.contacts`)."""
    update = ReportUpdate(
        event=event,
        tracking_number=recipient_report.tracking_number,
        primary_tracking_number=primary.tracking_number,
        status=primary.status,
        message=message,
        language=recipient_report.language,
    )
    if recipient_report.channel in PUSH_CHANNELS and recipient_report.reporter_channel_id:
        outbox.enqueue(session, channel=recipient_report.channel, recipient=recipient_report.reporter_channel_id,
                       message=update, now=now)
    await contacts.tell(session, contacts.REPORT, recipient_report.id, update, now)
