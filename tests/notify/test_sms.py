"""Reporters and web registrants told by SMS, through the outbox to a fake Aliyun gateway on
loopback that checks every request's signature and Aliyun's parameter rules (1-35 characters, no
link): the portal's opt-in, the template and its short parameters (number, status, the 查询码 that
the fixed /status page in the template's text takes), a waitlist promotion (number + code on
/open-days/lookup), throttling / 5xx / timeouts retried and delivered once, an unknown number failed
(not retried forever), the pages' stop-SMS button stopping messages, a one-time code. SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import select

from accounts.messages import send_phone_code
from civicdesk import senders
from civicdesk.container import Services
from core.clock import FrozenClock
from core.delivery import DeliveryLoop, DeliveryPolicy
from core.outbox import OutboxMessage
from notify.sms import SmsSender

from .sms_gateway import Answer, FakeSmsGateway
from .steps import reply_then_resolve

MOBILE = "+86 138-0013-8000"
NUMBER = "13800138000"


async def sms_round(services: Services) -> tuple[int, int, int, int]:
    sender = SmsSender(services)
    try:
        result = await DeliveryLoop(services.db, services.clock, sender, DeliveryPolicy()).run_once()
    finally:
        await sender.aclose()
    return result.sent, result.retried, result.failed, result.blocked


async def sms_rows(services: Services) -> list[OutboxMessage]:
    async with services.db.session() as session:
        return list(await session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == "sms").order_by(OutboxMessage.id)))


async def portal_report(client: httpx.AsyncClient, phone: str = MOBILE, lang: str = "zh") -> tuple[str, str]:
    await client.get("/report")
    response = await client.post(f"/report?lang={lang}", data={
        "csrf_token": client.cookies["cd_csrf"], "category": "dust", "description": "工地裸土没有覆盖，扬尘很大",
        "address": "城关镇人民路 18 号", "contact_phone": phone, "notify_sms": "true"})
    assert response.status_code == 201, response.text
    number = re.search(r"\d{4}-\d{6}", response.text).group(0)
    token = re.search(r"token=([A-Za-z0-9_-]{20,})", response.text).group(1)
    return number, token


async def test_a_web_reporter_gets_status_sms_with_working_links(
    client: httpx.AsyncClient, services: Services, sms_gateway: FakeSmsGateway
) -> None:
    form = await client.get("/report")
    assert 'name="notify_sms"' in form.text
    number, token = await portal_report(client)
    await services.complaints.transition(number, "triager1", "accepted", public_message="已安排执法人员现场核查")
    assert await sms_round(services) == (1, 0, 0, 0)
    [sms] = sms_gateway.delivered
    assert sms["phone"] == NUMBER and sms["template"] == "SMS_100001"
    params = sms["params"]
    assert params == {"number": number, "status": "已受理", "code": token}  # no link, no free text
    assert "现场核查" not in str(params)
    # What the template's fixed text says: type the number and the code at /status.
    page = await client.get("/status", params={"number": number, "token": params["code"]}, follow_redirects=True)
    assert page.status_code == 200 and number in page.text and NUMBER not in page.text
    [row] = await sms_rows(services)
    assert row.recipient.isdigit() and NUMBER not in str(row.payload) and row.status == "sent"

    # The status page's button stops what is queued and what would follow.
    assert 'id="stop-sms"' in page.text
    await services.complaints.transition(number, "triager1", "assigned")
    refused = await client.post(f"/status/{number}/stop-sms", data={"token": token})
    assert refused.status_code == 403  # the portal's CSRF rule
    wrong = await client.post(f"/status/{number}/stop-sms", data={"csrf_token": client.cookies["cd_csrf"],
                                                                   "token": "x" * 32})
    assert wrong.status_code == 404 and 'id="stop-sms"' not in wrong.text
    stop = await client.post(f"/status/{number}/stop-sms", data={"csrf_token": client.cookies["cd_csrf"],
                                                                  "token": token})
    assert stop.status_code == 303
    after = await client.get(stop.headers["location"])
    assert 'id="sms-stopped"' in after.text and 'id="stop-sms"' not in after.text
    assert await sms_round(services) == (0, 0, 0, 1)
    await services.complaints.transition(number, "triager1", "in_progress")
    assert len(await sms_rows(services)) == 2 and len(sms_gateway.delivered) == 1


async def test_replies_and_the_rating_request_in_english(
    client: httpx.AsyncClient, services: Services, sms_gateway: FakeSmsGateway
) -> None:
    number, token = await portal_report(client, lang="en")
    await reply_then_resolve(services, number)
    assert (await sms_round(services))[0] == 5
    templates = [d["template"] for d in sms_gateway.delivered]
    assert templates == ["SMS_100002"] + ["SMS_200001"] * 4  # the English template where one is mapped
    last = sms_gateway.delivered[-1]["params"]
    assert last == {"number": number, "status": "Resolved", "code": token}
    assert sms_gateway.delivered[0]["params"] == {"number": number, "code": token}


async def test_throttling_5xx_and_timeouts_are_retried_and_delivered_once(
    client: httpx.AsyncClient, services: Services, sms_gateway: FakeSmsGateway, clock: FrozenClock
) -> None:
    number, _ = await portal_report(client)
    await services.complaints.transition(number, "triager1", "accepted")
    sms_gateway.answer(Answer(code="isv.BUSINESS_LIMIT_CONTROL"), Answer(code="Throttling.User", status=400),
                       Answer(status=429, code="Throttling", retry_after="30"), Answer(status=500, code="InternalError"),
                       Answer(delay=1.5))  # longer than the client's 1 s timeout
    for _ in range(5):
        assert (await sms_round(services))[1] == 1
        [row] = await sms_rows(services)
        assert row.status == "pending" and NUMBER not in (row.last_error or "")
        clock.advance(timedelta(minutes=10))
    assert await sms_round(services) == (1, 0, 0, 0)
    clock.advance(timedelta(hours=3))
    assert await sms_round(services) == (0, 0, 0, 0)
    assert len(sms_gateway.delivered) == 1 and len(sms_gateway.calls) == 6
    [row] = await sms_rows(services)
    assert (row.status, row.attempts) == ("sent", 6)


async def test_an_unknown_number_fails_for_good(
    client: httpx.AsyncClient, services: Services, sms_gateway: FakeSmsGateway, clock: FrozenClock
) -> None:
    sms_gateway.unknown_numbers.add("19900000000")
    number, _ = await portal_report(client, phone="199 0000 0000")
    await services.complaints.transition(number, "triager1", "accepted")
    assert await sms_round(services) == (0, 0, 1, 0)
    clock.advance(timedelta(days=1))
    assert await sms_round(services) == (0, 0, 0, 0)
    [row] = await sms_rows(services)
    assert row.status == "failed" and "isv.MOBILE_NUMBER_ILLEGAL" in row.last_error and len(sms_gateway.calls) == 1


async def test_a_template_not_configured_is_not_sent(
    client: httpx.AsyncClient, services: Services, sms_gateway: FakeSmsGateway
) -> None:
    number, _ = await portal_report(client)
    await services.complaints.add_note(number, "triager1", "我们已联系施工单位", public=True)
    services.settings.sms_templates.pop("report_reply")
    assert await sms_round(services) == (0, 0, 1, 0)
    assert sms_gateway.calls == [] and "CIVICDESK_SMS_TEMPLATES" in (await sms_rows(services))[0].last_error


async def test_a_waitlisted_web_registrant_is_told_of_a_seat_by_sms(
    client: httpx.AsyncClient, services: Services, sms_gateway: FakeSmsGateway, staff_tokens: dict[str, str]
) -> None:
    from tests.opendays.test_api import PUBLIC, create_published

    event = await create_published(client, staff_tokens["triager"], capacity=2)
    first = await client.post(f"{PUBLIC}/{event['id']}/registrations", json={"name": "张三", "party_size": 2})
    page = await client.get(f"/open-days/{event['id']}")
    assert 'name="notify_sms"' in page.text
    waiting = await client.post(f"/open-days/{event['id']}/register", data={
        "csrf_token": client.cookies["cd_csrf"], "name": "李四", "phone": MOBILE, "party_size": "1",
        "notify_sms": "true"})
    assert waiting.status_code == 303
    manage = waiting.headers["location"].removesuffix("&new=1")
    cancel = await client.post(f"{PUBLIC}/registrations/{first.json()['id']}/cancel",
                               params={"token": first.json()["manage_token"]})
    assert cancel.status_code == 200
    assert await sms_round(services) == (1, 0, 0, 0)
    [sms] = sms_gateway.delivered
    assert sms["phone"] == NUMBER and sms["template"] == "SMS_100003"
    params = sms["params"]
    assert params["news"] == "候补已转为正式报名" and params["title"] == event["title"][:20]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", params["date"])
    # The template's fixed text: the registration number and the code at /open-days/lookup.
    lookup = await client.get("/open-days/lookup", params={"number": params["number"], "code": params["code"]})
    assert lookup.status_code == 303 and lookup.headers["location"] == manage
    registration = await client.get(manage)
    assert registration.status_code == 200 and NUMBER not in registration.text
    assert f'id="registration-number">{params["number"]}<' in registration.text and 'id="stop-sms"' in registration.text
    stop = await client.post(f"/open-days/registrations/{params['number']}/stop-sms",
                             data={"csrf_token": client.cookies["cd_csrf"], "token": params["code"]})
    assert stop.status_code == 303 and 'id="sms-stopped"' in (await client.get(stop.headers["location"])).text
    await services.opendays.cancel(event["id"], "场地临时检修，活动取消", "triager1")  # told to reachable contacts
    assert len(await sms_rows(services)) == 1 and await sms_round(services) == (0, 0, 0, 0)


async def test_a_one_time_code_reaches_its_number(services: Services, sms_gateway: FakeSmsGateway,
                                                  clock: FrozenClock) -> None:
    async with services.db.write_session() as session:
        await send_phone_code(session, services.contact_keys, phone=MOBILE, code="204816", minutes=10,
                              now=clock.now())
        await send_phone_code(session, services.contact_keys, phone="13900139000", code="777777", minutes=10,
                              now=clock.now())
    sms_gateway.answer(Answer(delay=1.5))  # the first times out ...
    assert await sms_round(services) == (1, 1, 0, 0)
    clock.advance(timedelta(minutes=11))  # ... and is not sent after its code expired
    assert await sms_round(services) == (0, 0, 1, 0)
    assert sms_gateway.delivered == [{"phone": "13900139000", "template": "SMS_100004",
                                      "params": {"code": "777777", "minutes": "10"}}]


async def test_the_worker_builds_an_sms_loop_when_the_gateway_is_configured(services: Services) -> None:
    assert "sms" in [s.channel for s in senders.build_senders(services)]
    unconfigured = Services(**{**services.__dict__,
                               "settings": services.settings.model_copy(update={"sms_access_key_id": None})})
    assert "sms" not in [s.channel for s in senders.build_senders(unconfigured)]
