"""The bureau's time zone (`CIVICDESK_TIMEZONE`): local dates and times for people, day and year
boundaries for counting. Stored times stay UTC; only what people read or type is local."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from core.clock import as_utc
from core.settings import Settings

# The settings' default zone, for code that runs without settings (a photo's EXIF time, tests).
DEFAULT_TZ = ZoneInfo(Settings.model_fields["timezone"].default)


@dataclass(frozen=True)
class BureauTime:
    tz: ZoneInfo = field(default=DEFAULT_TZ)

    @classmethod
    def from_settings(cls, settings: Any) -> BureauTime:
        return cls(ZoneInfo(settings.timezone))

    def local(self, value: datetime) -> datetime:
        return as_utc(value).astimezone(self.tz)

    def text(self, value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """A stored time as people read it; "" for none."""
        return self.local(value).strftime(fmt) if value else ""

    def iso(self, value: datetime | None) -> str | None:
        """ISO 8601 with the bureau's offset (2026-03-10T10:00:00+08:00), for machines; None for none."""
        return self.local(value).isoformat(timespec="seconds") if value else None

    def date_text(self, value: datetime | None) -> str:
        return self.text(value, "%Y-%m-%d")

    def day_start(self, day: date) -> datetime:
        """Midnight at the start of a local calendar day."""
        return datetime.combine(day, time.min, tzinfo=self.tz)

    def start_of_day(self, value: datetime) -> datetime:
        """Midnight at the start of the local day `value` falls on."""
        return self.day_start(self.local(value).date())

    def year(self, value: datetime) -> int:
        return self.local(value).year

    def read_local(self, value: datetime) -> datetime:
        """A time someone typed: naive means the bureau's local time."""
        return value.replace(tzinfo=self.tz) if value.tzinfo is None else value
