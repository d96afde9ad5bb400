"""Open days in the bot, through the real aiogram dispatcher and the outbox delivery loop against
the fake Bot API server: list, register, the .ics document, cancel, promotion, reminder, feedback,
announcements."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from icalendar import Calendar
from sqlalchemy import select

from bot.app import BotRuntime
from bot.handlers.opendays import OdRateCb
from bot.i18n import opendays as catalog
from civicdesk.container import Services
from civicdesk.jobs import JobRunner
from core.clock import FrozenClock
from opendays.models import OpenDayFeedback, OpenDayRegistration
from opendays.schemas import ByChannelUser, EventFields
from tests.bot.conftest import Chat
from tests.bot.fakes import FakeBotAPI

from ..support import ENDS, STARTS, outbox_rows, published_event, register, telegram


def documents_to(api: FakeBotAPI, chat_id: int) -> list[bytes]:
    """Files sent to the chat (aiogram uploads them as a multipart part named in `attach://<part>`)."""
    files = []
    for call in api.calls_of("sendDocument"):
        if call.chat_id == chat_id:
            ref = call.params["document"]
            files.append(call.params[ref.removeprefix("attach://")] if isinstance(ref, str) else ref)
    return files


async def registration_of(services: Services, user_id: int) -> OpenDayRegistration:
    async with services.db.session() as session:
        return (await session.scalars(select(OpenDayRegistration).where(
            OpenDayRegistration.channel_user_id == str(user_id)).order_by(OpenDayRegistration.id.desc()))).first()


async def test_list_register_get_the_calendar_file_and_cancel(chat: Chat, fake_api: FakeBotAPI,
                                                              services: Services) -> None:
    event = await published_event(services, capacity=2)
    await chat.say("开放日")
    listing = fake_api.messages_to(chat.id)[-1]
    assert "城南保障房项目工地开放日" in listing.text and "剩余名额 2/2" in listing.text
    assert "2026年3月20日（周五）09:00–11:30" in listing.text
    assert {"📋 我的报名", "🔔 订阅新活动通知"} <= {b["text"] for b in listing.buttons()}

    await chat.tap("1. 城南保障房")
    detail = chat.last_text()
    assert "参观须知" in detail and "请携带身份证" in detail and "每份报名最多 2 人" in detail
    await chat.tap("📝 报名")
    assert chat.last_text() == "请输入参观人姓名（现场核验时使用）："
    assert "张三" in [b["text"] for b in fake_api.messages_to(chat.id)[-1].keyboard()]
    calls = await chat.send(chat.person.photo(b"not really a photo"))
    assert chat.texts(calls) == ["请输入参观人姓名（现场核验时使用）："]
    await chat.say("张三")
    assert "最多 2 人" in chat.last_text()
    calls = await chat.say("5")
    assert chat.texts(calls) == ["请输入 1 到 2 之间的数字。"]
    await chat.say("2")
    phone_prompt = fake_api.messages_to(chat.id)[-1]
    assert any(b.get("request_contact") for b in phone_prompt.keyboard())
    calls = await chat.send(chat.person.contact("+86 138 0013 8000", own=False))
    assert "本人的号码" in chat.texts(calls)[0]
    calls = await chat.send(chat.person.contact("+86 138 0013 8000"))

    confirmation = chat.texts(calls)[0]
    assert "报名成功" in confirmation and "👥 2 人" in confirmation
    code = re.search(r"签到码：<code>([A-Z0-9]{6})</code>", confirmation).group(1)  # type: ignore[union-attr]
    [document] = documents_to(fake_api, chat.id)
    [vevent] = Calendar.from_ical(document).walk("VEVENT")
    assert str(vevent["UID"]) == event.uid and vevent.decoded("DTSTART") == STARTS
    stored = await registration_of(services, chat.id)
    assert (stored.status, stored.party_size, stored.phone, stored.check_in_code, stored.chat_id) == (
        "confirmed", 2, "13800138000", code, str(chat.id))

    # Registering again is refused before any question is asked.
    await chat.say("/opendays")
    await chat.tap("1. 城南保障房")
    assert "报名" not in [b["text"] for b in fake_api.messages_to(chat.id)[-1].buttons()]  # fully booked now
    await services.opendays.update(event.id, EventFields(capacity=3), "triager1")
    await chat.say("开放日")
    await chat.tap("1. 城南保障房")
    calls = await chat.tap("📝 报名")
    assert "您已报名该活动" in chat.texts(calls)[0] and code in chat.texts(calls)[0]

    await chat.tap("我的报名")
    mine = chat.last_text()
    assert "已确认" in mine and code in mine
    await chat.tap("取消报名")
    assert "确定要取消" in chat.last_text()
    calls = await chat.tap("确定取消")
    assert chat.texts(calls) == ["已取消您在“城南保障房项目工地开放日”的报名。"]
    assert (await registration_of(services, chat.id)).status == "cancelled"
    await chat.tap("我的报名")
    assert chat.last_text() == "您目前没有开放日报名。"


async def test_waitlisted_visitor_is_promoted_and_gets_the_file(chat: Chat, fake_api: FakeBotAPI, services: Services,
                                                                runtime: BotRuntime) -> None:
    event = await published_event(services, capacity=1)
    other = await register(services, event.id, telegram(9001, name="李四"))
    await chat.say("开放日")
    await chat.tap("1. 城南保障房")
    await chat.tap("📝 报名")
    await chat.say("张三")
    await chat.say("1")
    calls = await chat.say("跳过")
    assert "已为您登记候补（第 1 位）" in chat.texts(calls)[0]
    assert (await registration_of(services, chat.id)).phone is None

    await services.opendays.cancel_registration(other.id, ByChannelUser("telegram", "9001"))
    before = len(documents_to(fake_api, chat.id))
    result = await runtime.delivery.run_once()
    assert result.sent == 1
    promoted = chat.last_text()
    assert "候补报名已确认" in promoted and (await registration_of(services, chat.id)).check_in_code in promoted
    assert len(documents_to(fake_api, chat.id)) == before + 1

    await services.opendays.cancel(event.id, "塔吊检修，活动延期", "triager1")
    await runtime.delivery.run_once()
    assert "已取消" in chat.last_text() and "塔吊检修，活动延期" in chat.last_text()


async def test_reminder_then_feedback(chat: Chat, fake_api: FakeBotAPI, services: Services, runtime: BotRuntime,
                                      clock: FrozenClock) -> None:
    event = await published_event(services)
    mine = await register(services, event.id, telegram(chat.id))
    jobs = JobRunner(services)  # what `civicdesk serve` and `civicdesk bot` run: it queues, delivery sends
    clock.set(STARTS - timedelta(hours=23))
    await runtime.delivery.run_once()
    assert not any("提醒" in m.text for m in fake_api.messages_to(chat.id))  # the delivery loop only sends
    assert "opendays.due_notifications" in await jobs.run_once()
    await runtime.delivery.run_once()
    reminder = chat.last_text()
    assert "提醒" in reminder and mine.check_in_code in reminder and "城关镇南环路 88 号" in reminder
    sent = len(fake_api.messages_to(chat.id))
    clock.advance(timedelta(minutes=5))
    await jobs.run_once()
    await runtime.delivery.run_once()
    assert len(fake_api.messages_to(chat.id)) == sent  # reminded once

    clock.set(ENDS + timedelta(minutes=30))
    await jobs.run_once()
    await runtime.delivery.run_once()
    request = fake_api.messages_to(chat.id)[-1]
    assert "请为本次活动打分" in request.text and len(request.buttons()) == 5
    calls = await chat.send(chat.person.press(OdRateCb(reg=mine.id, stars=4).pack(), request.message_id or 1000))
    assert "已记录 ⭐⭐⭐⭐ 4 星" in chat.texts(calls)[-1]
    calls = await chat.say("讲解很清楚，建议下次安排在周末")
    assert chat.texts(calls) == ["谢谢您的反馈！我们会认真研究。"]
    async with services.db.session() as session:
        feedback = await session.scalar(select(OpenDayFeedback))
    assert (feedback.registration_id, feedback.rating, feedback.comment) == (mine.id, 4, "讲解很清楚，建议下次安排在周末")
    await chat.say("/myopendays")
    assert "您的评价：⭐⭐⭐⭐ 4 星" in chat.last_text()


async def test_subscribers_get_announcements_at_telegrams_pace(chat: Chat, fake_api: FakeBotAPI, services: Services,
                                                               runtime: BotRuntime) -> None:
    await chat.say("开放日")
    assert chat.last_text().startswith("近期暂无开放日活动")
    calls = await chat.tap("订阅")
    assert chat.texts(calls) == ["🔔 已订阅。新的开放日活动发布时会通知您。"]
    for n in range(40):
        await services.opendays.subscribe("telegram", str(5000 + n))
    event = await published_event(services)
    assert len(await outbox_rows(services, "openday_published")) == 41
    while (await runtime.delivery.run_once()).sent:
        pass
    sends = fake_api.calls_of("sendMessage")[-41:]
    assert {c.chat_id for c in sends} == {chat.id} | {5000 + n for n in range(40)}
    # No more than 30 messages in any second: 30 gaps of at least 1/30 s each.
    assert all(sends[i + 30].at - sends[i].at >= 0.9 for i in range(len(sends) - 30))
    announcement = next(c for c in sends if c.chat_id == chat.id)
    assert "新的工地开放日活动发布了" in announcement.text and "剩余名额 20" in announcement.text
    await chat.tap("查看详情并报名")
    assert "参观须知" in chat.last_text()
    assert any(b["text"] == "📝 报名" for b in fake_api.messages_to(chat.id)[-1].buttons())
    await chat.say("开放日")
    calls = await chat.tap("取消订阅")
    assert chat.texts(calls) == ["🔕 已取消订阅。"]
    assert not await services.opendays.is_subscribed("telegram", str(chat.id))
    assert (await services.opendays.staff_event(event.id)).status == "published"


async def test_english_speakers_get_english(chat: Chat, fake_api: FakeBotAPI, services: Services,
                                            runtime: BotRuntime) -> None:
    await runtime.ctx.users.set_language(chat.id, "en")
    await published_event(services)
    await chat.say("/opendays")
    text = chat.last_text()
    assert "Upcoming site open days" in text and "Fri 20 Mar 2026, 09:00–11:30" in text
    await chat.tap("1. ")
    assert "Bring your ID card" in chat.last_text()


def test_catalog_has_every_key_in_both_languages() -> None:
    assert catalog.TEXTS["zh"].keys() == catalog.TEXTS["en"].keys()
    source = (Path(__file__).resolve().parents[3] / "bot" / "handlers" / "opendays.py").read_text()
    used = set(re.findall(r'"(od\.[a-z_]+)"', source))
    assert used and used <= catalog.TEXTS["zh"].keys()


async def test_an_event_needing_a_verified_phone_takes_telegrams_own_contact(chat: Chat, fake_api: FakeBotAPI,
                                                                             services: Services) -> None:
    """Telegram's contact of the sender's own account is a verified number; skipping it is refused."""
    await published_event(services, requires_verified_phone=True)
    for answer in ("skip", "contact"):
        await chat.say("开放日")
        await chat.tap("1. 城南保障房")
        await chat.tap("📝 报名")
        await chat.say("张三")
        await chat.say("1")
        if answer == "skip":
            calls = await chat.say("跳过")
            assert "报名未成功" in chat.texts(calls)[0] and "验证手机号" in chat.texts(calls)[0]
        else:
            calls = await chat.send(chat.person.contact("+86 138 0013 8000"))
            assert "报名成功" in chat.texts(calls)[0]
    assert (await registration_of(services, chat.id)).phone == "13800138000"
