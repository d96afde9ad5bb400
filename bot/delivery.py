"""Telling reporters about their reports: the delivery loop over the outbox.

`complaints/` writes a `report_update` row into the outbox in the same transaction as the status
change or public reply, so nothing is lost while the bot is down. This loop claims due rows, sends
them, and records the outcome:

- sent: marked sent;
- 429 Too Many Requests: the row, and every row after it, waits the `retry_after` Telegram asked
  for (a flood limit is the bot's, not the message's, so it does not count as a failed attempt);
- 403 (the person blocked the bot): the row is marked blocked and so is the person, whose later
  messages are marked blocked without a call until they talk to the bot again;
- 400 (chat not found, ...): failed for good;
- anything else (network, 5xx): retried with exponential back-off, failed after `max_attempts`.

Rows are claimed by pushing their due time forward by a lease with a conditional UPDATE, so several
bot processes can share one outbox without sending a message twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from pydantic import ValidationError
from sqlalchemy import update

from civicdesk.container import Services
from complaints.messages import ReportUpdate, StaffAlert
from complaints.workflow import status_label
from core import outbox
from core.kit.channels import ChannelName
from core.outbox import PENDING, OutboxMessage, Renderers, parse_payload

from . import keyboards, staff_alerts
from .handlers import opendays
from .handlers.followup import rating_row
from .i18n import Html, Texts, normalize, texts
from .users import BotUsers

log = logging.getLogger(__name__)
CHANNEL = ChannelName.TELEGRAM.value
# One renderer per message kind: send(delivery, chat_id, typed payload, tr).
Sender = Callable[[Any, int, Any, Texts], Awaitable[None]]
RENDERERS: Renderers[Sender] = Renderers(CHANNEL)


@dataclass(frozen=True)
class Claimed:
    id: int
    recipient: str
    kind: str
    payload: dict[str, Any]
    attempts: int


@dataclass
class RoundResult:
    sent: int = 0
    retried: int = 0
    blocked: int = 0
    failed: int = 0
    paused_for: float = 0.0


class OutboxDelivery:
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
        self.services = services
        self.bot = bot
        self.users = users
        self.batch = batch
        self.interval_s = interval_s
        self.lease = lease
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_attempts = max_attempts
        # Telegram allows about 30 messages a second overall: broadcasts are paced to that.
        self.send_gap = 1.0 / per_second
        self._next_send = 0.0
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    @property
    def db(self):  # type: ignore[no-untyped-def]
        return self.services.db

    def now(self) -> datetime:
        return self.services.clock.now()

    # --- the loop -----------------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._stop.clear()
            self._task = asyncio.create_task(self.run(), name="telegram-outbox")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def run(self) -> None:
        while not self._stop.is_set():
            wait = self.interval_s
            try:
                result = await self.run_once()
                if result.paused_for:
                    wait = max(wait, result.paused_for)
                elif result.sent + result.retried + result.blocked + result.failed >= self.batch:
                    wait = 0  # more may be due
            except Exception:
                log.exception("outbox delivery round failed")
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=wait)
            except TimeoutError:
                pass

    async def run_once(self) -> RoundResult:
        """Claim the due messages and send them, once."""
        result = RoundResult()
        claimed = await self._claim()
        for i, message in enumerate(claimed):
            try:
                await self._deliver(message, result)
            except TelegramRetryAfter as exc:
                # Telegram's flood limit: nothing more is sent until it has passed.
                result.paused_for = float(exc.retry_after)
                until = self.now() + timedelta(seconds=exc.retry_after)
                await self._postpone(
                    [m.id for m in claimed[i:]], until, f"429 retry after {exc.retry_after}s"
                )
                result.retried += len(claimed) - i
                break
        return result

    async def _claim(self) -> list[Claimed]:
        now = self.now()
        async with self.db.write_session() as session:
            rows = await outbox.due(session, CHANNEL, now, self.batch)
            claimed = []
            for row in rows:
                taken = await session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id == row.id,
                        OutboxMessage.status == PENDING,
                        OutboxMessage.next_attempt_at <= now,
                    )
                    .values(next_attempt_at=now + self.lease)
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(Claimed(row.id, row.recipient, row.kind, dict(row.payload), row.attempts))
        return claimed

    async def _deliver(self, message: Claimed, result: RoundResult) -> None:
        try:
            chat_id = int(message.recipient)
        except ValueError:
            await self._fail(message, f"recipient {message.recipient!r} is not a Telegram chat id")
            result.failed += 1
            return
        sender = RENDERERS.get(message.kind)
        try:
            payload = parse_payload(message.kind, message.payload)
        except (KeyError, ValidationError) as exc:
            sender = None
            error = f"payload does not match its kind: {exc}"
        else:
            error = f"no Telegram renderer for message kind {message.kind!r}"
        if sender is None:
            await self._fail(message, error)
            result.failed += 1
            return
        if await self.users.is_blocked(chat_id):
            async with self.db.write_session() as session:
                await outbox.mark_blocked(session, message.id, "the person has blocked the bot")
            result.blocked += 1
            return
        prefs = await self.users.prefs(chat_id)
        tr = texts(prefs.language or normalize(payload.language))
        await self._pace()
        try:
            await sender(self, chat_id, payload, tr)
        except TelegramRetryAfter:
            raise
        except TelegramForbiddenError as exc:
            async with self.db.write_session() as session:
                await outbox.mark_blocked(session, message.id, str(exc))
            await self.users.mark_blocked(chat_id)
            result.blocked += 1
            return
        except TelegramBadRequest as exc:
            await self._fail(message, str(exc))
            result.failed += 1
            return
        except Exception as exc:  # noqa: BLE001 - network, 5xx: try again later
            delay = min(self.base_delay * (2**message.attempts), self.max_delay)
            async with self.db.write_session() as session:
                await outbox.mark_retry(
                    session, message.id, self.now(), delay, f"{type(exc).__name__}: {exc}", self.max_attempts
                )
            result.retried += 1
            return
        async with self.db.write_session() as session:
            await outbox.mark_sent(session, message.id, self.now())
        result.sent += 1

    async def _pace(self) -> None:
        now = time.monotonic()
        if now < self._next_send:
            await asyncio.sleep(self._next_send - now)
        self._next_send = max(now, self._next_send) + self.send_gap

    async def _fail(self, message: Claimed, error: str) -> None:
        log.warning("outbox message %s failed for good: %s", message.id, error)
        async with self.db.write_session() as session:
            await outbox.mark_retry(session, message.id, self.now(), timedelta(0), error, max_attempts=0)

    async def _postpone(self, ids: list[int], until: datetime, error: str) -> None:
        async with self.db.write_session() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == PENDING)
                .values(next_attempt_at=until, last_error=error)
                .execution_options(synchronize_session=False)
            )


def report_update_keyboard(update: ReportUpdate, tr: Texts) -> InlineKeyboardMarkup:
    """"View the history", and on a resolution the 回访 question's three answers (only for the
    report's own reporter: a merged duplicate follows its primary and is not rated itself)."""
    markup = keyboards.view_report(tr, update.tracking_number)
    if _asks_rating(update):
        markup.inline_keyboard.append(rating_row(tr, update.tracking_number))
    return markup


def _asks_rating(update: ReportUpdate) -> bool:
    own = update.primary_tracking_number in (None, update.tracking_number)
    return update.event == "status" and update.status == "resolved" and own


def render_report_update(update: ReportUpdate, tr: Texts) -> Html:
    """A `report_update` message in the reader's language."""
    event = update.event
    number = update.tracking_number
    primary = update.primary_tracking_number or number
    lines: list[str] = []
    if event == "merge":
        lines.append(tr("notify.merge", number=number, primary=primary))
    elif event == "reply":
        lines.append(tr("notify.reply", number=number))
    elif event == "extension":
        lines.append(tr("notify.extension", number=number))
    elif event == "reopen_declined":
        lines.append(tr("fu.notify_declined", number=number))
    else:
        lines.append(tr("notify.status", number=number, status=status_label(update.status, tr.lang)))
    if primary != number and event != "merge":
        lines.append(tr("notify.via_primary", primary=primary))
    if update.message:
        lines.append(tr("notify.message", message=update.message))
    if _asks_rating(update):
        lines.append(tr("fu.ask_rating"))
    return Html("\n".join(lines))


@RENDERERS.register(ReportUpdate)
async def send_report_update(delivery: OutboxDelivery, chat_id: int, update: ReportUpdate, tr: Texts) -> None:
    await delivery.bot.send_message(
        chat_id, render_report_update(update, tr), reply_markup=report_update_keyboard(update, tr)
    )


RENDERERS.register(*opendays.OUTBOX_MESSAGES)(opendays.send_outbox_message)
RENDERERS.register(StaffAlert)(staff_alerts.send_staff_alert)
