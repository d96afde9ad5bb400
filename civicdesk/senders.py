"""The outbox channels this deployment can deliver to: one sender factory per channel.

A factory takes the process's services and returns the channel's `core.delivery.Sender`, or None
when the channel is not configured (no bot token, no SMTP host...), in which case its messages wait
in the outbox. Adding a channel is one line here:

    SENDERS["email"] = email_sender          # from the channel's adapter package

`civicdesk worker` (and `civicdesk serve` in the single-process mode) runs one delivery loop per
sender that `build_senders` returns. See `core/delivery.py` for what a sender does and raises.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from bot.delivery import telegram_sender
from wechat.sender import wechat_sender
from core.delivery import Sender
from core.kit.channels import ChannelName

if TYPE_CHECKING:
    from .container import Services

SenderFactory = Callable[["Services"], "Sender | None"]

SENDERS: dict[str, SenderFactory] = {
    ChannelName.TELEGRAM.value: telegram_sender,
    ChannelName.WECHAT.value: wechat_sender,
}


def build_senders(services: Services, *, exclude: Collection[str] = ()) -> list[Sender]:
    """The senders of every configured channel (`exclude`: channels another loop in this process
    already delivers, e.g. Telegram by the webhook's own bot runtime)."""
    built = []
    for channel, factory in SENDERS.items():
        if channel in exclude:
            continue
        sender = factory(services)
        if sender is not None:
            if sender.channel != channel:
                raise ValueError(f"the sender registered for {channel!r} says it is {sender.channel!r}")
            built.append(sender)
    return built
