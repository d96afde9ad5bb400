"""Staff accounts, their API tokens and sessions, and the bureau's departments they belong to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, String, Table, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base


class Department(Base):
    """A unit that handles reports (县人社局, 执法大队, ...): data an admin manages, never free text.
    `name_key` (NFKC, case- and space-folded) keeps "县 人社局" and "县人社局" one department."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120), unique=True)
    contact: Mapped[str] = mapped_column(String(200), default="")
    # A staff group chat on Telegram that hears about the department's reports (alerts, transfers).
    telegram_chat_id: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


# Which departments an account works for; none means the whole bureau.
staff_departments = Table(
    "staff_departments",
    Base.metadata,
    Column("user_id", ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
)


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set by a temporary password (a new account without one, an admin's reset): every console
    # page asks for a new password until it is changed.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    password_changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    departments: Mapped[list[Department]] = relationship(secondary=staff_departments, lazy="selectin",
                                                         order_by=Department.name)


class ApiToken(Base):
    __tablename__ = "staff_api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[StaffUser] = relationship(lazy="joined")


class StaffSession(Base):
    """A signed-in browser. The cookie holds a random id; only its hash is stored, and signing out
    deletes the row, so a stolen cookie dies with the session."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[StaffUser] = relationship(lazy="joined")


class StaffChannelLink(Base):
    """A staff account's own chat on a channel (its Telegram user), where alerts about its
    departments' reports go. One chat per account and channel; a chat belongs to one account."""

    __tablename__ = "staff_channel_links"
    __table_args__ = (UniqueConstraint("channel", "address"), UniqueConstraint("user_id", "channel"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]

    user: Mapped[StaffUser] = relationship(lazy="joined")


class StaffLinkCode(Base):
    """A one-time code shown in the console and sent to the bot to link a chat; only its hash is
    stored, it expires within minutes and is spent by its first use."""

    __tablename__ = "staff_link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ClientKey(Base):
    """An API key of a system that files reports for people (a city's 12345 platform through
    Open311): only its hash is stored; revoking it stops it at once (`accounts/client_keys.py`)."""

    __tablename__ = "client_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # the key's first characters, to tell keys apart in lists
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
