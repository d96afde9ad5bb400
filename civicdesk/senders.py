"""The outbox channels this deployment can deliver to: one sender factory per channel.

A factory takes the process's services and returns the channel's `core.delivery.Sender`, or None
when the channel is not configured (no bot token, no SMTP host...), in which case its messages wait
in the outbox. Adding a channel is one line here:

    SENDERS["email"] = lazy_sender("notify.email:email_sender", lambda s: bool(s.smtp_host))

`civicdesk worker` (and `civicdesk serve` in the single-process mode) runs one delivery loop per
sender that `build_senders` returns. See `core/delivery.py` for what a sender does and raises.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from core.delivery import Sender
from core.kit.channels import ChannelName
from core.settings import Settings

if TYPE_CHECKING:
    from .container import Services

SenderFactory = Callable[["Services"], "Sender | None"]


def lazy_sender(target: str, configured: Callable[[Settings], bool]) -> SenderFactory:
    """The factory `module:function`, imported only when the channel is configured: an adapter's
    client library can take seconds to import (aiogram's types do), which a process that does not
    deliver to that channel should not pay at start-up."""

    def factory(services: Services) -> Sender | None:
        if not configured(services.settings):
            return None
        module, _, name = target.partition(":")
        return getattr(importlib.import_module(module), name)(services)

    return factory


SENDERS: dict[str, SenderFactory] = {
    ChannelName.TELEGRAM.value: lazy_sender("bot.delivery:telegram_sender", lambda s: bool(s.telegram_token)),
    ChannelName.WECHAT.value: lazy_sender(
        "wechat.sender:wechat_sender", lambda s: bool(s.wechat_app_id and s.wechat_app_secret)),
    ChannelName.EMAIL.value: lazy_sender("notify.email:email_sender", lambda s: bool(s.smtp_host)),
    ChannelName.SMS.value: lazy_sender(
        "notify.sms:sms_sender", lambda s: bool(s.sms_access_key_id and s.sms_access_key_secret and s.sms_sign_name)),
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
