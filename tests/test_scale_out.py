"""Several processes on one set of servers, as docker-compose.yml runs them, without Docker: two
`civicdesk serve` processes, one `civicdesk worker` and the webhook bot (`civicdesk bot --webhook`)
against the local PostgreSQL and Redis, a Chroma server (`chroma run`) and a fake Telegram Bot API
on loopback, sharing one data directory (the compose file's app-data volume).

Through both APIs at once: report submissions, 60 people registering for 20 seats (each sends the
same registration to both APIs at the same moment), the same status change sent to both APIs at the
same moment for reports filed from Telegram, and a document uploaded through one API and asked
about on the other. Nothing may be lost or doubled, and every outbox message reaches the fake Bot
API exactly once. The figures (counts, seconds) are printed (`pytest -s`)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from civicdesk.container import build_services
from complaints.models import Report
from complaints.schemas import Channel, ReportInput
from core.outbox import OutboxMessage
from core.settings import Settings
from opendays.models import OpenDayRegistration
from bot.webhook import SECRET_HEADER, WebhookConfig
from tests.bot.fakes import TOKEN, FakeBotAPI, Person
from tests.complaints.test_api import FORM
from tests.conftest import POSTGRES_URL, REDIS_URL, _postgres_database_url
from tests.knowledge.conftest import TEST_LAW, chroma_server  # noqa: F401 - the fixture
from tests.knowledge.test_api import NIGHT_QUESTION
from tests.live import BIN, free_port, server_env
from tests.support import bearer, pg_execute

pytestmark = [pytest.mark.postgres, pytest.mark.redis,
              pytest.mark.skipif(not (POSTGRES_URL and REDIS_URL),
                                 reason="needs CIVICDESK_TEST_POSTGRES_URL and CIVICDESK_TEST_REDIS_URL")]

SUBMISSIONS = 40  # 20 through each API
PEOPLE, SEATS = 60, 20
TELEGRAM_REPORTS = 8
STEPS = ("accepted", "assigned", "in_progress", "resolved")
START_S = 240  # four processes import and start at once on a shared machine
WEBHOOK_SECRET = "scale-out-webhook-secret"


@dataclass
class Stack:
    apis: list[str]
    bot: str  # the webhook bot's base URL
    env: dict[str, str]
    settings: Settings
    bot_api: FakeBotAPI


@pytest.fixture
def database() -> Iterator[str]:
    assert POSTGRES_URL
    name = f"civicdesk_scale_{uuid.uuid4().hex[:8]}"
    asyncio.run(pg_execute(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    yield _postgres_database_url(name)
    asyncio.run(pg_execute(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(BIN / "civicdesk"), *args], env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)


@pytest.fixture
async def stack(tmp_path: Path, database: str, chroma_server: str) -> AsyncIterator[Stack]:  # noqa: F811
    bot_api = FakeBotAPI()
    await bot_api.start()
    seed = tmp_path / "no-seed"
    seed.mkdir()
    env = server_env(
        tmp_path / "shared-data", database,
        CIVICDESK_ENVIRONMENT="production", CIVICDESK_SECRET_KEY="scale-out-test-secret-key",
        CIVICDESK_REDIS_URL=str(REDIS_URL), CIVICDESK_CHROMA_URL=chroma_server,
        CIVICDESK_CHROMA_COLLECTION=f"scale_{uuid.uuid4().hex[:8]}", CIVICDESK_KNOWLEDGE_SEED_DIR=str(seed),
        CIVICDESK_BACKGROUND="worker", CIVICDESK_OUTBOX_POLL_S="0.2",
        CIVICDESK_TELEGRAM_TOKEN=TOKEN, CIVICDESK_TELEGRAM_API_URL=bot_api.url,
        CIVICDESK_LOG_FORMAT="json",
    )
    migrated = subprocess.run([str(BIN / "civicdesk"), "db", "upgrade"], env=env, capture_output=True, text=True,
                              timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    ports = [free_port(), free_port(), free_port()]
    processes = [_spawn(["serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(port)], env,
                        tmp_path / f"api-{i}.log") for i, port in enumerate(ports[:2])]
    processes.append(_spawn(["worker", "--no-migrate"], env, tmp_path / "worker.log"))
    bot = f"http://127.0.0.1:{ports[2]}"
    processes.append(_spawn(["bot", "--webhook", "--no-migrate", "--port", str(ports[2])],
                            {**env, "CIVICDESK_TELEGRAM_WEBHOOK_URL": f"{bot}/telegram/webhook",
                             "CIVICDESK_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET}, tmp_path / "bot.log"))
    apis = [f"http://127.0.0.1:{port}" for port in ports[:2]]
    try:
        deadline = time.monotonic() + START_S
        async with httpx.AsyncClient(timeout=2) as client:
            for api in [*apis, bot]:
                while True:
                    for proc, name in zip(processes, ("api-0", "api-1", "worker", "bot"), strict=True):
                        if proc.poll() is not None:
                            raise RuntimeError(f"{name} exited: {(tmp_path / f'{name}.log').read_text()[-3000:]}")
                    try:
                        if (await client.get(f"{api}/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert time.monotonic() < deadline, f"{api} did not start in {START_S} s"
                    await asyncio.sleep(0.3)
        settings = Settings(_env_file=None, data_dir=tmp_path / "shared-data", database_url=database,  # type: ignore[call-arg]
                            environment="test", background="worker")
        yield Stack(apis, bot, env, settings, bot_api)
    finally:
        for proc in processes:
            proc.terminate()
        for proc in processes:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        await bot_api.stop()


async def wait_until(check, timeout_s: float, what: str) -> float:  # noqa: ANN001
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < timeout_s, f"{what}: not within {timeout_s} s"
        await asyncio.sleep(0.2)
    return time.monotonic() - started


async def test_two_apis_and_a_worker_lose_nothing_and_double_nothing(stack: Stack) -> None:
    figures: dict[str, object] = {}
    a, b = stack.apis
    services = build_services(stack.settings)
    await services.complaints.ensure_seed_data()
    admin = (await services.accounts.create("scale-admin", "admin", password="scale admin password 1")).token
    staff = bearer(admin)
    async with httpx.AsyncClient(timeout=60) as http:
        # --- submissions through both APIs at once ----------------------------------------------------
        started = time.monotonic()
        created = await asyncio.gather(*(
            http.post(f"{(a, b)[i % 2]}/api/v1/reports", data={**FORM, "description": f"第 {i} 份：{FORM['description']}"})
            for i in range(SUBMISSIONS)))
        figures["submissions_s"] = round(time.monotonic() - started, 2)
        assert [r.status_code for r in created] == [201] * SUBMISSIONS, [r.text for r in created if r.status_code != 201]
        numbers = sorted(r.json()["tracking_number"] for r in created)
        year = numbers[0][:4]
        assert numbers == [f"{year}-{n:06d}" for n in range(1, SUBMISSIONS + 1)]  # none lost, none twice

        # --- 60 people for 20 seats, each sending the same registration to both APIs at once ----------
        starts = datetime.now(UTC) + timedelta(days=7)
        event = await http.post(f"{a}/api/v1/staff/open-days", headers=staff, json={
            "title": "城南保障房项目工地开放日", "description": "参观主体结构施工和扬尘治理措施。",
            "site_name": "城南保障性住房二期", "address": "城关镇南环路 88 号", "capacity": SEATS,
            "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat()})
        assert event.status_code == 201, event.text
        event_id = event.json()["id"]
        assert (await http.post(f"{b}/api/v1/staff/open-days/{event_id}/publish", headers=staff)).status_code == 200
        started = time.monotonic()
        attempts = await asyncio.gather(*(
            http.post(f"{api}/api/v1/open-days/{event_id}/registrations",
                      json={"name": f"访客{i}", "phone": f"139{i:08d}"})
            for i in range(PEOPLE) for api in (a, b)))
        figures["registration_requests"] = len(attempts)
        figures["registrations_s"] = round(time.monotonic() - started, 2)
        accepted = [r.json() for r in attempts if r.status_code == 201]
        refused = Counter(r.status_code for r in attempts if r.status_code != 201)
        assert len(accepted) == PEOPLE and sum(refused.values()) == PEOPLE and set(refused) <= {409}, refused
        statuses = Counter(r["status"] for r in accepted)
        assert statuses == {"confirmed": SEATS, "waitlisted": PEOPLE - SEATS}
        assert sorted(r["waitlist_position"] for r in accepted if r["status"] == "waitlisted") == \
            list(range(1, PEOPLE - SEATS + 1))
        async with services.db.read() as conn:
            rows = (await conn.execute(select(func.count()).select_from(OpenDayRegistration)
                                       .where(OpenDayRegistration.event_id == event_id))).scalar()
        assert rows == PEOPLE
        # a confirmed visitor cancels through one API: the first on the waitlist is seated, once
        leaving = next(r for r in accepted if r["status"] == "confirmed")
        cancelled = await http.post(f"{b}/api/v1/open-days/registrations/{leaving['id']}/cancel",
                                    params={"token": leaving["manage_token"]})
        assert cancelled.status_code == 200, cancelled.text
        detail = (await http.get(f"{a}/api/v1/staff/open-days/{event_id}", headers=staff)).json()
        assert (detail["seats_taken"], detail["waitlisted"]) == (SEATS, PEOPLE - SEATS - 1)

        # --- reports from Telegram; every status change sent to both APIs at the same moment ----------
        chats = [880_000 + i for i in range(TELEGRAM_REPORTS)]
        telegram_numbers = [(await services.complaints.submit(ReportInput(
            category="dust", description=f"工地未覆盖裸土，扬尘很大（{chat}）", address="人民路 18 号",
            channel=Channel.TELEGRAM, reporter_channel_id=str(chat)))).tracking_number for chat in chats]
        started = time.monotonic()
        changes = Counter()
        for to in STEPS:
            results = await asyncio.gather(*(
                http.post(f"{api}/api/v1/staff/reports/{number}/transition", headers=staff,
                          json={"to": to, "public_message": f"{to}: 已处理"})
                for number in telegram_numbers for api in (a, b)))
            for number, pair in zip(telegram_numbers, zip(results[::2], results[1::2], strict=True), strict=True):
                codes = sorted(r.status_code for r in pair)
                assert codes == [200, 409], (number, to, [r.text for r in pair])
                changes[to] += 1
        figures["status_changes"] = sum(changes.values())
        figures["status_change_requests"] = 2 * sum(changes.values())
        figures["status_changes_s"] = round(time.monotonic() - started, 2)
        for number in telegram_numbers:
            history = (await http.get(f"{b}/api/v1/staff/reports/{number}", headers=staff)).json()
            moves = [e["to_value"] for e in history["events"] if e["kind"] == "status"]
            assert moves == list(STEPS), (number, history["events"])

        # --- every outbox message delivered by the worker, exactly once ------------------------------
        async def outbox_counts() -> Counter[str]:
            async with services.db.read() as conn:
                return Counter(dict((await conn.execute(
                    select(OutboxMessage.status, func.count()).where(OutboxMessage.channel == "telegram")
                    .group_by(OutboxMessage.status))).all()))

        async def delivered() -> bool:
            counts = await outbox_counts()
            return counts["sent"] > 0 and set(counts) == {"sent"}

        figures["delivery_wait_s"] = round(await wait_until(delivered, 60, "outbox delivered"), 2)
        await asyncio.sleep(1.5)  # a second delivery, if any loop were to send twice, would show now
        async with services.db.read() as conn:
            messages = (await conn.execute(select(OutboxMessage.recipient, OutboxMessage.payload)
                                           .where(OutboxMessage.channel == "telegram"))).all()
        sent = [c for c in stack.bot_api.calls if c.method.lower() in ("sendmessage", "sendphoto")
                and c.chat_id in chats]
        assert len(sent) == len(messages), (len(sent), len(messages))
        assert Counter(c.chat_id for c in sent) == Counter(int(m.recipient) for m in messages)
        assert {c.chat_id for c in sent} == set(chats)
        figures["outbox_messages"] = len(messages)
        figures["bot_api_sends"] = len(sent)

        # --- the webhook bot: Telegram's updates in, its answers out (it registered itself at start) ---
        assert stack.bot_api.webhook is not None and stack.bot_api.webhook["url"].startswith(f"{stack.bot}/")
        route = WebhookConfig.from_settings(Settings(  # type: ignore[call-arg]
            _env_file=None, telegram_webhook_url=f"{stack.bot}/telegram/webhook",
            telegram_webhook_secret=WEBHOOK_SECRET)).route
        person = Person(stack.bot_api, user_id=770001)
        update = person.text("/start")
        for _ in range(2):  # Telegram retries: handled once
            hook = await http.post(f"{stack.bot}{route}", json=update, headers={SECRET_HEADER: WEBHOOK_SECRET})
            assert hook.status_code == 200, hook.text
        await stack.bot_api.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == person.id, timeout=30)
        await asyncio.sleep(0.5)
        assert len(stack.bot_api.messages_to(person.id)) == 1
        assert (await http.get(f"{stack.bot}/api/v1/categories")).status_code == 404  # only Telegram here

        # --- a document uploaded through one API is answered on the other ----------------------------
        started = time.monotonic()
        upload = await http.post(f"{a}/api/v1/staff/knowledge/documents", headers=staff,
                                 files={"file": (TEST_LAW.name, TEST_LAW.read_bytes(), "text/markdown")})
        assert upload.status_code == 202, upload.text
        job_id = upload.json()["id"]

        async def indexed() -> bool:
            job = (await http.get(f"{b}/api/v1/staff/knowledge/jobs/{job_id}", headers=staff)).json()
            assert job["state"] != "failed", job
            return job["state"] == "ready"

        figures["ingest_s"] = round(await wait_until(indexed, 120, "document indexed by the worker"), 2)
        answer = (await http.post(f"{b}/api/v1/ask", json={"question": NIGHT_QUESTION, "k": 3})).json()
        assert answer["abstained"] is False, answer
        assert (answer["sources"][0]["law"], answer["sources"][0]["article"]) == ("示范县建筑工地文明施工管理办法", "第七条")
        figures["answer_after_upload_s"] = round(time.monotonic() - started, 2)
        asked_a = (await http.post(f"{a}/api/v1/ask", json={"question": NIGHT_QUESTION, "k": 3})).json()
        assert asked_a["sources"][0]["article"] == "第七条"

    async with services.db.read() as conn:
        figures["reports_in_db"] = (await conn.execute(select(func.count()).select_from(Report))).scalar()
    assert figures["reports_in_db"] == SUBMISSIONS + TELEGRAM_REPORTS
    await services.aclose()
    print("\nscale-out figures:", figures)
