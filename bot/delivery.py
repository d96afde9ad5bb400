"""Telling people on Telegram: the Telegram `Sender` of the channel-neutral outbox delivery loop
(`core/delivery.py`, which claims due rows, backs off, gives up and records the outcome).

What Telegram's answers mean here:

- 429 Too Many Requests: `RateLimited` with the `retry_after` Telegram asked for (a flood limit is
  the bot's, not the message's: the rows after it wait too, and it is not a failed attempt);
- 403 (the person blocked the bot): `Blocked`, and the person is marked blocked, so their later
  messages are marked blocked without a call until they talk to the bot again;
- 400 (chat not found, ...): `Permanent`;
- anything else (network, 5xx): left to the loop, which retries with back-off.

`civicdesk/senders.py` registers `telegram_sender` for the worker; the bot runtime's
`OutboxDelivery` is the same loop over its own client.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)

from civicdesk.container import Services
from complaints.messages import DeadlineAlert, OverdueDigest, ReportUpdate, StaffAlert, UrgentReportAlert
from conversations.messages import ChatReply
from conversations.notices import asks_rating, render_report_update
from core.delivery import Blocked, Claimed, DeliveryLoop, DeliveryPolicy, Permanent, RateLimited
from core.kit.channels import ChannelName
from core.outbox import OutboxPayload, Renderers

from . import keyboards, staff_alerts
from .handlers import opendays
from .handlers.followup import rating_row
from .i18n import Texts, normalize, texts
from .users import BotUsers

log = logging.getLogger(__name__)
CHANNEL = ChannelName.TELEGRAM.value
# One renderer per message kind: send(sender, chat_id, typed payload, tr); the sender gives the
# renderer `.bot` and `.services`.
Render = Callable[[Any, int, Any, Texts], Awaitable[None]]
RENDERERS: Renderers[Render] = Renderers(CHANNEL)


class TelegramSender:
    """Renders one outbox message in the reader's language and sends it through the Bot API."""

    channel = CHANNEL

    def __init__(self, services: Services, bot: Bot, users: BotUsers, *, per_second: float = 30.0,
                 owns_bot: bool = False):
        self.services = services
        self.bot = bot
        self.users = users
        # Telegram allows about 30 messages a second overall: broadcasts are paced to that.
        self.per_second = per_second
        self._owns_bot = owns_bot

    async def send(self, message: Claimed, payload: OutboxPayload) -> None:
        try:
            chat_id = int(message.recipient)
        except ValueError:
            raise Permanent(f"recipient {message.recipient!r} is not a Telegram chat id") from None
        render = RENDERERS.get(message.kind)
        if render is None:
            raise Permanent(f"no Telegram renderer for message kind {message.kind!r}")
        if await self.users.is_blocked(chat_id):
            raise Blocked("the person has blocked the bot")
        prefs = await self.users.prefs(chat_id)
        tr = texts(prefs.language or normalize(payload.language))
        try:
            await render(self, chat_id, payload, tr)
        except TelegramRetryAfter as exc:
            raise RateLimited(float(exc.retry_after)) from exc
        except TelegramForbiddenError as exc:
            await self.users.mark_blocked(chat_id)
            raise Blocked(str(exc)) from exc
        except TelegramBadRequest as exc:
            raise Permanent(str(exc)) from exc

    async def aclose(self) -> None:
        if self._owns_bot:
            await self.bot.session.close()


def telegram_sender(services: Services) -> TelegramSender | None:
    """The worker's Telegram sender (its own Bot API client), or None without a bot token."""
    if not services.settings.telegram_token:
        return None
    from .app import build_bot

    users = BotUsers(services.db, services.clock, services.settings.default_language)
    return TelegramSender(services, build_bot(services.settings), users, owns_bot=True)


class OutboxDelivery(DeliveryLoop):
    """The delivery loop over a bot runtime's own client (`civicdesk bot` and the webhook host it
    in the single-process mode)."""

    def __init__(
        self,
        services: Services,
        bot: Bot,
        users: BotUsers,
        *,
        batch: int = 30,
        interval_s: float = 2.0,
        lease: timedelta = timedelta(minutes=2),
        base_delay: timedelta = timedelta(seconds=10),
        max_delay: timedelta = timedelta(hours=1),
        max_attempts: int = 12,
        per_second: float = 30.0,
    ):
        policy = DeliveryPolicy(batch=batch, interval_s=interval_s, lease=lease, base_delay=base_delay,
                                max_delay=max_delay, max_attempts=max_attempts)
        super().__init__(services.db, services.clock, TelegramSender(services, bot, users, per_second=per_second),
                         policy)
        self.services = services
        self.bot = bot
        self.users = users


def report_update_keyboard(update: ReportUpdate, tr: Texts) -> InlineKeyboardMarkup:
    """"View the history", and on a resolution the 回访 question's three answers (only for the
    report's own reporter: a merged duplicate follows its primary and is not rated itself)."""
    markup = keyboards.view_report(tr, update.tracking_number)
    if asks_rating(update):
        markup.inline_keyboard.append(rating_row(tr, update.tracking_number))
    return markup


@RENDERERS.register(ReportUpdate)
async def send_report_update(delivery: TelegramSender, chat_id: int, update: ReportUpdate, tr: Texts) -> None:
    await delivery.bot.send_message(
        chat_id, render_report_update(update, tr), reply_markup=report_update_keyboard(update, tr)
    )


@RENDERERS.register(ChatReply)
async def send_chat_reply(delivery: TelegramSender, chat_id: int, reply: ChatReply, tr: Texts) -> None:
    await delivery.bot.send_message(chat_id, html.escape(reply.text, quote=False))


RENDERERS.register(*opendays.OUTBOX_MESSAGES)(opendays.send_outbox_message)
RENDERERS.register(StaffAlert)(staff_alerts.send_staff_alert)
RENDERERS.register(UrgentReportAlert)(staff_alerts.send_urgent)
RENDERERS.register(DeadlineAlert)(staff_alerts.send_deadline)
RENDERERS.register(OverdueDigest)(staff_alerts.send_digest)
