"""The scheduled-job runner: a job runs when due, once per period across processes (a lease row in
the database), and again after a failure. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import select

from civicdesk.container import Services, build_services
from civicdesk.jobs import DEFAULT_JOBS, Job, JobRunner
from core.clock import FrozenClock
from core.settings import Settings


def counting_job(runs: list[datetime], every: timedelta = timedelta(minutes=1), delay: float = 0.0) -> Job:
    async def run(services: Services, now: datetime) -> int:
        await asyncio.sleep(delay)
        runs.append(now)
        return len(runs)

    return Job("test.counting", every, run)


async def test_a_job_runs_once_per_period(services: Services, clock: FrozenClock) -> None:
    runs: list[datetime] = []
    runner = JobRunner(services, [counting_job(runs)])
    assert await runner.run_once() == {"test.counting": 1}
    assert await runner.run_once() == {}  # not due again yet
    clock.advance(timedelta(seconds=59))
    assert await runner.run_once() == {}
    clock.advance(timedelta(seconds=1))
    assert await runner.run_once() == {"test.counting": 2}
    assert (await runner.last_runs())["test.counting"] == clock.now()


async def test_two_processes_never_run_a_job_twice(settings: Settings, services: Services, clock: FrozenClock) -> None:
    """Two runners with their own engines (as two processes would have) race for the same job."""
    other = build_services(settings, clock)
    try:
        runs: list[datetime] = []
        job = counting_job(runs, delay=0.05)
        first, second = JobRunner(services, [job], holder="a"), JobRunner(other, [job], holder="b")
        for _ in range(5):
            results = await asyncio.gather(first.run_once(), second.run_once())
            assert sum(len(r) for r in results) == 1
            clock.advance(timedelta(minutes=1))
        assert len(runs) == 5
    finally:
        await other.aclose()


async def test_a_held_lease_blocks_until_it_expires(services: Services, clock: FrozenClock) -> None:
    runs: list[datetime] = []
    job = counting_job(runs)
    crashed = JobRunner(services, [job], holder="crashed", lease=timedelta(minutes=5))
    assert await crashed._claim(job, clock.now())  # claimed, then the process died mid-run
    alive = JobRunner(services, [job], holder="alive")
    assert await alive.run_once() == {}
    clock.advance(timedelta(minutes=5))
    assert await alive.run_once() == {"test.counting": 1}


async def test_a_failed_job_is_tried_again_next_round(services: Services, clock: FrozenClock) -> None:
    attempts: list[datetime] = []

    async def flaky(services: Services, now: datetime) -> str:
        attempts.append(now)
        if len(attempts) == 1:
            raise RuntimeError("database hiccup")
        return "ok"

    runner = JobRunner(services, [Job("test.flaky", timedelta(hours=1), flaky)])
    assert await runner.run_once() == {}
    assert await runner.run_once() == {"test.flaky": "ok"}  # not an hour later: it never ran
    assert len(attempts) == 2


async def test_the_default_jobs_send_open_day_reminders_and_staff_alerts(services: Services, clock: FrozenClock) -> None:
    assert [job.name for job in DEFAULT_JOBS] == ["opendays.due_notifications", "complaints.staff_alerts",
                                                  "photos.sweep", "accounts.phone_code_purge"]
    result = await JobRunner(services).run_once()
    assert result["opendays.due_notifications"].model_dump() == {"finished": 0, "reminders": 0, "feedback_requests": 0}
    assert (result["complaints.staff_alerts"].deadline_alerts, result["complaints.staff_alerts"].digests) == (0, 0)


async def test_the_loop_starts_and_stops(services: Services) -> None:
    runs: list[datetime] = []
    runner = JobRunner(services, [counting_job(runs)], tick_s=0.01)
    runner.start()
    for _ in range(200):
        if runs:
            break
        await asyncio.sleep(0.01)
    await runner.stop()
    assert len(runs) == 1


async def test_the_web_app_hosts_the_runner(services: Services) -> None:
    from civicdesk.app import create_app

    app = create_app(services=services)
    async with app.router.lifespan_context(app):
        runner = app.state.jobs
        assert isinstance(runner, JobRunner) and runner._task is not None and not runner._task.done()
    assert runner._task is None  # stopped with the app


async def test_expired_one_time_code_contacts_are_purged(services: Services, clock: FrozenClock) -> None:
    from accounts.messages import PHONE_CODE, send_phone_code
    from core import contacts

    async with services.db.write_session() as session:
        await send_phone_code(session, services.contact_keys, phone="13800138000", code="204816", minutes=10,
                              now=clock.now())
        contacts.add(session, services.contact_keys, channel=contacts.SMS, address="13900139000",
                     subject=contacts.REPORT, subject_id=1, token=None, notify=True, language="zh", now=clock.now())

    async def subjects() -> list[str]:
        async with services.db.session() as session:
            return sorted((await session.scalars(select(contacts.Contact.subject))).all())

    clock.advance(timedelta(minutes=9))  # the code is still good: its number is kept
    assert (await JobRunner(services).run_once())["accounts.phone_code_purge"] == 0
    assert await subjects() == [PHONE_CODE, contacts.REPORT]
    clock.advance(timedelta(minutes=11))
    assert (await JobRunner(services).run_once())["accounts.phone_code_purge"] == 1
    assert await subjects() == [contacts.REPORT]  # a report's contact is not touched


async def test_expired_one_time_codes_are_swept(services: Services, clock: FrozenClock) -> None:
    from accounts.phone_codes import PendingCode

    await services.phone_codes.request_code("13800138000", "my_reports", "127.0.0.1")

    async def pending() -> int:
        async with services.db.session() as session:
            return len((await session.scalars(select(PendingCode))).all())

    clock.advance(timedelta(minutes=9))
    await JobRunner(services).run_once()
    assert await pending() == 1  # still valid
    clock.advance(timedelta(minutes=11))
    await JobRunner(services).run_once()
    assert await pending() == 0
