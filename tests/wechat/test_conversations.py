"""Whole conversations over `/wechat/callback`: signed (and encrypted) XML in, passive replies and
customer-service messages out, against the fake WeChat API on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from civicdesk.container import Services
from complaints.models import Report
from core.outbox import OutboxMessage
from tests.imaging import jpeg

from .conftest import TOKEN, Account, _sign
from .fake import Failure, FakeWeChatAPI

LAW = "示范县住宅装饰装修管理规定"


async def test_the_server_url_is_verified_by_signature(person: Account) -> None:
    client = person.client
    ok = {"signature": _sign(TOKEN, "1700000000", "n1"), "timestamp": "1700000000", "nonce": "n1",
          "echostr": "echo-4242"}
    assert (await client.get("/wechat/callback", params=ok)).text == "echo-4242"
    forged = ok | {"signature": "0" * 40}
    assert (await client.get("/wechat/callback", params=forged)).status_code == 403
    posted = await client.post("/wechat/callback", params=forged, content=person.xml("text", Content="hi"))
    assert posted.status_code == 403
    signed = {k: v for k, v in ok.items() if k != "echostr"}
    assert (await client.post("/wechat/callback", params=signed, content=b"<not xml")).status_code == 400
    bad_aes = signed | {"encrypt_type": "aes", "msg_signature": "f" * 40}
    assert (await client.post("/wechat/callback", params=bad_aes,
                              content=b"<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>")).status_code == 403


async def test_a_question_is_answered_with_a_citation(plain_person: Account, knowledge: Any,
                                                      fake_wechat: FakeWeChatAPI) -> None:
    reply = await plain_person.say("装修的时候可以拆承重墙吗？")
    assert f"（《{LAW}》第三条）" in reply
    assert "<b>" not in reply and "&lt;" not in reply  # plain text, not Telegram HTML
    assert fake_wechat.sent() == []  # answered passively, in time


async def test_a_slow_answer_is_acknowledged_and_follows_as_a_customer_service_message(
    plain_person: Account, knowledge: Any, services: Services, wechat_app: Any, deliver: Any,
    fake_wechat: FakeWeChatAPI,
) -> None:
    services.settings.wechat_reply_deadline_s = 0.0
    reply = await plain_person.say("装修的时候可以拆承重墙吗？")
    assert reply == "收到，正在处理，请稍候……"
    await _drain()
    result = await deliver()
    assert result.sent == 1
    [text] = fake_wechat.texts_to(plain_person.openid)
    assert f"（《{LAW}》第三条）" in text
    assert fake_wechat.token_fetches == 1


async def test_a_report_with_two_photos_and_a_location_is_stored(person: Account, services: Services,
                                                                 fake_wechat: FakeWeChatAPI) -> None:
    fake_wechat.media |= {"MEDIA_1": jpeg(640, 480), "MEDIA_2": jpeg(800, 600)}
    greeting = person.reply_of(await person.post(person.xml("event", Event="subscribe")))
    assert "民生服务台" in greeting
    categories = await person.click("REPORT")
    assert "请选择要反映的问题类别" in categories and "1. " in categories
    assert "问题发生在哪里" in await person.say("施工扬尘")
    # WeChat sends GCJ-02; the report keeps WGS-84 (about 500 m apart in Hangzhou)
    assert "请描述您看到的问题" in await person.location(30.2741, 120.1551, "城关镇人民路 88 号工地")
    assert "请发送现场照片" in await person.say("工地裸土没有覆盖，风一吹扬尘很大")
    assert "已收到 1 张照片，目前共 1/5 张" in await person.image("MEDIA_1")
    assert "目前共 2/5 张" in await person.image("MEDIA_2")
    assert "需要工作人员联系您" in await person.say("完成")
    review = await person.say("13800138000")
    assert "请核对" in review and "照片：2 张" in review and "13800138000" in review
    done = await person.say("提交")
    assert "进度链接：http://testserver/status/" in done
    reports = await services.complaints.reports_of_channel_user("wechat", person.openid, limit=5, lang="zh")
    assert len(reports) == 1 and reports[0].tracking_number in done
    async with services.db.session() as session:
        report = await session.scalar(select(Report).where(Report.tracking_number == reports[0].tracking_number))
    assert report is not None and report.channel == "wechat" and report.address == "城关镇人民路 88 号工地"
    assert abs(report.lat - 30.2741) > 0.001 and abs(report.lat - 30.2741) < 0.01  # GCJ-02 offset removed
    detail = await services.complaints.detail(report.tracking_number)
    assert len(detail.photos) == 2
    assert [c[1]["media_id"] for c in fake_wechat.calls if c[0] == "media/get"] == ["MEDIA_1", "MEDIA_2"]


async def test_a_retried_delivery_is_handled_once(person: Account, services: Services) -> None:
    await _to_review(person)
    submit = person.xml("text", Content="提交")
    first = person.reply_of(await person.post(submit))
    retries = await asyncio.gather(person.post(submit), person.post(submit))
    assert "举报已提交" in first
    assert [person.reply_of(r) for r in retries] == ["", ""]  # "success": taken in already
    async with services.db.session() as session:
        count = await session.scalar(select(func.count()).select_from(Report).where(Report.channel == "wechat"))
    assert count == 1
    click = person.xml("event", Event="CLICK", EventKey="STATUS")
    assert person.reply_of(await person.post(click)) and person.reply_of(await person.post(click)) == ""


async def test_a_staff_status_change_reaches_the_person(person: Account, services: Services, deliver: Any,
                                                        fake_wechat: FakeWeChatAPI) -> None:
    number = await _file_report(person)
    await services.complaints.transition(number, "admin1", "accepted", public_message="已派执法人员核查")
    fake_wechat.expire_token()  # the cached token went stale: one refresh, then the send
    fake_wechat.fail("message/custom/send", Failure(status=502))
    assert (await deliver()).retried == 1  # a 5xx: tried again later
    services.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    assert (await deliver()).sent == 1
    [text] = fake_wechat.texts_to(person.openid)
    assert number in text and "已派执法人员核查" in text and "<code>" not in text


async def test_outside_the_48_hours_a_template_message_is_sent(person: Account, services: Services,
                                                               deliver: Any, fake_wechat: FakeWeChatAPI) -> None:
    number = await _file_report(person)
    services.clock.advance(timedelta(hours=49))  # type: ignore[attr-defined]
    await services.complaints.transition(number, "admin1", "accepted")
    assert (await deliver()).failed == 1  # no template configured: the status link is the way
    services.settings.wechat_templates = {"report_update": "TEMPLATE-PROGRESS"}
    await services.complaints.transition(number, "admin1", "assigned")
    fake_wechat.fail("message/template/send", Failure(errcode=45009))
    result = await deliver()
    assert result.retried == 1
    async with services.db.session() as session:
        row = (await session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "wechat")
                                     .order_by(OutboxMessage.id.desc()))).first()
    assert row is not None and row.next_attempt_at - services.clock.now() >= timedelta(minutes=59)
    services.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    assert (await deliver()).sent == 1
    [sent] = fake_wechat.sent("message/template/send")
    assert sent["template_id"] == "TEMPLATE-PROGRESS" and sent["data"]["keyword1"]["value"] == number
    assert sent["url"] == "http://testserver/status"
    assert fake_wechat.texts_to(person.openid) == []


async def test_a_timeout_is_retried_and_throttling_tells_once(plain_person: Account, services: Services,
                                                              deliver: Any, fake_wechat: FakeWeChatAPI) -> None:
    services.settings.wechat_messages_per_minute = 3
    replies = [await plain_person.say("取消") for _ in range(5)]
    assert replies[3] == "您发送消息太频繁了，请稍等片刻再试。" and replies[4] == ""
    from conversations.messages import ChatReply
    from core import outbox

    async with services.db.write_session() as session:
        outbox.enqueue(session, channel="wechat", recipient=plain_person.openid,
                       message=ChatReply(text="稍后的回复"), now=services.clock.now())
    fake_wechat.fail("message/custom/send", Failure(delay=2.0))
    assert (await deliver()).retried == 1
    services.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    assert (await deliver()).sent == 1
    assert fake_wechat.texts_to(plain_person.openid) == ["稍后的回复"]


# --- helpers ----------------------------------------------------------------------------------------
async def _drain() -> None:
    """Until the answers that missed the reply window are in the outbox."""
    from wechat import callback

    while callback.BACKGROUND:
        await asyncio.gather(*list(callback.BACKGROUND), return_exceptions=True)


async def _to_review(person: Account) -> None:
    await person.click("REPORT")
    await person.say("2")
    await person.say("城关镇人民路 88 号工地")
    await person.say("夜里十二点还在打桩，吵得没法睡")
    await person.say("不上传照片")
    assert "请核对" in await person.say("跳过")


async def _file_report(person: Account) -> str:
    await _to_review(person)
    done = await person.say("提交")
    return done.split("/status/")[1].split("?")[0]


async def test_an_open_day_registration_and_its_reminder(person: Account, services: Services, deliver: Any,
                                                         fake_wechat: FakeWeChatAPI) -> None:
    from tests.opendays.support import published_event

    event = await published_event(services)
    listing = await person.click("OPENDAYS")
    assert event.title in listing and "报名 序号" in listing
    assert "请输入参观人姓名" in await person.say("报名 1")
    assert "共几人参观" in await person.say("李四")
    assert "请输入 1 到" in await person.say("99")
    assert "手机号" in await person.say("2")
    done = await person.say("13900139000")
    assert "报名成功" in done and "签到码" in done
    mine = await person.say("我的报名")
    assert event.title in mine
    regs = await services.opendays.registrations_of_user("wechat", person.openid, "zh")
    assert [(r.name, r.party_size) for r in regs] == [("李四", 2)]
    await services.opendays.cancel(event.id, "暴雨预警，活动取消", "admin1")
    assert (await deliver()).sent >= 1
    assert any("暴雨预警" in t for t in fake_wechat.texts_to(person.openid))
