"""Reporters told by e-mail: opt-in at submission (API and portal), every public update through the
outbox to a real SMTP server on loopback (aiosmtpd) whose delivered messages are read here: the
subject, the words, the status link (which opens the status page), the 回访 rating link after a
resolution, and the unsubscribe link (which stops further messages). Retries on 4xx and a server
that is down, nothing lost and nothing doubled. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from civicdesk import senders
from civicdesk.container import Services
from core.clock import FrozenClock
from core.contacts import Contact
from core.delivery import DeliveryLoop, DeliveryPolicy
from core.outbox import OutboxMessage
from notify.email import EmailSender

from .smtp import SmtpServer, free_port
from .steps import reply_then_resolve

ADDRESS = "Li.Ming@Example.COM"
DELIVERED_TO = "Li.Ming@example.com"  # the domain is lower-cased, the local part kept


async def submit(client: httpx.AsyncClient, **extra: str) -> tuple[str, str]:
    response = await client.post("/api/v1/reports", data={
        "category": "dust", "description": "工地裸土没有覆盖，扬尘很大", "address": "城关镇人民路 18 号",
        "contact_email": ADDRESS, "notify_email": "true", **extra})
    assert response.status_code == 201, response.text
    body = response.json()
    return body["tracking_number"], body["status_token"]


def email_loop(services: Services, sender: EmailSender | None = None) -> DeliveryLoop:
    return DeliveryLoop(services.db, services.clock, sender or EmailSender(services), DeliveryPolicy())


async def email_rows(services: Services) -> list[OutboxMessage]:
    async with services.db.session() as session:
        return list(await session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == "email").order_by(OutboxMessage.id)))


def link(body: str, path: str) -> str:
    match = re.search(rf"http://testserver{path}\S+", body)
    assert match, body
    return match.group(0)


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


async def test_updates_reach_the_mailbox_with_working_links(
    client: httpx.AsyncClient, services: Services, smtp_server: SmtpServer
) -> None:
    number, token = await submit(client)
    await services.complaints.transition(number, "triager1", "accepted", public_message="已安排执法人员现场核查")
    result = await email_loop(services).run_once()
    assert result.sent == 1
    [mail] = smtp_server.mailbox.messages
    assert mail["To"] == DELIVERED_TO and mail["X-Envelope-To"] == DELIVERED_TO
    assert mail["Subject"] == f"【县住房和城乡建设局】举报 {number}：已受理"
    assert "noreply@zjj.example.gov.cn" in mail["From"]
    body = mail.get_content()
    assert "已安排执法人员现场核查" in body and number in body
    status_url = link(body, "/status/")
    assert status_url == f"http://testserver/status/{number}?token={token}"  # the receipt's own link
    page = await client.get(local(status_url))
    assert page.status_code == 200 and number in page.text
    assert ADDRESS not in page.text and DELIVERED_TO not in page.text  # contact data stays private

    # The outbox row names the contact, not the address; the address is in the contacts table only.
    [row] = await email_rows(services)
    assert row.recipient.isdigit() and DELIVERED_TO not in str(row.payload) and row.status == "sent"

    unsubscribe_url = link(body, "/u/")
    assert mail["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    await services.complaints.transition(number, "triager1", "assigned")  # queued before unsubscribing
    confirm = await client.get(local(unsubscribe_url))
    assert confirm.status_code == 200 and "L***@example.com" in confirm.text and DELIVERED_TO not in confirm.text
    done = await client.post(local(unsubscribe_url))
    assert done.status_code == 200 and "已退订" in done.text

    result = await email_loop(services).run_once()
    assert (result.sent, result.blocked) == (0, 1)  # the queued one is dropped at send time
    await services.complaints.transition(number, "triager1", "in_progress")
    assert len(await email_rows(services)) == 2  # and nothing more is queued
    assert len(smtp_server.mailbox.messages) == 1
    forged = await client.post(local(unsubscribe_url)[:-3] + "abc")
    assert forged.status_code == 404


async def test_resolution_asks_for_a_rating_and_replies_are_sent(
    client: httpx.AsyncClient, services: Services, smtp_server: SmtpServer
) -> None:
    number, token = await submit(client, lang="en")
    await reply_then_resolve(services, number, "已覆盖裸土")
    result = await email_loop(services).run_once()
    assert result.sent == 5
    subjects = [m["Subject"] for m in smtp_server.mailbox.messages]
    assert subjects[0] == f"【县住房和城乡建设局】举报 {number} 有新回复"
    resolved = smtp_server.mailbox.messages[-1].get_content()
    assert "满意吗" in resolved and f"/status/{number}?token={token}#followup" in resolved
    assert "已覆盖裸土" in resolved


async def test_deferred_refused_and_unreachable_server(
    client: httpx.AsyncClient, services: Services, smtp_server: SmtpServer, clock: FrozenClock
) -> None:
    number, _ = await submit(client)
    await services.complaints.transition(number, "triager1", "accepted")
    # The server is down: retried later, not lost.
    down = EmailSender(services, services.settings.model_copy(update={"smtp_port": free_port()}))
    assert (await email_loop(services, down).run_once()).retried == 1
    [row] = await email_rows(services)
    assert (row.status, row.attempts) == ("pending", 1) and row.last_error.startswith("SMTP unavailable")
    # A 451 (try again later) is retried too; then it is delivered exactly once.
    smtp_server.mailbox.refuse.append("451 4.3.0 Try again later")
    clock.advance(timedelta(minutes=5))
    assert (await email_loop(services).run_once()).retried == 1
    clock.advance(timedelta(minutes=5))
    assert (await email_loop(services).run_once()).sent == 1
    clock.advance(timedelta(hours=2))
    assert (await email_loop(services).run_once()).handled == 0
    assert len(smtp_server.mailbox.messages) == 1
    # A 550 refusal is final.
    await services.complaints.transition(number, "triager1", "assigned")
    smtp_server.mailbox.refuse.append("550 5.1.1 Mailbox unavailable")
    assert (await email_loop(services).run_once()).failed == 1
    assert [r.status for r in await email_rows(services)] == ["sent", "failed"]


async def test_opt_in_is_checked_and_only_opt_ins_are_told(client: httpx.AsyncClient, services: Services) -> None:
    base = {"category": "dust", "description": "工地裸土没有覆盖，扬尘很大", "address": "人民路 18 号"}
    missing = await client.post("/api/v1/reports", data={**base, "notify_email": "true"})
    assert missing.status_code == 422 and "电子邮箱" in missing.text
    bad = await client.post("/api/v1/reports", data={**base, "contact_email": "not-an-address", "notify_email": "true"})
    assert bad.status_code == 422 and "电子邮箱格式不正确" in bad.json()["error"]["message"]
    landline = await client.post("/api/v1/reports", data={**base, "contact_phone": "0571-87654321", "notify_sms": "true"})
    assert landline.status_code == 422 and "手机号" in landline.json()["error"]["message"]
    # An address without the opt-in is not kept, and nobody is told.
    quiet = await client.post("/api/v1/reports", data={**base, "contact_email": "a@example.com"})
    await services.complaints.transition(quiet.json()["tracking_number"], "triager1", "accepted")
    async with services.db.session() as session:
        assert list(await session.scalars(select(Contact))) == []
    assert await email_rows(services) == []


async def test_the_portal_form_opts_in(client: httpx.AsyncClient, services: Services, smtp_server: SmtpServer) -> None:
    form = await client.get("/report")
    assert 'name="notify_email"' in form.text and 'name="contact_email"' in form.text
    response = await client.post("/report", data={
        "csrf_token": client.cookies["cd_csrf"], "category": "dust", "description": "工地裸土没有覆盖，扬尘很大",
        "address": "人民路 18 号", "contact_email": "wang@example.com", "notify_email": "true"})
    assert response.status_code == 201
    number = re.search(r"\d{4}-\d{6}", response.text).group(0)
    await services.complaints.transition(number, "triager1", "accepted")
    assert (await email_loop(services).run_once()).sent == 1
    assert smtp_server.mailbox.messages[0]["To"] == "wang@example.com"


async def test_the_worker_builds_an_email_loop_when_smtp_is_configured(services: Services) -> None:
    assert "email" in [s.channel for s in senders.build_senders(services)]
    unconfigured = Services(**{**services.__dict__, "settings": services.settings.model_copy(update={"smtp_host": None})})
    assert "email" not in [s.channel for s in senders.build_senders(unconfigured)]


async def test_a_waitlisted_web_registrant_is_told_of_a_seat(
    client: httpx.AsyncClient, services: Services, smtp_server: SmtpServer, staff_tokens: dict[str, str]
) -> None:
    from tests.opendays.test_api import PUBLIC, create_published

    event = await create_published(client, staff_tokens["triager"], capacity=2)
    first = await client.post(f"{PUBLIC}/{event['id']}/registrations", json={"name": "张三", "party_size": 2})
    waiting = await client.post(f"{PUBLIC}/{event['id']}/registrations", json={
        "name": "李四", "phone": "13800138000", "email": "lisi@example.com", "notify_email": True})
    assert waiting.status_code == 201 and waiting.json()["status"] == "waitlisted"
    bad = await client.post(f"{PUBLIC}/{event['id']}/registrations", json={"name": "王五", "notify_email": True})
    assert bad.status_code == 422 and "电子邮箱" in bad.json()["error"]["message"]
    cancel = await client.post(f"{PUBLIC}/registrations/{first.json()['id']}/cancel",
                               params={"token": first.json()["manage_token"]})
    assert cancel.status_code == 200
    assert (await email_loop(services).run_once()).sent == 1
    [mail] = smtp_server.mailbox.messages
    assert mail["To"] == "lisi@example.com" and event["title"] in mail["Subject"]
    body = mail.get_content()
    manage = link(body, "/open-days/registrations/")
    assert manage == waiting.json()["manage_url"]
    page = await client.get(local(manage))
    assert page.status_code == 200 and "lisi@example.com" not in page.text
    assert "/u/" in body
