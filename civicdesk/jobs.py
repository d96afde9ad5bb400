"""Scheduled jobs (open-day reminders, feedback requests, finishing ended events; staff alerts on
deadlines drawing near and the daily overdue digest; the photo sweep),
run by one small job runner that `civicdesk worker` hosts (and `civicdesk serve` / `civicdesk bot` in
the single-process mode, `CIVICDESK_BACKGROUND`), never by a channel's delivery loop.

Adding a job is one line in `DEFAULT_JOBS`:

    Job("staff.daily_digest", timedelta(days=1), _daily_digest),   # async (services, now) -> result

`every` is a period, or a function of the settings giving one (None: the job is off).

Safe when several processes run it: each job has a row in `job_leases`; a process runs a job only
after claiming the row with one conditional UPDATE (the job is due and nobody holds an unexpired
lease), so two processes never run the same job at once, and a process that dies mid-run loses
its lease when it expires.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from accounts.messages import purge_phone_code_contacts
from accounts.verification import CODE_TTL
from complaints import custody
from core.db import Base
from core.settings import Settings

if TYPE_CHECKING:
    from .container import Services

log = logging.getLogger(__name__)


class JobLease(Base):
    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(120))
    leased_until: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta | Callable[[Settings], timedelta | None]
    run: Callable[[Services, datetime], Awaitable[Any]]

    def period(self, settings: Settings) -> timedelta | None:
        return self.every if isinstance(self.every, timedelta) else self.every(settings)


async def _opendays_due(services: Services, now: datetime) -> Any:
    result = await services.opendays.due_notifications(now)
    if result.reminders or result.feedback_requests or result.finished:
        log.info("open days: %s", result.model_dump())
    return result


async def _staff_alerts_due(services: Services, now: datetime) -> Any:
    result = await services.complaints.due_alerts(now)
    if result.deadline_alerts or result.digests:
        log.info("staff alerts: %s deadline alerts, %s overdue digests", result.deadline_alerts, result.digests)
    return result


async def _photo_sweep(services: Services, now: datetime) -> custody.SweepResult:
    """Orphan photo files and stale temp files a crashed process left behind."""
    return await custody.sweep(services.db, services.photos, grace_s=services.settings.photo_sweep_grace_s)


async def _phone_code_purge(services: Services, now: datetime) -> int:
    """Expired one-time codes and their one-off contacts: numbers are not kept past their code."""
    async with services.db.write_session() as session:
        purged = await purge_phone_code_contacts(session, now, CODE_TTL)
    await services.phone_codes.sweep()  # the codes' own rows (hashes), which never verify once expired
    return purged


def _sweep_period(settings: Settings) -> timedelta | None:
    return timedelta(seconds=settings.photo_sweep_interval_s) if settings.photo_sweep_interval_s > 0 else None


# The jobs. Each runs at most once per `every` across all processes.
DEFAULT_JOBS: tuple[Job, ...] = (
    Job("opendays.due_notifications", timedelta(minutes=1), _opendays_due),
    Job("complaints.staff_alerts", timedelta(minutes=5), _staff_alerts_due),
    Job("photos.sweep", _sweep_period, _photo_sweep),
    Job("accounts.phone_code_purge", timedelta(minutes=10), _phone_code_purge),
)


class JobRunner:
    def __init__(
        self,
        services: Services,
        jobs: Sequence[Job] = DEFAULT_JOBS,
        *,
        holder: str | None = None,
        lease: timedelta = timedelta(minutes=5),
        tick_s: float = 15.0,
    ):
        self.services = services
        periods = {job.name: job.period(services.settings) for job in jobs}
        self.jobs = [job for job in jobs if periods[job.name] is not None]  # None: switched off
        self._periods: dict[str, timedelta] = {name: p for name, p in periods.items() if p is not None}
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = lease
        self.tick_s = tick_s
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    # --- one round ----------------------------------------------------------------------------
    async def run_once(self) -> dict[str, Any]:
        """Run every job that is due and not held elsewhere; returns {job name: its result}."""
        ran: dict[str, Any] = {}
        for job in self.jobs:
            now = self.services.clock.now()
            if not await self._claim(job, now):
                continue
            try:
                ran[job.name] = await job.run(self.services, now)
            except Exception:
                log.exception("job %s failed", job.name)
                await self._release(job, None)  # try again next round
                continue
            await self._release(job, now)
        return ran

    async def _claim(self, job: Job, now: datetime) -> bool:
        async with self.services.db.write_session() as session:
            insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            await session.execute(insert(JobLease).values(name=job.name).on_conflict_do_nothing())
            claimed = await session.execute(
                update(JobLease)
                .where(
                    JobLease.name == job.name,
                    or_(JobLease.leased_until.is_(None), JobLease.leased_until <= now),
                    or_(JobLease.last_run_at.is_(None), JobLease.last_run_at <= now - self._periods[job.name]),
                )
                .values(holder=self.holder, leased_until=now + self.lease)
            )
            return claimed.rowcount == 1

    async def _release(self, job: Job, ran_at: datetime | None) -> None:
        values: dict[str, Any] = {"holder": None, "leased_until": None}
        if ran_at is not None:
            values["last_run_at"] = ran_at
        async with self.services.db.write_session() as session:
            await session.execute(
                update(JobLease).where(JobLease.name == job.name, JobLease.holder == self.holder).values(**values)
            )

    async def last_runs(self) -> dict[str, datetime | None]:
        async with self.services.db.session() as session:
            return {row.name: row.last_run_at for row in await session.scalars(select(JobLease))}

    # --- the loop -----------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._stop.clear()
            self._task = asyncio.create_task(self._loop(), name="civicdesk-jobs")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("job round failed")
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self.tick_s)
            except TimeoutError:
                pass
