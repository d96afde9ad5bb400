"""The report conversation, played through the real aiogram dispatcher against the fake Bot API."""

from __future__ import annotations

import os
from datetime import timedelta

from sqlalchemy import func, select

from bot.models import BotFsmRecord
from complaints.models import Report
from complaints.schemas import ReportFilters
from tests.imaging import jpeg, png

from .conftest import Chat, file_report, tracking_number


async def start_report(chat: Chat, category: str = "施工扬尘") -> None:
    await chat.say("我要举报")
    await chat.tap(category)


async def reports_stored(services) -> int:  # noqa: ANN001
    async with services.db.session() as session:
        return await session.scalar(select(func.count()).select_from(Report))


async def test_report_with_an_album_of_two_photos_is_stored_with_category_and_location(
    chat, fake_api, services
):
    await chat.say("我要举报")
    categories = [b["text"] for b in fake_api.messages_to(chat.id)[-1].buttons()]
    assert "施工扬尘" in categories and "拖欠农民工工资" in categories
    await chat.tap("施工扬尘")
    location_prompt = fake_api.messages_to(chat.id)[-1]
    assert any(b.get("request_location") for b in location_prompt.keyboard())

    await chat.send(chat.person.location(29.5631, 106.5516))
    assert "请描述" in chat.last_text()
    calls = await chat.say("太短")
    assert "描述太短了" in chat.texts(calls)[0]
    await chat.say("工地裸土没有覆盖，刮风时扬尘很大，已经持续一周")
    assert "请发送现场照片" in chat.last_text()

    calls = await chat.send_together(
        [
            chat.person.photo(jpeg(color=(200, 10, 10)), media_group_id="album-1"),
            chat.person.photo(jpeg(color=(10, 200, 10)), media_group_id="album-1"),
        ]
    )
    # The album is one step: both photos downloaded through getFile + the file URL, one reply.
    assert [c.method for c in calls].count("getFile") == 2
    assert [c.method for c in calls].count("download") == 2
    assert chat.texts(calls) == ["已收到 2 张照片，目前共 2/5 张。可以继续发送，或点击“完成”。"]

    await chat.say("✅ 完成")
    await chat.say("跳过")
    summary = fake_api.messages_to(chat.id)[-1]
    assert "施工扬尘" in summary.text and "2 张" in summary.text
    calls = await chat.tap("提交")
    done = chat.texts(calls)[-1]
    assert "举报已提交" in done
    number = tracking_number(done)

    detail = await services.complaints.detail(number)
    assert detail.category.code == "dust"
    assert (detail.lat, detail.lon) == (29.5631, 106.5516)
    assert len(detail.photos) == 2
    assert detail.channel == "telegram"
    assert detail.reporter.channel_user_id == str(chat.id)
    # The conversation is over: nothing left in the FSM table.
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(BotFsmRecord)) == 0


async def test_non_image_document_is_refused_and_the_flow_continues(chat, fake_api, services):
    await start_report(chat)
    await chat.say("城关镇人民路 88 号在建小区工地")
    await chat.say("晚上十一点还在打桩，噪声很大")
    calls = await chat.send(
        chat.person.document(b"%PDF-1.4 not a photo at all", "举报材料.pdf", "application/pdf")
    )
    refusal = chat.texts(calls)[0]
    assert "照片“举报材料.pdf”不是支持的图片格式" in refusal
    assert "这张未收录" in refusal
    # Still on the photo step: an image sent as a file (PNG original) is taken.
    calls = await chat.send(chat.person.document(png(), "现场.png", "image/png"))
    assert "目前共 1/5 张" in chat.texts(calls)[-1]
    await chat.say("✅ 完成")
    await chat.say("跳过")
    calls = await chat.tap("提交")
    number = tracking_number(chat.texts(calls)[-1])
    detail = await services.complaints.detail(number)
    assert [p.mime for p in detail.photos] == ["image/png"]
    assert detail.address == "城关镇人民路 88 号在建小区工地"


async def test_cancel_midway_leaves_nothing_stored(chat, fake_api, services):
    await start_report(chat)
    await chat.say("城关镇人民路 88 号")
    await chat.say("工地围挡倒塌，占用人行道")
    await chat.send(chat.person.photo(jpeg()))
    calls = await chat.say("/cancel")
    assert chat.texts(calls) == ["已取消，本次填写的内容均未保存。"]
    assert [b["text"] for b in calls[-1].keyboard()] == ["政策咨询", "我要举报", "我的举报", "开放日"]
    assert await reports_stored(services) == 0
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(BotFsmRecord)) == 0
    # Text after cancelling is a question again, not a description.
    calls = await chat.say("/cancel")
    assert chat.texts(calls) == ["当前没有进行中的操作。"]


async def test_cancel_button_on_the_summary_and_edit_before_submitting(chat, fake_api, services):
    await start_report(chat, "夜间施工噪声")
    await chat.say("城关镇人民路 88 号")
    await chat.say("每天夜里两点还在施工")
    await chat.say("不上传照片")
    await chat.send(chat.person.contact("8613800001111"))
    summary = fake_api.messages_to(chat.id)[-1].text
    assert "+8613800001111" in summary and "0 张" in summary

    await chat.tap("修改")
    await chat.tap("问题描述")
    await chat.say("每天夜里两点还在用电锯切割钢筋")
    summary = fake_api.messages_to(chat.id)[-1].text
    assert "电锯" in summary and "+8613800001111" in summary  # the rest is kept

    await chat.tap("取消")
    assert await reports_stored(services) == 0
    assert "已取消" in chat.last_text()


async def test_contact_and_anonymous_choices_reach_the_report(chat, fake_api, services):
    await start_report(chat, "拖欠农民工工资")
    await chat.say("开发区二期工地")
    await chat.say("包工头拖欠我们十二个人三个月工资")
    await chat.say("不上传照片")
    calls = await chat.send(chat.person.contact("13800001111", own=False))
    assert "本人的号码" in chat.texts(calls)[0]
    await chat.send(chat.person.contact("13800001111"))
    calls = await chat.tap("提交")
    number = tracking_number(chat.texts(calls)[-1])
    detail = await services.complaints.detail(number)
    assert detail.reporter.phone == "+13800001111" and detail.reporter.name == "张三"
    assert not detail.reporter.anonymous

    number = await file_report(
        chat, address="开发区二期工地东门", description="渣土车不冲洗就上路", contact="🙈 匿名举报"
    )
    detail = await services.complaints.detail(number)
    assert detail.reporter.anonymous and detail.reporter.phone is None


async def test_unexpected_input_at_each_step_reprompts_without_losing_anything(chat, fake_api, services):
    await chat.say("我要举报")
    calls = await chat.say("扬尘")
    assert "请点击上方按钮" in chat.texts(calls)[0]
    await chat.tap("施工扬尘")
    calls = await chat.say("城关")
    assert "地址太短了" in chat.texts(calls)[0]
    calls = await chat.send(chat.person.photo(jpeg()))
    assert "请发送位置" in chat.texts(calls)[0]
    await chat.say("城关镇人民路 88 号")
    calls = await chat.send(chat.person.photo(jpeg()))
    assert "照片在下一步上传" in chat.texts(calls)[0]
    await chat.say("工地围挡倒塌，占用人行道")
    calls = await chat.say("发好了")
    assert "请发送照片" in chat.texts(calls)[0]
    # Pressing "report" again in the middle resumes the step instead of starting over.
    calls = await chat.say("我要举报")
    assert "请发送现场照片" in chat.texts(calls)[0]
    # /start mentions the unfinished report and shows where it stands.
    calls = await chat.say("/start")
    assert any("尚未提交的举报" in t for t in chat.texts(calls))
    assert await reports_stored(services) == 0


async def test_a_report_left_for_days_is_cleared_with_a_message(chat, fake_api, services, clock, knowledge):
    await start_report(chat)
    await chat.say("城关镇人民路 88 号")
    clock.advance(timedelta(hours=71))
    calls = await chat.say("装修时拆了承重墙")  # two days later: still where it was left
    assert "请发送现场照片" in chat.texts(calls)[-1]
    clock.advance(timedelta(hours=73))
    calls = await chat.say("装修时可以拆承重墙吗")
    texts = chat.texts(calls)
    assert "已超过 72 小时未填写" in texts[0]
    # The message is then handled outside the flow: answered as a question.
    assert "承重墙" in texts[-1] and "👍 有帮助" in [b["text"] for b in calls[-1].buttons()]


async def test_photo_limit_and_duplicates(chat, fake_api, services):
    await start_report(chat)
    await chat.say("城关镇人民路 88 号")
    await chat.say("工地围挡倒塌，占用人行道")
    first = chat.person.photo(jpeg(color=(1, 1, 1)))
    await chat.send(first)
    calls = await chat.send(first | {"update_id": fake_api.new_update_id()})
    assert chat.texts(calls) == ["这张照片已经收到过了。"]
    album = [chat.person.photo(jpeg(color=(i * 40, 0, 0)), media_group_id="big") for i in range(5)]
    calls = await chat.send_together(album)
    texts = chat.texts(calls)
    assert "多出的 1 张未收录" in texts[0]
    assert "目前共 5/5 张" in texts[-1]
    calls = await chat.say("🗑 清空照片")
    assert "已清空照片" in chat.texts(calls)[0]


async def test_tracking_number_typed_shows_only_ones_own_report(chat, fake_api, services, make_runtime):
    number = await file_report(chat)
    calls = await chat.say(number)
    assert "当前状态：</b>已提交，待受理" in chat.texts(calls)[0]
    calls = await chat.say("我的举报")
    listing = calls[-1]
    assert number in listing.text and [b["text"] for b in listing.buttons()] == [f"{number} · 已提交，待受理"]
    calls = await chat.tap(number)
    assert "提交举报" in chat.texts(calls)[0]

    from .fakes import Person

    stranger = Chat(chat.runtime, fake_api, Person(fake_api, user_id=2002, first_name="李四"))
    calls = await stranger.say(number)
    assert "找不到您提交的这份举报" in stranger.texts(calls)[0]
    assert (await services.complaints.search(ReportFilters())).total == 1


async def test_a_huge_file_is_refused_before_it_is_downloaded(chat, fake_api, services):
    await start_report(chat)
    await chat.say("城关镇人民路 88 号")
    await chat.say("工地围挡倒塌，占用人行道")
    huge = os.urandom(services.settings.max_photo_bytes + 1024)
    calls = await chat.send(chat.person.document(huge, "IMG_0001.JPG", "image/jpeg"))
    assert "太大" in chat.texts(calls)[0] and "不超过 10 MB" in chat.texts(calls)[0]
    assert [c.method for c in calls if c.method in ("getFile", "download")] == []
    calls = await chat.send(chat.person.photo(jpeg()))
    assert "目前共 1/5 张" in chat.texts(calls)[-1]
