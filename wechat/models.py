"""Tables of the WeChat channel: the people who wrote to the account, and deliveries already taken in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


class WeChatUser(Base):
    """An openid the account has met: language, when they last wrote (customer-service messages
    may be sent for 48 hours after that), and whether they unsubscribed."""

    __tablename__ = "wechat_users"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str | None] = mapped_column(String(8))
    last_message_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class WeChatSeen(Base):
    """Deliveries already handled (WeChat retries a callback up to three times): MsgId, or
    FromUserName + CreateTime for events, which have no MsgId."""

    __tablename__ = "wechat_seen"
    __table_args__ = (Index("ix_wechat_seen_received_at", "received_at"),)

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    received_at: Mapped[datetime]
