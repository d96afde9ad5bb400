"""What a reporter does after submitting: rate a resolution (回访), ask for reopening, add
information while the report is open; and the staff's side of those (deciding on a reopening
request, seeing what reporters added). The rules are in `complaints/followup.py`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import contacts
from core.clock import Clock
from core.db import Database
from core.errors import Conflict, NotFound

from .. import custody
from ..followup import (
    MAX_COMMENT,
    MAX_REASON,
    MAX_SUPPLEMENT,
    MIN_REASON,
    OPEN_FOR_SUPPLEMENT,
    FollowupPolicy,
    can_request_reopen,
    check_can_comment,
    check_can_rate,
    check_can_request_reopen,
    check_can_supplement,
    clean_text,
    parse_rating,
    rating_label,
)
from ..models import Photo, Report, ReportRating
from ..photos import ProcessedPhoto
from ..schemas import FollowupView, PhotoUpload
from ..workflow import Status
from .intake import Intake
from .records import REPORTER, Reporter, add_event, notify_followers, report_by_number, report_for_reporter

SUPPLEMENT = "supplement"
REOPEN_REQUEST = "reopen_request"


class Followup:
    def __init__(self, db: Database, policy: FollowupPolicy, clock: Clock, intake: Intake):
        self.db = db
        self.policy = policy
        self.clock = clock
        self.intake = intake

    # --- the reporter's side -----------------------------------------------------------------
    async def sms_updates(self, number: str, who: Reporter) -> bool | None:
        """Whether the reporter gets SMS updates (None: they never asked)."""
        async with self.db.session() as session:
            report = await report_for_reporter(session, number, who)
            return await contacts.sms_state(session, contacts.REPORT, report.id)

    async def stop_sms(self, number: str, who: Reporter) -> int:
        async with self.db.write_session() as session:
            report = await report_for_reporter(session, number, who)
            return await contacts.stop_sms(session, contacts.REPORT, report.id, self.clock.now())

    async def view(self, number: str, who: Reporter, lang: str = "zh") -> FollowupView:
        """What the status page offers: rate, ask for reopening, add information."""
        async with self.db.session() as session:
            report = await report_for_reporter(session, number, who)
            rating = await _current_rating(session, report)
        now = self.clock.now()
        return FollowupView(
            can_rate=report.status in ("resolved", "closed") and report.resolved_at is not None and rating is None,
            rating=rating.rating if rating else None,
            rating_label=rating_label(rating.rating, lang) if rating else None,
            comment=rating.comment if rating else None,
            can_request_reopen=bool(rating) and can_request_reopen(
                self.policy, report.status, report.resolved_at, rating.rating if rating else None,
                bool(rating and rating.reopen_requested_at), now),
            reopen_until=self.policy.reopen_deadline(report.resolved_at) if report.resolved_at else None,
            reopen_requested=bool(rating and rating.reopen_requested_at),
            reopen_decision=rating.reopen_decision if rating else None,
            can_supplement=report.status in OPEN_FOR_SUPPLEMENT and report.merged_into_id is None,
        )

    async def rate(self, number: str, who: Reporter, rating: str, comment: str | None) -> None:
        value = parse_rating(rating)
        text = clean_text(comment, MAX_COMMENT, "评价意见", "comment")
        async with self.db.write_session() as session:
            report = await report_for_reporter(session, number, who)
            check_can_rate(report.status, report.resolved_at, await _current_rating(session, report) is not None)
            now = self.clock.now()
            assert report.resolved_at is not None
            session.add(ReportRating(report_id=report.id, resolved_at=report.resolved_at, rating=value.value,
                                     comment=text, created_at=now))
            add_event(session, report, "rating", REPORTER, now, to_value=value.value, note=text or None)

    async def comment(self, number: str, who: Reporter, comment: str) -> None:
        """The comment sent after a one-tap rating; kept with the rating, and in the audit trail."""
        text = clean_text(comment, MAX_COMMENT, "评价意见", "comment", minimum=1)
        async with self.db.write_session() as session:
            report = await report_for_reporter(session, number, who)
            rating = await _current_rating(session, report)
            check_can_comment(rating is not None, bool(rating and rating.comment))
            assert rating is not None
            rating.comment = text
            add_event(session, report, "rating_comment", REPORTER, self.clock.now(), to_value=rating.rating, note=text)

    async def request_reopen(self, number: str, who: Reporter, reason: str) -> None:
        text = clean_text(reason, MAX_REASON, "申请理由", "reason", minimum=MIN_REASON)
        async with self.db.write_session() as session:
            report = await report_for_reporter(session, number, who)
            rating = await _current_rating(session, report)
            now = self.clock.now()
            check_can_request_reopen(self.policy, report.status, report.resolved_at,
                                     rating.rating if rating else None, bool(rating and rating.reopen_requested_at), now)
            assert rating is not None
            rating.reopen_reason, rating.reopen_requested_at = text, now
            _attention(report, REOPEN_REQUEST, now)
            add_event(session, report, "reopen_requested", REPORTER, now, note=text,
                      public_message=text)

    async def supplement(self, number: str, who: Reporter, text: str,
                         photos: Sequence[PhotoUpload | ProcessedPhoto] = ()) -> None:
        """Text and photos added to an open report, as one unit (like a submission)."""
        body = clean_text(text, MAX_SUPPLEMENT, "补充内容", "addition")
        if not body and not photos:
            raise Conflict("请填写补充内容或添加照片", "Write something or add a photo", code="empty_supplement")
        self.intake.check_photo_count(len(photos))
        async with self.db.session() as session:
            check_can_supplement((await report_for_reporter(session, number, who)).status)
        processed = [await self.intake.processed(p) for p in photos]
        created_keys: list[str] = []
        try:
            blobs = [b for p in processed for b in await asyncio.to_thread(self.intake.store_photo, p, created_keys)]
            stored = [(blobs[i].key, blobs[i + 1].key) for i in range(0, len(blobs), 2)]
            async with self.db.write_session() as session:
                await custody.hold(session, self.intake.store, blobs)
                report = await report_for_reporter(session, number, who)
                check_can_supplement(report.status)
                now = self.clock.now()
                first = (await session.scalar(select(func.max(Photo.position)).where(Photo.report_id == report.id)) or 0) + 1
                rows = self.intake.photo_rows(processed, stored, first, now)
                for row in rows:
                    row.report_id = report.id
                    session.add(row)
                numbers = ",".join(str(first + i) for i in range(len(rows))) or None
                add_event(session, report, SUPPLEMENT, REPORTER, now, to_value=numbers, public_message=body or None)
                _attention(report, SUPPLEMENT, now)
        except BaseException:
            await asyncio.shield(custody.discard_unreferenced(self.db, self.intake.store, created_keys))
            raise

    # --- staff ---------------------------------------------------------------------------------
    async def decline_reopen(self, number: str, actor: str, message: str) -> None:
        reply = clean_text(message, MAX_REASON, "答复", "reply", minimum=MIN_REASON)
        async with self.db.write_session() as session:
            report = await report_by_number(session, number, lock=True)
            rating = await _pending_request(session, report)
            now = self.clock.now()
            rating.reopen_decision, rating.reopen_decided_at, rating.reopen_decided_by = "declined", now, actor
            report.attention = report.attention_at = None
            add_event(session, report, "reopen_declined", actor, now, public_message=reply)
            await notify_followers(session, report, "reopen_declined", reply, now)

    async def seen(self, number: str, actor: str) -> None:
        async with self.db.write_session() as session:
            report = await report_by_number(session, number, lock=True)
            if report.attention:
                add_event(session, report, "seen", actor, self.clock.now(), from_value=report.attention)
                report.attention = report.attention_at = None


async def accept_pending_reopen(session: AsyncSession, report: Report, actor: str, to: str) -> None:
    """Called by triage on a status change: resolved -> reopened accepts a pending request."""
    if to != Status.REOPENED.value:
        return
    rating = await _current_rating(session, report)
    if rating is not None and rating.reopen_requested_at and rating.reopen_decision is None:
        rating.reopen_decision, rating.reopen_decided_by = "accepted", actor
        rating.reopen_decided_at = report.updated_at
    report.attention = report.attention_at = None


async def _current_rating(session: AsyncSession, report: Report) -> ReportRating | None:
    """The rating of the report's latest resolution, if given."""
    if report.resolved_at is None:
        return None
    return await session.scalar(select(ReportRating).where(
        ReportRating.report_id == report.id, ReportRating.resolved_at == report.resolved_at))


async def _pending_request(session: AsyncSession, report: Report) -> ReportRating:
    rating = await _current_rating(session, report)
    if rating is None or not rating.reopen_requested_at or rating.reopen_decision is not None:
        raise NotFound("该举报没有待处理的重新办理申请", "This report has no pending reopening request",
                       code="no_reopen_request")
    return rating


def _attention(report: Report, reason: str, now: datetime) -> None:
    report.attention, report.attention_at, report.updated_at = reason, now, now

