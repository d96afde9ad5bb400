"""Delivering the outbox, for any channel: claim due rows, hand each to the channel's `Sender`, and
record the outcome. Channels differ only in their sender; the claim, back-off and give-up rules are
here, once.

A sender renders and sends one message and says how it went by what it raises:

- nothing: sent (the row is marked sent);
- `RateLimited(seconds)`: the channel's own flood limit (Telegram's 429): this row and every row
  after it in the round wait that long; not a failed attempt, the message did nothing wrong;
- `RetryLater(reason, retry_after=None)`: this message failed for now (a 5xx, a timeout, an SMS
  gateway's 429): retried after `retry_after` when the far end named one, else exponential
  back-off (`base_delay * 2**attempts`, at most `max_delay`); failed for good after `max_attempts`;
- `Permanent(reason)`: it can never be sent (no such chat, a malformed address): failed at once;
- `Blocked(reason)`: the person refuses the channel (blocked the bot, unsubscribed): marked blocked;
- any other exception: treated as `RetryLater` (a network error nobody wrapped).

A row whose payload does not parse as its declared kind fails at once, before any sender sees it.

Claiming is safe with any number of processes: a claim moves the row's `next_attempt_at` forward by
a lease, so nobody else sees it due until the lease expires (a process that dies mid-send only
delays its messages by the lease). On PostgreSQL the due rows are selected `FOR UPDATE SKIP LOCKED`
so concurrent claimers take disjoint rows without waiting on each other; on SQLite the write
transaction (BEGIN IMMEDIATE) serialises claimers and each row is taken by a conditional UPDATE.

Adding a channel is one line in `civicdesk/senders.py`:

    SENDERS["email"] = notify.email.sender_from   # (services) -> Sender | None when not configured

`civicdesk worker` (and `civicdesk serve` in its single-process mode) then runs one
`DeliveryLoop` per configured channel. Tests drive a loop with `await loop.run_once()`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from pydantic import ValidationError
from sqlalchemy import select, update

from core import outbox
from core.clock import Clock
from core.db import Database
from core.outbox import PENDING, OutboxMessage, OutboxPayload, parse_payload

log = logging.getLogger(__name__)


# --- what a sender raises -------------------------------------------------------------------------
class DeliveryError(Exception):
    """Base of the typed outcomes a sender raises."""


class RetryLater(DeliveryError):
    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class RateLimited(DeliveryError):
    def __init__(self, retry_after: float, reason: str = ""):
        super().__init__(reason or f"rate limited for {retry_after}s")
        self.retry_after = float(retry_after)


class Permanent(DeliveryError):
    pass


class Blocked(DeliveryError):
    pass


# --- the sender protocol ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Claimed:
    """One outbox row taken by this process for the length of a lease."""

    id: int
    channel: str
    recipient: str
    kind: str
    payload: dict[str, Any]
    attempts: int


@runtime_checkable
class Sender(Protocol):
    """One channel's way of sending one message. `per_second` paces a loop's sends (None: as fast
    as the rows come); `aclose` releases the client (HTTP session, SMTP connection)."""

    channel: str
    per_second: float | None

    async def send(self, message: Claimed, payload: OutboxPayload) -> None: ...

    async def aclose(self) -> None: ...


@dataclass
class RoundResult:
    sent: int = 0
    retried: int = 0
    blocked: int = 0
    failed: int = 0
    paused_for: float = 0.0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.blocked + self.failed


@dataclass(frozen=True)
class DeliveryPolicy:
    batch: int = 30
    interval_s: float = 2.0
    lease: timedelta = timedelta(minutes=2)
    base_delay: timedelta = timedelta(seconds=10)
    max_delay: timedelta = timedelta(hours=1)
    max_attempts: int = 12

    def backoff(self, attempts_before: int) -> timedelta:
        return min(self.base_delay * (2**attempts_before), self.max_delay)


# Called with (channel, outcome, count) after each round; `civicdesk` points it at the metrics.
Observer = Callable[[str, str, int], None]


class DeliveryLoop:
    """Claims and sends one channel's due messages, in rounds, until stopped."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        sender: Sender,
        policy: DeliveryPolicy | None = None,
        *,
        observer: Observer | None = None,
    ):
        self.db = db
        self.clock = clock
        self.sender = sender
        self.channel = sender.channel
        policy = policy or DeliveryPolicy()
        self.policy = policy
        self.batch = policy.batch
        self.interval_s = policy.interval_s
        self.observer = observer
        per_second = getattr(sender, "per_second", None)
        self.send_gap = 1.0 / per_second if per_second else 0.0
        self._next_send = 0.0
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    def now(self) -> datetime:
        return self.clock.now()

    # --- the loop -----------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._stop.clear()
            self._task = asyncio.create_task(self.run(), name=f"{self.channel}-outbox")

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
                elif result.handled >= self.batch:
                    wait = 0  # more may be due
            except Exception:
                log.exception("%s outbox delivery round failed", self.channel)
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=wait)
            except TimeoutError:
                pass

    async def run_once(self) -> RoundResult:
        """Claim the due messages and send them, once."""
        result = RoundResult()
        claimed = await self.claim()
        for i, message in enumerate(claimed):
            try:
                await self._deliver(message, result)
            except RateLimited as exc:
                # The channel's flood limit: nothing more is sent until it has passed.
                result.paused_for = exc.retry_after
                until = self.now() + timedelta(seconds=exc.retry_after)
                await self._postpone([m.id for m in claimed[i:]], until, f"429 retry after {exc.retry_after:g}s")
                result.retried += len(claimed) - i
                break
        if self.observer is not None:
            for outcome in ("sent", "retried", "blocked", "failed"):
                if count := getattr(result, outcome):
                    self.observer(self.channel, outcome, count)
        return result

    async def claim(self) -> list[Claimed]:
        now = self.now()
        until = now + self.policy.lease
        due = (
            OutboxMessage.channel == self.channel,
            OutboxMessage.status == PENDING,
            OutboxMessage.next_attempt_at <= now,
        )
        async with self.db.write_session() as session:
            query = select(OutboxMessage).where(*due).order_by(OutboxMessage.id).limit(self.batch)
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = list(await session.scalars(query))
            claimed = []
            for row in rows:
                taken = await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row.id, *due)
                    .values(next_attempt_at=until)
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(Claimed(row.id, row.channel, row.recipient, row.kind, dict(row.payload),
                                           row.attempts))
        return claimed

    async def _deliver(self, message: Claimed, result: RoundResult) -> None:
        try:
            payload = parse_payload(message.kind, message.payload)
        except (KeyError, ValidationError) as exc:
            await self._fail(message, f"payload does not match its kind: {exc}")
            result.failed += 1
            return
        await self._pace()
        try:
            await self.sender.send(message, payload)
        except RateLimited:
            raise
        except Blocked as exc:
            async with self.db.write_session() as session:
                await outbox.mark_blocked(session, message.id, str(exc))
            result.blocked += 1
            return
        except Permanent as exc:
            await self._fail(message, str(exc))
            result.failed += 1
            return
        except Exception as exc:  # noqa: BLE001 - RetryLater, network, 5xx: try again later
            retry_after = getattr(exc, "retry_after", None) if isinstance(exc, RetryLater) else None
            delay = timedelta(seconds=retry_after) if retry_after else self.policy.backoff(message.attempts)
            reason = str(exc) if isinstance(exc, RetryLater) else f"{type(exc).__name__}: {exc}"
            async with self.db.write_session() as session:
                await outbox.mark_retry(session, message.id, self.now(), delay, reason, self.policy.max_attempts)
            result.retried += 1
            return
        async with self.db.write_session() as session:
            await outbox.mark_sent(session, message.id, self.now())
        result.sent += 1

    async def _pace(self) -> None:
        if not self.send_gap:
            return
        now = time.monotonic()
        if now < self._next_send:
            await asyncio.sleep(self._next_send - now)
        self._next_send = max(now, self._next_send) + self.send_gap

    async def _fail(self, message: Claimed, error: str) -> None:
        log.warning("%s outbox message %s failed for good: %s", self.channel, message.id, error)
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


async def close_senders(senders: list[Sender]) -> None:
    for sender in senders:
        try:
            await sender.aclose()
        except Exception:  # noqa: BLE001 - closing one must not keep the others open
            log.exception("closing the %s sender failed", sender.channel)

