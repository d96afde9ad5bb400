"""The channel-neutral outbox delivery loop (`core/delivery.py`) with a sender that records what it
is given and fails as told: outcomes, back-off, retry-after, giving up, and claims shared by several
processes. On SQLite and PostgreSQL. (The Telegram sender is tested in tests/bot/test_delivery.py.)"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from civicdesk.container import Services, build_services
from complaints.messages import ReportUpdate
from core import outbox
from core.clock import FrozenClock
from core.delivery import Blocked, Claimed, DeliveryLoop, DeliveryPolicy, Permanent, RateLimited, RetryLater
from core.outbox import OutboxMessage, OutboxPayload
from core.settings import Settings

CHANNEL = "fake"


class RecordingSender:
    """Sends by appending to `sent`; raises the next queued error for a recipient when told to."""

    channel = CHANNEL
    per_second = None

    def __init__(self, delay: float = 0.0):
        self.sent: list[tuple[str, str]] = []
        self.failures: dict[str, list[Exception]] = {}
        self.delay = delay
        self.closed = False

    async def send(self, message: Claimed, payload: OutboxPayload) -> None:
        assert isinstance(payload, ReportUpdate)
        if self.delay:
            await asyncio.sleep(self.delay)
        queued = self.failures.get(message.recipient)
        if queued:
            raise queued.pop(0)
        self.sent.append((message.recipient, payload.tracking_number))

    async def aclose(self) -> None:
        self.closed = True


async def enqueue(services: Services, *recipients: str, channel: str = CHANNEL) -> None:
    async with services.db.write_session() as session:
        for i, recipient in enumerate(recipients):
            outbox.enqueue(session, channel=channel, recipient=recipient, now=services.clock.now(),
                           message=ReportUpdate(event="status", tracking_number=f"2026-{i:06d}",
                                                primary_tracking_number=f"2026-{i:06d}", status="accepted"))


async def rows(services: Services) -> list[OutboxMessage]:
    async with services.db.session() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def loop(services: Services, sender: RecordingSender, **policy: object) -> DeliveryLoop:
    return DeliveryLoop(services.db, services.clock, sender, DeliveryPolicy(**policy))  # type: ignore[arg-type]


async def test_sent_once_and_other_channels_untouched(services: Services) -> None:
    sender = RecordingSender()
    await enqueue(services, "a", "b")
    await enqueue(services, "t", channel="telegram")
    result = await loop(services, sender).run_once()
    assert (result.sent, result.handled) == (2, 2)
    assert sender.sent == [("a", "2026-000000"), ("b", "2026-000001")]
    assert [(r.channel, r.status, r.attempts) for r in await rows(services)] == [
        ("fake", "sent", 1), ("fake", "sent", 1), ("telegram", "pending", 0)]
    assert (await loop(services, sender).run_once()).handled == 0


async def test_retry_after_backoff_and_giving_up(services: Services, clock: FrozenClock) -> None:
    sender = RecordingSender()
    sender.failures["a"] = [RetryLater("gateway busy", retry_after=90), TimeoutError("slow"),
                            RetryLater("5xx"), RetryLater("5xx")]
    await enqueue(services, "a")
    delivery = loop(services, sender, base_delay=timedelta(seconds=10), max_attempts=4)
    assert (await delivery.run_once()).retried == 1
    [row] = await rows(services)
    # The far end named a time: it is honoured instead of the back-off.
    assert (row.attempts, row.next_attempt_at, row.last_error) == (1, clock.now() + timedelta(seconds=90),
                                                                   "gateway busy")
    clock.advance(timedelta(seconds=90))
    await delivery.run_once()  # an unwrapped exception is retried too: 10 s * 2**1
    [row] = await rows(services)
    assert (row.attempts, row.next_attempt_at) == (2, clock.now() + timedelta(seconds=20))
    assert row.last_error == "TimeoutError: slow"
    clock.advance(timedelta(seconds=20))
    await delivery.run_once()
    [row] = await rows(services)
    assert (row.attempts, row.next_attempt_at) == (3, clock.now() + timedelta(seconds=40))
    clock.advance(timedelta(seconds=40))
    assert (await delivery.run_once()).retried == 1
    [row] = await rows(services)
    assert (row.status, row.attempts) == ("failed", 4)  # max_attempts reached
    clock.advance(timedelta(hours=2))
    assert (await delivery.run_once()).handled == 0 and sender.sent == []


async def test_permanent_blocked_and_unparsable(services: Services) -> None:
    sender = RecordingSender()
    sender.failures = {"gone": [Permanent("no such address")], "refuses": [Blocked("unsubscribed")]}
    await enqueue(services, "gone", "refuses", "fine")
    async with services.db.write_session() as session:
        session.add(OutboxMessage(channel=CHANNEL, recipient="bad", kind="report_update", payload={"event": 1},
                                  status="pending", attempts=0, next_attempt_at=services.clock.now(),
                                  created_at=services.clock.now()))
    result = await loop(services, sender).run_once()
    assert (result.sent, result.failed, result.blocked) == (1, 2, 1)
    by_recipient = {r.recipient: r for r in await rows(services)}
    assert by_recipient["gone"].status == "failed" and by_recipient["gone"].last_error == "no such address"
    assert by_recipient["refuses"].status == "blocked"
    assert by_recipient["bad"].status == "failed"
    assert "payload does not match its kind" in (by_recipient["bad"].last_error or "")
    assert sender.sent == [("fine", "2026-000002")]


async def test_a_channel_rate_limit_holds_the_rest_of_the_round(services: Services, clock: FrozenClock) -> None:
    sender = RecordingSender()
    sender.failures["b"] = [RateLimited(30)]
    await enqueue(services, "a", "b", "c")
    delivery = loop(services, sender)
    result = await delivery.run_once()
    assert (result.sent, result.retried, result.paused_for) == (1, 2, 30.0)
    waiting = [r for r in await rows(services) if r.status == "pending"]
    assert [(r.recipient, r.attempts, r.next_attempt_at) for r in waiting] == [
        ("b", 0, clock.now() + timedelta(seconds=30)), ("c", 0, clock.now() + timedelta(seconds=30))]
    clock.advance(timedelta(seconds=30))
    assert (await delivery.run_once()).sent == 2


async def test_a_claim_is_a_lease(services: Services, clock: FrozenClock) -> None:
    """A process that claimed and died: nobody sends its rows until the lease has expired."""
    await enqueue(services, "a")
    crashed = loop(services, RecordingSender(), lease=timedelta(minutes=2))
    assert len(await crashed.claim()) == 1
    alive = RecordingSender()
    assert (await loop(services, alive).run_once()).handled == 0
    clock.advance(timedelta(minutes=2))
    assert (await loop(services, alive).run_once()).sent == 1


async def test_several_processes_send_each_message_once(settings: Settings, services: Services) -> None:
    """Three loops with engines of their own (as three worker processes have) drain one outbox."""
    await enqueue(services, *[f"r{i}" for i in range(120)])
    others = [build_services(settings, services.clock) for _ in range(2)]
    try:
        senders = [RecordingSender(delay=0.001) for _ in range(3)]
        loops = [loop(s, sender, batch=10) for s, sender in zip([services, *others], senders, strict=True)]

        async def drain(delivery: DeliveryLoop) -> None:
            while (await delivery.run_once()).handled:
                pass

        # One batch each in turn (a claimed batch is not handed to the next process), then all at once;
        # how the concurrent part is split depends on timing (on SQLite one writer may take it all).
        for delivery in loops:
            assert (await delivery.run_once()).sent == 10
        await asyncio.gather(*(drain(d) for d in loops))
        counts = Counter(recipient for sender in senders for recipient, _ in sender.sent)
        assert len(counts) == 120 and set(counts.values()) == {1}
        assert all(len(sender.sent) >= 10 for sender in senders)
        assert {r.status for r in await rows(services)} == {"sent"}
    finally:
        for other in others:
            await other.aclose()


async def test_the_loop_runs_in_the_background(services: Services) -> None:
    sender = RecordingSender()
    delivery = loop(services, sender, interval_s=0.02)
    delivery.start()
    await enqueue(services, "a")
    for _ in range(250):
        if sender.sent:
            break
        await asyncio.sleep(0.02)
    await delivery.stop()
    assert sender.sent == [("a", "2026-000000")]


async def test_registering_a_channel_is_one_line(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    from civicdesk import senders

    assert senders.build_senders(services) == []  # no bot token: Telegram is not configured
    monkeypatch.setitem(senders.SENDERS, CHANNEL, lambda services: RecordingSender())
    [built] = senders.build_senders(services)
    assert built.channel == CHANNEL
    assert senders.build_senders(services, exclude={CHANNEL}) == []
    monkeypatch.setitem(senders.SENDERS, "other", lambda services: RecordingSender())
    with pytest.raises(ValueError, match="says it is"):
        senders.build_senders(services)


async def test_a_configured_bot_token_gives_a_telegram_sender(services: Services) -> None:
    from bot.delivery import TelegramSender
    from civicdesk import senders

    configured = Services(**{**services.__dict__, "settings": services.settings.model_copy(
        update={"telegram_token": "123456:TEST"})})
    [sender] = senders.build_senders(configured)
    assert isinstance(sender, TelegramSender) and sender.per_second == 30.0
    await sender.aclose()
