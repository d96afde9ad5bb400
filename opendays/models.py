"""Tables of the open days: events, registrations, feedback, announcement subscriptions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base

# Registration statuses that hold a place (a seat or a waitlist position).
ACTIVE_REGISTRATION = ("confirmed", "waitlisted", "attended")


class OpenDayEvent(Base):
    __tablename__ = "openday_events"
    __table_args__ = (Index("ix_openday_events_status_start", "status", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The iCalendar UID: random at creation, so it survives edits, renames and a new base URL.
    uid: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    site_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(Integer)
    # Seats held by confirmed and attended registrations; changed only with the event row locked.
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    max_party_size: Mapped[int | None] = mapped_column(Integer)
    registration_opens_at: Mapped[datetime | None]
    registration_closes_at: Mapped[datetime | None]
    audience: Mapped[str] = mapped_column(String(500), default="")
    requires_id: Mapped[bool] = mapped_column(Boolean, default=False)
    # Registration only with a mobile number proved by a one-time SMS code (or Telegram's shared contact).
    requires_verified_phone: Mapped[bool] = mapped_column(Boolean, default=False)
    min_age: Mapped[int | None] = mapped_column(Integer)
    safety_gear_provided: Mapped[bool] = mapped_column(Boolean, default=True)
    accessibility_notes: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    minutes: Mapped[str | None] = mapped_column(Text)
    minutes_by: Mapped[str | None] = mapped_column(String(80))
    minutes_at: Mapped[datetime | None]
    # iCalendar SEQUENCE: bumped whenever what a calendar shows changes.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class OpenDayRegistration(Base):
    __tablename__ = "openday_registrations"
    __table_args__ = (
        UniqueConstraint("event_id", "check_in_code"),
        # One active registration per person per event, enforced by the database as well.
        Index(
            "uq_openday_registrations_active_person",
            "event_id",
            "person_key",
            unique=True,
            postgresql_where=text("status <> 'cancelled'"),
            sqlite_where=text("status <> 'cancelled'"),
        ),
        Index("ix_openday_registrations_event_status", "event_id", "status", "id"),
        Index("ix_openday_registrations_channel_user", "channel", "channel_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("openday_events.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    party_size: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(20))
    channel_user_id: Mapped[str | None] = mapped_column(String(64))
    # Where pushed messages go (a Telegram chat id); None for web registrations.
    chat_id: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    # Who this is, for the one-registration-per-person rule (see opendays.rules.person_key).
    person_key: Mapped[str] = mapped_column(String(140))
    check_in_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    promoted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(80))
    attended_at: Mapped[datetime | None]
    checked_in_by: Mapped[str | None] = mapped_column(String(80))
    reminder_sent_at: Mapped[datetime | None]
    feedback_requested_at: Mapped[datetime | None]

    event: Mapped[OpenDayEvent] = relationship(lazy="joined")


class OpenDayFeedback(Base):
    __tablename__ = "openday_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("openday_registrations.id", ondelete="CASCADE"), unique=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("openday_events.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    registration: Mapped[OpenDayRegistration] = relationship(lazy="joined")


class OpenDaySubscription(Base):
    """A chat that wants to hear about newly published open days."""

    __tablename__ = "openday_subscriptions"
    __table_args__ = (UniqueConstraint("channel", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
