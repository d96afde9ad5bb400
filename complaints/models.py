"""Tables of the complaints tracker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from accounts.models import Department
from core.db import Base


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    department: Mapped[Department | None] = relationship(lazy="joined")

    @property
    def default_department(self) -> str | None:
        """Where new reports of this category go."""
        return self.department.name if self.department else None


class TrackingCounter(Base):
    """Last tracking number handed out per year; one row per year, bumped atomically."""

    __tablename__ = "tracking_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_category_created", "category_id", "created_at"),
        # The duplicate search of every submission: reports of its category within a latitude band.
        # PostgreSQL: 0.77 -> 0.06 ms at 5,000 reports of a category in the window (it had scanned
        # them all). SQLite, without statistics, keeps to ix_reports_category_created.
        Index("ix_reports_category_lat", "category_id", "lat"),
        Index("ix_reports_status_created", "status", "created_at"),
        Index("ix_reports_reporter", "channel", "reporter_channel_id"),
        # Open311's tokens/{token}: a report found by its status token.
        Index("ix_reports_status_token_hash", "status_token_hash"),
        # "My reports": a reporter's reports found by the number given with them (verified by SMS).
        Index("ix_reports_reporter_phone_digits", "reporter_phone_digits"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(16), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(500), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    # From a photo's EXIF GPS when the reporter gave no coordinates; a hint for staff only.
    hint_lat: Mapped[float | None] = mapped_column(Float)
    hint_lon: Mapped[float | None] = mapped_column(Float)
    channel: Mapped[str] = mapped_column(String(20))
    reporter_channel_id: Mapped[str | None] = mapped_column(String(64))
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_phone: Mapped[str | None] = mapped_column(String(40))  # as typed
    reporter_phone_digits: Mapped[str | None] = mapped_column(String(20))  # core.phones.normalize_phone
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    status: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    assignee: Mapped[str | None] = mapped_column(String(80))
    status_token_hash: Mapped[str] = mapped_column(String(64))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    acceptance_due_at: Mapped[datetime]
    handling_due_at: Mapped[datetime | None]
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    # Why staff should look again, set by the reporter (a supplement, a reopening request) and
    # cleared when staff act on the report.
    attention: Mapped[str | None] = mapped_column(String(30))
    attention_at: Mapped[datetime | None]
    # 行政执法公示: the outcome as staff wrote it for the public results page (complaints/publication.py).
    public_outcome: Mapped[str | None] = mapped_column(Text)

    category: Mapped[Category] = relationship(lazy="joined")
    department_row: Mapped[Department | None] = relationship(lazy="joined")
    # Loaded only where asked for (selectinload); lists and status pages use photo_count.
    photos: Mapped[list[Photo]] = relationship(
        back_populates="report", order_by="Photo.position", lazy="raise", cascade="all, delete-orphan"
    )
    merged_into: Mapped[Report | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)

    @property
    def department(self) -> str | None:
        return self.department_row.name if self.department_row else None


class Photo(Base):
    __tablename__ = "report_photos"
    __table_args__ = (UniqueConstraint("report_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str | None] = mapped_column(String(255))
    original_key: Mapped[str] = mapped_column(String(200))
    original_mime: Mapped[str] = mapped_column(String(40))
    original_sha256: Mapped[str] = mapped_column(String(64))
    original_size: Mapped[int] = mapped_column(Integer)
    public_key: Mapped[str] = mapped_column(String(200))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    taken_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    report: Mapped[Report] = relationship(back_populates="photos")


Report.photo_count = column_property(  # type: ignore[attr-defined]
    select(func.count(Photo.id)).where(Photo.report_id == Report.id).correlate_except(Photo).scalar_subquery()
)


class ReportEvent(Base):
    """The audit trail: every change, note and reply, in order.

    `public_message` is what the reporter sees; `note` is internal and never leaves staff views.
    """

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(80))
    from_value: Mapped[str | None] = mapped_column(String(200))
    to_value: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    public_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class DuplicateCandidate(Base):
    __tablename__ = "duplicate_candidates"
    __table_args__ = (UniqueConstraint("report_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    distance_m: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime]

    candidate: Mapped[Report] = relationship(foreign_keys=[candidate_id], lazy="joined")


class ReportRating(Base):
    """回访: the reporter's rating of one resolution (a report resolved again is rated again), and
    a reopening request made with a 不满意 rating, with the staff's decision."""

    __tablename__ = "report_ratings"
    __table_args__ = (UniqueConstraint("report_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    resolved_at: Mapped[datetime]
    rating: Mapped[str] = mapped_column(String(24))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    reopen_reason: Mapped[str | None] = mapped_column(Text)
    reopen_requested_at: Mapped[datetime | None]
    reopen_decision: Mapped[str | None] = mapped_column(String(12))  # accepted | declined
    reopen_decided_at: Mapped[datetime | None]
    reopen_decided_by: Mapped[str | None] = mapped_column(String(80))


class StaffAlertSent(Base):
    """Which scheduled staff alert was already sent, by its key (`complaints/alerts.py`): a deadline
    alert per report, deadline and due time; one overdue digest per bureau day. Written in the
    same transaction as the alert's outbox rows, so an alert is never sent twice nor lost."""

    __tablename__ = "staff_alerts_sent"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
