"""The bot as it runs: long polling, FSM state across restarts (database and Redis), throttling,
the language choice, and the text catalogs."""

from __future__ import annotations

import asyncio
import os
import string
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.i18n import CATALOGS, Html, texts
from bot.storage import make_storage
from complaints.models import Report
from tests.imaging import jpeg

from .conftest import Chat, tracking_number
from .fakes import Call, FakeBotAPI, Person

REDIS_URL = os.environ.get("CIVICDESK_TEST_REDIS_URL")


async def test_a_whole_report_by_long_polling(runtime, fake_api: FakeBotAPI, services):
    """getUpdates long polling, as `civicdesk bot` runs: an album and buttons included."""
    person = Person(fake_api, user_id=4242, first_name="周七")
    polling = asyncio.create_task(
        runtime.dispatcher.start_polling(
            runtime.bot, handle_signals=False, close_bot_session=False, polling_timeout=1
        )
    )

    async def send(update: dict, expect: str) -> Call:
        start = len(fake_api.calls)
        await fake_api.push_update(update)
        return await fake_api.wait_for(lambda c: c.chat_id == person.id and expect in c.text, start=start)

    def button(call: Call, label: str) -> dict:
        return person.press(
            next(b["callback_data"] for b in call.buttons() if label in b["text"]), call.message_id or 0
        )

    try:
        await send(person.text("/start"), "民生服务台")
        categories = await send(person.text("我要举报"), "请选择要反映的问题类别")
        await send(button(categories, "施工安全隐患"), "问题发生在哪里")
        await send(person.location(29.60, 106.50), "请描述")
        await send(person.text("塔吊没有防护网，钢管随时可能掉下来"), "请发送现场照片")
        start = len(fake_api.calls)
        for color in ((250, 0, 0), (0, 250, 0)):
            await fake_api.push_update(person.photo(jpeg(color=color), media_group_id="polled-album"))
        received = await fake_api.wait_for(lambda c: "已收到" in c.text, start=start)
        assert "已收到 2 张照片" in received.text
        await send(person.text("✅ 完成"), "需要工作人员联系您")
        summary = await send(person.text("跳过"), "问题类别：")
        done = await send(button(summary, "提交"), "举报已提交")
    finally:
        await runtime.dispatcher.stop_polling()
        await polling
    number = tracking_number(done.text)
    detail = await services.complaints.detail(number)
    assert detail.category.code == "safety_hazard" and len(detail.photos) == 2
    assert fake_api.offset > 0  # updates were confirmed to the server


async def _unfinished_report(chat: Chat) -> None:
    await chat.say("我要举报")
    await chat.tap("建筑垃圾")
    await chat.say("城南大道与滨江路交叉口")


async def _finish(chat: Chat) -> str:
    calls = await chat.say("渣土车夜间偷倒建筑垃圾")
    assert "请发送现场照片" in chat.texts(calls)[0]
    await chat.say("不上传照片")
    await chat.say("跳过")
    calls = await chat.tap("提交")
    return tracking_number(chat.texts(calls)[-1])


async def test_fsm_state_survives_a_restart_on_the_database(make_runtime, fake_api, services):
    person = Person(fake_api)
    first = make_runtime()
    await _unfinished_report(Chat(first, fake_api, person))
    await first.aclose()

    second = make_runtime()  # a new Dispatcher, Bot and storage: only the database is shared
    number = await _finish(Chat(second, fake_api, person))
    detail = await services.complaints.detail(number)
    assert detail.address == "城南大道与滨江路交叉口" and detail.category.code == "waste"


@pytest.mark.redis
async def test_fsm_state_survives_a_new_dispatcher_on_the_same_redis(make_runtime, fake_api, services):
    if not REDIS_URL:
        pytest.skip("CIVICDESK_TEST_REDIS_URL is not set; the Redis FSM storage test needs a server")
    prefix = f"civicdesk-test:{uuid.uuid4().hex}"
    settings = services.settings.model_copy(update={"redis_url": REDIS_URL})

    def on_redis() -> dict:
        storage, isolation = make_storage(settings, services.db, services.clock, prefix=prefix)
        return {"storage": storage, "isolation": isolation}

    person = Person(fake_api)
    first = make_runtime(**on_redis())
    await _unfinished_report(Chat(first, fake_api, person))
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    try:
        keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
        assert keys, "the conversation was not kept in Redis"
        await first.aclose()
        second = make_runtime(**on_redis())
        number = await _finish(Chat(second, fake_api, person))
        assert (await services.complaints.detail(number)).address == "城南大道与滨江路交叉口"
        # Finished: the conversation's keys are gone (state and data cleared).
        assert [k async for k in redis.scan_iter(f"{prefix}:*")] == []
    finally:
        async for key in redis.scan_iter(f"{prefix}:*"):
            await redis.delete(key)
        await redis.aclose()


async def test_too_many_messages_are_answered_once_politely(make_runtime, fake_api, services):
    services.settings.bot_messages_per_minute = 3
    chat = Chat(make_runtime(), fake_api, Person(fake_api))
    for _ in range(3):
        assert (await chat.say("/start"))[0].text.startswith("您好")
    calls = await chat.say("/start")
    assert chat.texts(calls) == ["您发送消息太频繁了，请稍等片刻再试。"]
    assert await chat.say("/start") == []  # told once, then quiet
    other = Chat(chat.runtime, fake_api, Person(fake_api, user_id=5005))
    assert (await other.say("/start"))[0].text.startswith("您好")  # per person


async def test_report_limit_per_hour_keeps_the_draft(make_runtime, fake_api, services, clock):
    services.settings.bot_reports_per_hour = 1
    chat = Chat(make_runtime(), fake_api, Person(fake_api))
    await _unfinished_report(chat)
    await _finish(chat)
    clock.advance(timedelta(minutes=10))
    await _unfinished_report(chat)
    calls = await chat.say("渣土车夜间偷倒建筑垃圾")
    await chat.say("不上传照片")
    await chat.say("跳过")
    calls = await chat.tap("提交")
    assert "一小时内已经提交了 1 份举报" in chat.texts(calls)[-1]
    async with services.db.session() as session:
        assert len(list(await session.scalars(select(Report)))) == 1
    clock.advance(timedelta(minutes=51))
    calls = await chat.tap("提交")  # the same summary: nothing had to be typed again
    assert "举报已提交" in chat.texts(calls)[-1]


async def test_language_choice_is_remembered_across_restarts(make_runtime, fake_api, services):
    person = Person(fake_api)
    chat = Chat(make_runtime(), fake_api, person)
    calls = await chat.say("/language")
    assert [b["text"] for b in calls[-1].buttons()] == ["简体中文", "English"]
    calls = await chat.tap("English")
    assert chat.texts(calls)[-1] == "Language set to English."
    assert [b["text"] for b in calls[-1].keyboard()] == [
        "Ask a policy question",
        "Report a problem",
        "My reports",
        "Open days",
    ]
    await chat.runtime.aclose()

    chat = Chat(make_runtime(), fake_api, person)
    calls = await chat.say("/start")
    assert chat.texts(calls)[0].startswith("Hello, 张三!")
    calls = await chat.say("My reports")
    assert "You have not submitted any reports" in chat.texts(calls)[0]
    # Menu buttons drawn in the other language still work.
    calls = await chat.say("我的举报")
    assert "You have not submitted any reports" in chat.texts(calls)[0]


def test_catalogs_have_the_same_keys_and_parameters():
    zh, en = CATALOGS["zh"], CATALOGS["en"]
    assert set(zh) == set(en)
    fields = lambda text: {f for _, f, _, _ in string.Formatter().parse(text) if f}  # noqa: E731
    for key in zh:
        assert fields(zh[key]) == fields(en[key]), key


def test_parameters_are_escaped_and_built_markup_is_not():
    tr = texts("zh")
    assert tr("ask.answer", text="<b>粗体</b> & 1<2") == "&lt;b&gt;粗体&lt;/b&gt; &amp; 1&lt;2"
    assert tr("ask.answer", text=Html("<b>已转义</b>")) == "<b>已转义</b>"
    assert tr.plain("throttle.reports", limit=5).startswith("您在一小时内已经提交了 5 份举报")
    assert texts("en-US").lang == "en" and texts("fr").lang == "zh"
