"""The outbox: messages to people, written in the same transaction as the change that causes them.

Domain services only enqueue typed payloads (each domain's `messages.py` declares its kinds); the
delivery loop (`core/delivery.py`, one per channel) claims due rows, hands each to the channel's
sender, which renders the kind with the renderer it registered, and records the outcome, so nothing
is lost when the channel is down.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
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


class OutboxPayload(BaseModel):
    """What a message says. Each domain declares one subclass per kind of message (with its `kind`)
    in its `messages.py` and registers it with `@message_kind`; channels render the typed model."""

    model_config = ConfigDict(extra="ignore")
    kind: ClassVar[str]
    # The channels this kind is sent on (None: any channel that reaches the person); e.g. a
    # one-time code by SMS has no Telegram renderer to miss.
    channels: ClassVar[frozenset[str] | None] = None
    language: str = "zh"


P = TypeVar("P", bound=OutboxPayload)
_KINDS: dict[str, type[OutboxPayload]] = {}


def message_kind(model: type[P]) -> type[P]:
    """Register a payload model under its kind (a class decorator)."""
    if _KINDS.get(model.kind, model) is not model:
        raise ValueError(f"outbox kind {model.kind!r} is declared twice")
    _KINDS[model.kind] = model
    return model


def kinds() -> dict[str, type[OutboxPayload]]:
    """Every declared kind (those of the domain modules imported so far)."""
    return dict(_KINDS)


def parse_payload(kind: str, payload: dict[str, Any]) -> OutboxPayload:
    """A stored row's payload as its kind's model; KeyError for an undeclared kind."""
    return _KINDS[kind].model_validate(payload)


def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    recipient: str,
    message: OutboxPayload,
    now: datetime,
) -> OutboxMessage:
    """Add a message to the caller's transaction; it is sent only if that transaction commits."""
    if _KINDS.get(message.kind) is not type(message):
        raise ValueError(f"outbox kind {message.kind!r} is not declared with @message_kind")
    row = OutboxMessage(
        channel=channel,
        recipient=recipient,
        kind=message.kind,
        payload=message.model_dump(mode="json"),
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    return row


R = TypeVar("R")


class Renderers(Generic[R]):
    """One channel's renderer per message kind (the Telegram bot has one; e-mail, SMS or WeChat
    register theirs the same way). `missing()` names the declared kinds it cannot send."""

    def __init__(self, channel: str):
        self.channel = channel
        self._by_kind: dict[str, R] = {}

    def register(self, *models: type[OutboxPayload]) -> Callable[[R], R]:
        def add(renderer: R) -> R:
            for model in models:
                self._by_kind[model.kind] = renderer
            return renderer

        return add

    def get(self, kind: str) -> R | None:
        return self._by_kind.get(kind)

    def missing(self) -> set[str]:
        wanted = {kind for kind, model in _KINDS.items() if model.channels is None or self.channel in model.channels}
        return wanted - set(self._by_kind)


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
