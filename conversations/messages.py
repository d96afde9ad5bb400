"""The conversations' own outbox kind: an answer that missed the channel's reply window (WeChat
answers a message passively only within 5 seconds; a slower answer follows through the outbox)."""

from __future__ import annotations

from typing import ClassVar

from core.outbox import OutboxPayload, message_kind


@message_kind
class ChatReply(OutboxPayload):
    kind: ClassVar[str] = "chat_reply"
    text: str  # plain text, already in the person's language
