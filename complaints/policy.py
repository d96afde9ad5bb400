"""The numbers the complaints tracker runs on, read once from settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.kit.bureau_time import BureauTime

from .alerts import AlertPolicy
from .deadlines import DeadlinePolicy
from .followup import FollowupPolicy
from .photos import PhotoLimits


@dataclass(frozen=True)
class ComplaintPolicy:
    deadlines: DeadlinePolicy
    photo_limits: PhotoLimits
    max_photos: int
    duplicate_radius_m: float
    duplicate_window_days: int
    category_departments: dict[str, str]
    bureau_time: BureauTime = BureauTime()
    followup: FollowupPolicy = FollowupPolicy()
    alerts: AlertPolicy = AlertPolicy()

    @classmethod
    def from_settings(cls, settings: Any) -> ComplaintPolicy:
        return cls(
            deadlines=DeadlinePolicy.from_settings(settings),
            photo_limits=PhotoLimits.from_settings(settings),
            max_photos=settings.max_photos_per_report,
            duplicate_radius_m=settings.duplicate_radius_m,
            duplicate_window_days=settings.duplicate_window_days,
            category_departments=dict(settings.category_departments),
            bureau_time=BureauTime.from_settings(settings),
            followup=FollowupPolicy(reopen_window_days=settings.reopen_window_days),
            alerts=AlertPolicy(deadline_days=settings.staff_alert_deadline_days,
                               digest_hour=settings.staff_digest_hour),
        )
