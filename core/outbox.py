"""The outbox: messages to people, written in the same transaction as the change that causes them.

Domain services only enqueue; a channel's delivery loop (the Telegram bot) claims due rows, sends,
and records the outcome, so nothing is lost when the channel is down when staff act.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base

PENDING, SENT, FAILED, BLOCKED = "pending", "sent", "failed", "blocked"


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "channel", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    recipient: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
) -> OutboxMessage:
    """Add a message to the caller's transaction; it is sent only if that transaction commits."""
    message = OutboxMessage(
        channel=channel,
        recipient=recipient,
        kind=kind,
        payload=payload,
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    return message


async def due(session: AsyncSession, channel: str, now: datetime, limit: int = 50) -> list[OutboxMessage]:
    rows = await session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.status == PENDING,
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(rows)


async def mark_sent(session: AsyncSession, message_id: int, now: datetime) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=SENT, sent_at=now, attempts=OutboxMessage.attempts + 1)
    )


async def mark_retry(
    session: AsyncSession, message_id: int, now: datetime, delay: timedelta, error: str, max_attempts: int
) -> None:
    message = await session.get(OutboxMessage, message_id)
    if message is None:
        return
    message.attempts += 1
    message.last_error = error[:2000]
    if message.attempts >= max_attempts:
        message.status = FAILED
    else:
        message.next_attempt_at = now + delay


async def mark_blocked(session: AsyncSession, message_id: int, error: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=BLOCKED, last_error=error[:2000], attempts=OutboxMessage.attempts + 1)
    )
