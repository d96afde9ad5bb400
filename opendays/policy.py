"""The numbers the open days run on, read once from settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class OpenDayPolicy:
    max_party_size: int
    tz: ZoneInfo
    public_base_url: str
    reminder_before: timedelta = timedelta(hours=24)
    # Feedback is asked for within this long after the end (not after a long outage of the loop).
    feedback_window: timedelta = timedelta(days=7)
    check_in_opens_before: timedelta = timedelta(hours=2)
    # Past events stay in the calendar feed this long.
    feed_history: timedelta = timedelta(days=90)

    @classmethod
    def from_settings(cls, settings: Any) -> OpenDayPolicy:
        return cls(
            max_party_size=settings.openday_max_party_size,
            tz=ZoneInfo(settings.timezone),
            public_base_url=settings.public_base_url.rstrip("/"),
        )
