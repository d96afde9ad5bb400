"""What the open days tell people through the outbox: one payload model per kind."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from core.outbox import OutboxPayload, message_kind


class EventNews(OutboxPayload):
    """The event as the message shows it (times in the bureau's zone)."""

    event_id: int
    title: str
    site_name: str
    address: str
    starts_at: datetime
    ends_at: datetime
    seats_left: int
    url: str


@message_kind
class OpenDayPublished(EventNews):
    """To subscribers: a new event is open for registration."""

    kind: ClassVar[str] = "openday_published"


class RegistrationNews(EventNews):
    """To one registrant, about their registration."""

    registration_id: int
    name: str
    party_size: int
    check_in_code: str
    status: str


@message_kind
class OpenDayCancelled(RegistrationNews):
    kind: ClassVar[str] = "openday_cancelled"
    reason: str = ""


@message_kind
class OpenDayPromoted(RegistrationNews):
    kind: ClassVar[str] = "openday_promoted"


@message_kind
class OpenDayUpdated(RegistrationNews):
    """The time or the place changed."""

    kind: ClassVar[str] = "openday_updated"


@message_kind
class OpenDayReminder(RegistrationNews):
    kind: ClassVar[str] = "openday_reminder"


@message_kind
class OpenDayFeedbackRequest(RegistrationNews):
    kind: ClassVar[str] = "openday_feedback_request"
