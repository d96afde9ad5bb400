"""Many registrations at the same moment: capacity holds, the waitlist is in order, nobody twice.

Runs on SQLite and PostgreSQL (set CIVICDESK_TEST_POSTGRES_URL); on PostgreSQL the registrations
really run in parallel on separate connections and queue on the event row lock."""

from __future__ import annotations

import asyncio
import random

from sqlalchemy import func, select

from civicdesk.container import Services
from core.errors import Conflict
from opendays.models import OpenDayRegistration
from opendays.schemas import ByChannelUser

from .support import outbox_rows, published_event, register, telegram


async def test_100_simultaneous_registrations_for_20_seats(services: Services) -> None:
    event = await published_event(services, capacity=20)
    results = await asyncio.gather(*(register(services, event.id, telegram(1000 + i)) for i in range(100)))
    statuses = [r.status for r in results]
    assert statuses.count("confirmed") == 20 and statuses.count("waitlisted") == 80
    assert len({r.check_in_code for r in results}) == 100
    positions = sorted(r.waitlist_position for r in results if r.status == "waitlisted")
    assert positions == list(range(1, 81))
    detail = await services.opendays.staff_event(event.id)
    assert (detail.seats_taken, detail.seats_left, detail.waitlisted) == (20, 0, 80)

    # A confirmed visitor cancels: the first on the waitlist gets the seat and a message.
    registrations = await services.opendays.registrations(event.id)
    first_waiting = next(r for r in registrations if r.waitlist_position == 1)
    leaving = next(r for r in results if r.status == "confirmed")
    await services.opendays.cancel_registration(leaving.id, ByChannelUser("telegram", str(next(
        1000 + i for i, r in enumerate(results) if r.id == leaving.id))))
    after = {r.id: r for r in await services.opendays.registrations(event.id)}
    assert after[first_waiting.id].status == "confirmed"
    assert sorted(r.waitlist_position for r in after.values() if r.status == "waitlisted") == list(range(1, 80))
    [message] = await outbox_rows(services, "openday_promoted")
    assert message.payload["registration_id"] == first_waiting.id
    assert message.recipient == str(1000 + next(i for i, r in enumerate(results) if r.id == first_waiting.id))
    assert (await services.opendays.staff_event(event.id)).seats_taken == 20


async def test_simultaneous_parties_never_exceed_the_seats(services: Services) -> None:
    event = await published_event(services, capacity=17)
    sizes = [random.Random(i).randint(1, 3) for i in range(60)]
    results = await asyncio.gather(
        *(register(services, event.id, telegram(2000 + i, party_size=n)) for i, n in enumerate(sizes)))
    seated = sum(r.party_size for r in results if r.status == "confirmed")
    assert seated <= 17
    detail = await services.opendays.staff_event(event.id)
    assert detail.seats_taken == seated
    # Every waitlisted party is larger than the seats that were left when it arrived, so at most
    # two seats (the largest party less one) can stay empty.
    assert 17 - seated < 3


async def test_the_same_person_registering_five_times_at_once_gets_one(services: Services) -> None:
    event = await published_event(services)
    results = await asyncio.gather(*(register(services, event.id, telegram(42)) for _ in range(5)),
                                   return_exceptions=True)
    accepted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(accepted) == 1 and len(refused) == 4
    assert all(r.code == "already_registered" for r in refused)
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(OpenDayRegistration)) == 1
