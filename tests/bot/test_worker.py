"""Background work and who hosts it (`civicdesk/worker.py`): the worker delivers the outbox to the
configured channels over the real client (the fake Bot API) and runs the jobs, the photo sweep is a
leased job, a serving process in the worker mode is stateless, and ingest jobs are leased."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta

from civicdesk.container import Services, build_services
from civicdesk.jobs import DEFAULT_JOBS, JobRunner
from civicdesk.worker import Background, ingest_runs_here
from complaints.messages import ReportUpdate
from core import outbox
from core.settings import Settings
from .fakes import TOKEN, FakeBotAPI


async def queue_report_update(services: Services, chat_id: int, number: str = "2026-000001") -> None:
    async with services.db.write_session() as session:
        outbox.enqueue(session, channel="telegram", recipient=str(chat_id), now=services.clock.now(),
                       message=ReportUpdate(event="status", tracking_number=number, primary_tracking_number=number,
                                            status="accepted"))


async def test_the_worker_delivers_and_runs_the_jobs(settings: Settings, fake_api: FakeBotAPI) -> None:
    from civicdesk.commands.worker import run_worker

    settings = settings.model_copy(update={"telegram_token": TOKEN, "telegram_api_url": fake_api.url,
                                           "background": "worker", "outbox_poll_s": 0.05})
    services = build_services(settings)
    try:
        await queue_report_update(services, 777001)
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(settings, stop))
        call = await fake_api.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == 777001)
        assert "2026-000001" in call.text and "已受理" in call.text
        for _ in range(100):  # the jobs ran too (leased in the database)
            runs = await JobRunner(services).last_runs()
            if len([name for name, at in runs.items() if at]) == len(DEFAULT_JOBS):
                break
            await asyncio.sleep(0.05)
        assert set(runs) == {job.name for job in DEFAULT_JOBS} >= {"opendays.due_notifications", "photos.sweep"}
        stop.set()
        await asyncio.wait_for(worker, 20)
        assert len(fake_api.calls_of("sendMessage")) == 1
    finally:
        await services.aclose()


async def test_the_photo_sweep_is_a_leased_job(services: Services, clock) -> None:  # noqa: ANN001
    orphan = services.photos.put(b"no report holds these bytes", visibility="private", ext="jpg")
    old = time.time() - services.settings.photo_sweep_grace_s - 60
    path = services.photos.path_for(orphan.key)
    assert path is not None
    os.utime(path, (old, old))
    result = await JobRunner(services).run_once()
    assert result["photos.sweep"].deleted == 1 and not services.photos.exists(orphan.key)
    assert "photos.sweep" not in await JobRunner(services).run_once()  # hourly, across processes
    clock.advance(timedelta(seconds=services.settings.photo_sweep_interval_s))
    assert "photos.sweep" in await JobRunner(services).run_once()


async def test_a_sweep_interval_of_zero_switches_the_job_off(services: Services) -> None:
    off = Services(**{**services.__dict__, "settings": services.settings.model_copy(
        update={"photo_sweep_interval_s": 0})})
    names = [job.name for job in JobRunner(off, DEFAULT_JOBS).jobs]
    assert "photos.sweep" not in names and names == [j.name for j in DEFAULT_JOBS if j.name != "photos.sweep"]


async def test_a_server_in_the_worker_mode_runs_nothing_in_the_background(services: Services) -> None:
    from civicdesk.app import create_app

    for chroma_url, ingest in ((None, True), ("http://127.0.0.1:9", False)):
        settings = services.settings.model_copy(update={"background": "worker", "telegram_token": TOKEN,
                                                        "chroma_url": chroma_url})
        stateless = Services(**{**services.__dict__, "settings": settings})
        app = create_app(services=stateless)
        async with app.router.lifespan_context(app):
            background: Background = app.state.background
            assert background.deliveries == [] and background.jobs._task is None
            # An embedded Chroma store belongs to the serving process, so it indexes uploads itself.
            assert (background._ingest_task is not None) is ingest
        assert ingest_runs_here(settings, worker=True) is (not ingest)


def test_auto_is_in_process_on_sqlite_only(tmp_path) -> None:  # noqa: ANN001
    base = {"_env_file": None, "data_dir": tmp_path}
    assert Settings(**base).background_in_process  # type: ignore[arg-type]
    assert not Settings(**base, database_url="postgresql+asyncpg://x@db/y").background_in_process  # type: ignore[arg-type]
    assert Settings(**base, database_url="postgresql+asyncpg://x@db/y",  # type: ignore[arg-type]
                    background="in_process").background_in_process
    assert not Settings(**base, background="worker").background_in_process  # type: ignore[arg-type]


def test_an_ingest_job_is_leased(tmp_path) -> None:  # noqa: ANN001
    """A job claimed by a process that died elsewhere (another container: its pid means nothing
    here) is queued again once its lease has run out, and not before."""
    from knowledge.jobs import JobStore

    store = JobStore(tmp_path, lease=timedelta(seconds=0.2))
    job = store.create("a.md", b"# A\n\ntext")
    other = JobStore(tmp_path)  # another process, with a lease of minutes
    claimed = store.claim()
    assert claimed is not None and claimed[0].id == job.id
    assert other.claim() is None and other.requeue_orphans() == 0
    store.progress(job.id, 1, 2)  # progress renews the lease
    time.sleep(0.3)
    assert other.requeue_orphans() == 1
    again = other.claim()
    assert again is not None and again[0].id == job.id
    assert store.requeue_orphans() == 0  # other's lease holds
