"""Files: registration and feedback CSVs for Excel, iCalendar feeds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.kit.csv import csv_text
from core.kit.language import is_english

from .. import ics
from ..models import OpenDayEvent
from ..rules import local_text
from .views import Views


class Exports(Views):
    async def registrations_csv(self, event_id: int, lang: str = "zh") -> bytes:
        rows = await self.registrations(event_id, lang=lang)
        en = is_english(lang)
        header = (
            ["Registration", "Name", "Phone (masked)", "Party size", "Channel", "Status", "Check-in code",
             "Waitlist position", "Registered at", "Checked in at", "Cancelled at"]
            if en else
            ["报名编号", "姓名", "手机号（部分隐藏）", "人数", "报名渠道", "状态", "签到码", "候补顺位", "报名时间",
             "签到时间", "取消时间"]
        )
        return self._csv(header, (
            [r.id, r.name, r.phone_masked, r.party_size, r.channel, r.status_label, r.check_in_code,
             r.waitlist_position, self._local(r.created_at), self._local(r.attended_at),
             self._local(r.cancelled_at)]
            for r in rows
        ))

    async def feedback_csv(self, event_id: int, lang: str = "zh") -> bytes:
        rows = await self.feedback(event_id)
        header = (["Registration", "Name", "Rating", "Comment", "Submitted at"] if is_english(lang)
                  else ["报名编号", "姓名", "评分", "意见建议", "提交时间"])
        return self._csv(header, ([f.registration_id, f.name, f.rating, f.comment, self._local(f.updated_at)]
                                  for f in rows))

    def _csv(self, header: list[str], rows: Iterable[list[Any]]) -> bytes:
        return csv_text(header, rows).encode("utf-8")  # Excel-safe: names and comments never run

    def _local(self, value: datetime | None) -> str:
        return local_text(value, self.policy.tz) if value else ""

    async def feed_ics(self, lang: str = "zh") -> bytes:
        since = self.clock.now() - self.policy.feed_history
        async with self.db.session() as session:
            rows = list(await session.scalars(
                select(OpenDayEvent)
                .where(OpenDayEvent.published_at.is_not(None), OpenDayEvent.ends_at >= since)
                .order_by(OpenDayEvent.starts_at, OpenDayEvent.id)
            ))
        return ics.calendar_bytes(rows, self.policy.tz, {e.id: self.event_url(e.id) for e in rows}, lang)

    async def event_ics(self, event_id: int, lang: str = "zh") -> bytes:
        async with self.db.session() as session:
            event = await self._event(session, event_id, public=True)
        return ics.calendar_bytes([event], self.policy.tz, {event.id: self.event_url(event.id)}, lang,
                                  name=event.title)
