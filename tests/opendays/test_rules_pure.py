"""Seating and the event lifecycle without a database: what fits, who is promoted, which
transitions staff may make and what each changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import Conflict, ValidationFailed
from core.kit.bureau_time import DEFAULT_TZ
from opendays import lifecycle, seating
from opendays.rules import EventStatus

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@dataclass
class Party:
    name: str
    party_size: int


def test_a_party_that_does_not_fit_waits() -> None:
    seats = seating.Seats(capacity=10, taken=8)
    assert seats.left == 2 and seats.fits(2) and not seats.fits(3)
    assert seating.Seats(capacity=5, taken=7).left == 0  # capacity lowered below taken never goes negative


def test_promotion_is_first_that_fits_oldest_first() -> None:
    waitlist = [Party("three", 3), Party("one", 1), Party("two", 2), Party("one-more", 1)]
    assert [p.name for p in seating.promotions(waitlist, 1)] == ["one"]
    assert [p.name for p in seating.promotions(waitlist, 3)] == ["three"]
    assert [p.name for p in seating.promotions(waitlist, 4)] == ["three", "one"]
    assert [p.name for p in seating.promotions(waitlist, 2)] == ["one", "one-more"]
    assert seating.promotions(waitlist, 0) == []


def test_party_size_limits() -> None:
    assert seating.max_party(None, 3, 20) == 3 and seating.max_party(5, 3, 4) == 4
    seating.check_party_size(3, 20, 3)
    with pytest.raises(ValidationFailed) as err:
        seating.check_party_size(4, 20, 3)
    assert err.value.details["max_party_size"] == 3
    with pytest.raises(ValidationFailed) as err:
        seating.check_party_size(6, 5, 10)
    assert err.value.details["max_party_size"] == 5 and "5 seats" in err.value.message_en


@dataclass
class Event:
    status: str = EventStatus.DRAFT.value
    starts_at: datetime = NOW + timedelta(days=7)
    ends_at: datetime = NOW + timedelta(days=7, hours=2)
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    published_at: datetime | None = None
    cancelled_at: datetime | None = None
    finished_at: datetime | None = None
    cancel_reason: str | None = None
    updated_at: datetime = NOW
    sequence: int = 0
    seats_taken: int = 0


ALLOWED = {("draft", "published"), ("draft", "cancelled"), ("published", "finished"), ("published", "cancelled")}


@pytest.mark.parametrize("src", [s.value for s in EventStatus])
@pytest.mark.parametrize("dst", [s.value for s in EventStatus])
def test_exactly_the_documented_transitions(src: str, dst: str) -> None:
    event = Event(status=src, starts_at=NOW - timedelta(hours=1) if dst == "finished" else NOW + timedelta(days=1))
    if (src, dst) in ALLOWED:
        lifecycle.move(event, EventStatus(dst), NOW)
        assert event.status == dst and event.updated_at == NOW
    else:
        with pytest.raises(Conflict):
            lifecycle.move(event, EventStatus(dst), NOW)
        assert event.status == src


def test_guards_and_effects() -> None:
    late = Event(starts_at=NOW - timedelta(minutes=1))
    with pytest.raises(ValidationFailed) as err:
        lifecycle.move(late, EventStatus.PUBLISHED, NOW)
    assert err.value.code == "starts_in_past" and late.status == "draft"
    event = Event()
    lifecycle.move(event, EventStatus.PUBLISHED, NOW)
    assert event.published_at == NOW and event.sequence == 1
    with pytest.raises(ValidationFailed) as err:
        lifecycle.move(event, EventStatus.FINISHED, NOW)  # not started
    assert err.value.code == "not_started"
    event.seats_taken = 7
    with pytest.raises(ValidationFailed):
        lifecycle.cancel_reason(" x ")
    lifecycle.cancel(event, " 暴雨预警 ", NOW)
    assert (event.status, event.cancel_reason, event.seats_taken, event.sequence) == ("cancelled", "暴雨预警", 0, 2)
    with pytest.raises(Conflict) as refused:
        lifecycle.cancel(event, "再次取消", NOW)
    assert refused.value.code == "already_cancelled"


def test_what_each_status_allows() -> None:
    event = Event(status="published", published_at=NOW - timedelta(days=1))
    assert lifecycle.registration_refusal(event, NOW, DEFAULT_TZ) is None and lifecycle.seats_can_move(event, NOW)
    lifecycle.check_editable(event)
    with pytest.raises(Conflict):
        lifecycle.check_minutes_allowed(event, NOW)  # not started yet
    started = event.starts_at + timedelta(minutes=1)
    assert lifecycle.registration_refusal(event, started, DEFAULT_TZ).code == "registration_closed"
    assert not lifecycle.seats_can_move(event, started) and not lifecycle.takes_feedback(event, started)
    lifecycle.check_minutes_allowed(event, started)
    assert lifecycle.takes_feedback(event, event.ends_at)
    event.registration_opens_at = NOW + timedelta(days=1)
    refusal = lifecycle.registration_refusal(event, NOW, DEFAULT_TZ)
    assert refusal.code == "registration_not_open" and "2026-03-11 10:00" in refusal.message_zh
    finished = Event(status="finished")
    with pytest.raises(Conflict) as err:
        lifecycle.check_editable(finished)
    assert err.value.code == "event_not_editable"
