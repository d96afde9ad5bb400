"""Channel names: where a report, a registration or a question came from, and where a message to a
person goes (the outbox's `channel`). Spelled here once; domains narrow them to what they accept."""

from __future__ import annotations

from enum import StrEnum


class ChannelName(StrEnum):
    WEB = "web"  # the public portal
    API = "api"  # a client of the public API
    OPEN311 = "open311"
    TELEGRAM = "telegram"
    CLI = "cli"  # `civicdesk ...` in a shell
    EMAIL = "email"
    SMS = "sms"
    WECHAT = "wechat"


# Channels that can reach a person later, through the outbox.
PUSH_CHANNELS: frozenset[str] = frozenset({ChannelName.TELEGRAM.value, ChannelName.WECHAT.value})
