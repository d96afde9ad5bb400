"""Tables of construction projects and companies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base


class Company(Base):
    """A builder/developer (建设单位), contractor (施工单位) or supervisor (监理单位), known by its
    统一社会信用代码 (unique, checked by `projects/codes.py`)."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    address: Mapped[str] = mapped_column(String(500), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (Index("ix_projects_lat_lon", "lat", "lon"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500), default="")
    lat: Mapped[float | None] = mapped_column(Float)  # WGS-84
    lon: Mapped[float | None] = mapped_column(Float)
    permit_number: Mapped[str | None] = mapped_column(String(60), unique=True)  # 施工许可证编号
    status: Mapped[str] = mapped_column(String(20))
    builder_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    builder: Mapped[Company | None] = relationship(foreign_keys=[builder_id], lazy="joined")
    contractor: Mapped[Company | None] = relationship(foreign_keys=[contractor_id], lazy="joined")
    supervisor: Mapped[Company | None] = relationship(foreign_keys=[supervisor_id], lazy="joined")


class ProjectReport(Base):
    """A report staff linked to a project (one project per report; the change is also an event in
    the report's audit trail)."""

    __tablename__ = "project_reports"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    linked_by: Mapped[str] = mapped_column(String(80))
    linked_at: Mapped[datetime]


class CompanyListing(Base):
    """A company on the watch list or the black list (`projects/listings.py`)."""

    __tablename__ = "company_listings"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(80))
    lift_reason: Mapped[str | None] = mapped_column(Text)


class CompanyEvent(Base):
    """A company's audit trail, stored like a report's (`ReportEvent`): who, when, what, from, to, note."""

    __tablename__ = "company_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(80))
    from_value: Mapped[str | None] = mapped_column(String(200))
    to_value: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
