"""Tables of the Telegram bot: people's preferences, conversation state and webhook dedupe."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


class BotUser(Base):
    """A Telegram user the bot has met: their language and whether they blocked the bot."""

    __tablename__ = "bot_users"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(8))
    blocked_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class BotFsmRecord(Base):
    """One conversation's state and data (aiogram FSM), when Redis is not configured."""

    __tablename__ = "bot_fsm"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(120))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


class BotUpdateSeen(Base):
    """Webhook updates already taken in, so one delivered twice is handled once."""

    __tablename__ = "bot_updates_seen"
    __table_args__ = (Index("ix_bot_updates_seen_received_at", "received_at"),)

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime]
