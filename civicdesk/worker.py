"""All background work of one process: an outbox delivery loop per configured channel
(`civicdesk/senders.py`), the scheduled jobs (`civicdesk/jobs.py`: open-day notifications, the photo
sweep), and the knowledge ingest jobs. `civicdesk worker` runs it alone; `civicdesk serve` and
`civicdesk bot` host it themselves in the single-process mode (`CIVICDESK_BACKGROUND`, in-process by
default on SQLite). Every part is leased in a shared store (outbox rows, `job_leases`, the ingest
jobs' leases), so any number of processes may host it at once without doing anything twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from core.delivery import DeliveryLoop, DeliveryPolicy, Observer, Sender, close_senders
from core.settings import Settings

from .jobs import DEFAULT_JOBS, Job, JobRunner
from .senders import build_senders

if TYPE_CHECKING:
    from .container import Services

log = logging.getLogger(__name__)


def ingest_runs_here(settings: Settings, *, worker: bool) -> bool:
    """Who indexes uploaded documents. An embedded Chroma store belongs to the serving process, so
    with one the ingest loop stays there; with a Chroma server (`CIVICDESK_CHROMA_URL`) it goes to
    the worker whenever the serving processes leave background work to workers."""
    if worker:
        return settings.chroma_url is not None
    return settings.background_in_process or settings.chroma_url is None


class Background:
    def __init__(
        self,
        services: Services,
        *,
        jobs: Sequence[Job] | None = None,
        deliver: bool = True,
        exclude_channels: Collection[str] = (),
        ingest: bool = True,
        observer: Observer | None = None,
        jobs_tick_s: float = 15.0,
    ):
        self.services = services
        self.jobs = JobRunner(services, DEFAULT_JOBS if jobs is None else jobs, tick_s=jobs_tick_s)
        self.deliver = deliver
        self.exclude_channels = tuple(exclude_channels)
        self.ingest = ingest
        self.observer = observer
        self.senders: list[Sender] = []
        self.deliveries: list[DeliveryLoop] = []
        self._ingest_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        settings = self.services.settings
        self.senders = build_senders(self.services, exclude=self.exclude_channels) if self.deliver else []
        policy = DeliveryPolicy(interval_s=settings.outbox_poll_s)
        self.deliveries = [DeliveryLoop(self.services.db, self.services.clock, sender, policy,
                                        observer=self.observer) for sender in self.senders]
        for delivery in self.deliveries:
            delivery.start()
        if self.jobs.jobs:
            self.jobs.start()
        if self.ingest:
            self._ingest_task = asyncio.create_task(self.services.knowledge.run_jobs(), name="knowledge-jobs")
        log.info("background work: delivery to %s; %d scheduled jobs; ingest jobs %s",
                 ", ".join(s.channel for s in self.senders) or "no configured channel", len(self.jobs.jobs),
                 "here" if self.ingest else "elsewhere")

    async def stop(self) -> None:
        if self._ingest_task is not None:
            self._ingest_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ingest_task
            self._ingest_task = None
        await asyncio.gather(*(d.stop() for d in self.deliveries), self.jobs.stop())
        await close_senders(self.senders)
        self.deliveries, self.senders = [], []
