"""What the Telegram bot can do after the first message, played on WeChat over `/wechat/callback`
(signed, and in 安全模式 encrypted, XML against the fake WeChat API, on SQLite and PostgreSQL):
回访 with a comment and a reopening request, a supplement of text and photos, cancelling an
open-day registration and rating the event afterwards with its calendar link, the policy answer's
hand-off and its full articles, English, and WeChat's length limits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from civicdesk.container import Services
from complaints.service import ChannelUser
from tests.imaging import jpeg

from .conftest import Account
from .fake import TEXT_LIMIT, FakeWeChatAPI
from .test_conversations import _file_report

LAW = "示范县住宅装饰装修管理规定"


async def _resolve(services: Services, number: str, message: str = "已覆盖防尘网") -> None:
    for to in ("accepted", "assigned", "in_progress", "resolved"):
        await services.complaints.transition(number, "triager1", to,
                                             public_message=message if to == "resolved" else None)


def _who(person: Account) -> ChannelUser:
    return ChannelUser("wechat", person.openid)


async def test_a_resolved_report_is_rated_with_a_comment_and_reopening_is_asked_for(
    person: Account, services: Services, deliver: Any, fake_wechat: FakeWeChatAPI,
) -> None:
    number = await _file_report(person)
    await _resolve(services, number)
    assert (await deliver()).sent >= 1
    told = fake_wechat.texts_to(person.openid)[-1]
    assert "您对办理结果满意吗" in told and "回复“满意”“基本满意”或“不满意”" in told
    # the history says what can be replied now, with the number
    history = await person.say(number)
    assert f"回复“满意 {number}”" in history and "申请重新办理" not in history
    rated = await person.say("😞 不满意，夜里还在施工")
    assert "感谢您的评价：不满意" in rated and f"回复“申请重新办理 {number}”" in rated
    assert "您没有待评价的举报" in await person.say("满意")
    assert "您已评价过" in await person.say(f"满意 {number}")  # one rating per resolution
    assert "请说明哪里没有解决" in await person.say(f"申请重新办理 {number}")
    assert "至少需要 5 个字符" in await person.say("没")  # asked again, still in the step
    assert "已收到您的重新办理申请" in await person.say("防尘网第二天就被撤了，晚上照样打桩")
    view = await services.complaints.followup_view(number, _who(person))
    assert (view.rating, view.comment, view.reopen_requested) == ("dissatisfied", "夜里还在施工", True)
    assert (await services.complaints.detail(number)).attention == "reopen_request"
    assert "您没有可以申请重新办理的举报" in await person.say("申请重新办理")
    # a stranger cannot rate someone else's report by typing its number
    stranger = Account(person.app, "o6_stranger_000000000000001", aes=False)
    try:
        assert "找不到" in await stranger.say(f"满意 {number}")
    finally:
        await stranger.aclose()


async def test_text_and_two_photos_are_added_to_an_open_report(
    person: Account, services: Services, fake_wechat: FakeWeChatAPI,
) -> None:
    fake_wechat.media |= {"MEDIA_A": jpeg(640, 480), "MEDIA_B": jpeg(800, 600), "BROKEN": b"not a jpeg"}
    number = await _file_report(person)
    assert f"回复“补充 {number}”" in await person.say(number)
    started = await person.say("补充")  # the only open report: no number needed
    assert "请发送要补充的文字和照片" in started and "回复“完成”提交" in started
    assert "文字 1 条，照片 0 张" in await person.say("今天傍晚又有渣土车带泥上路")
    assert "照片 1 张" in await person.image("MEDIA_A")
    refused = await person.image("BROKEN")
    assert "照片 1 张" not in refused and "回复“完成”提交" in refused  # refused at once, the rest kept
    assert "照片 2 张" in await person.image("MEDIA_B")
    assert "补充内容已提交" in await person.say("完成")
    detail = await services.complaints.detail(number)
    assert detail.attention == "supplement" and detail.photo_count == 2
    [added] = [e for e in detail.events if e.kind == "supplement"]
    assert added.public_message == "今天傍晚又有渣土车带泥上路" and added.to_value == "1,2"
    # a photo outside any flow is not taken in silently
    assert "请先点击“我要举报”" in await person.image("MEDIA_A")


async def test_an_open_day_registration_is_cancelled_and_another_rated_after_the_event(
    person: Account, services: Services, deliver: Any, fake_wechat: FakeWeChatAPI,
) -> None:
    from tests.opendays.support import published_event

    first = await published_event(services)
    second = await published_event(services, title="城北安置房项目工地开放日")
    await person.click("OPENDAYS")
    for n, name in ((1, "李四"), (2, "王五")):
        await person.say(f"报名 {n}")
        await person.say(name)
        await person.say("1")
        assert "报名成功" in await person.say("跳过")
    mine = await person.click("MY_OPENDAYS")
    assert first.title in mine and second.title in mine and "回复“取消报名 序号”" in mine
    titles = [r.event.title for r in await services.opendays.registrations_of_user("wechat", person.openid, "zh")]
    n = titles.index(first.title) + 1
    assert f"确定要取消“{first.title}”的报名吗" in await person.say(f"取消报名 {n}")
    assert "请确认" in await person.say("嗯")  # neither answer: asked again
    assert f"已取消您在“{first.title}”的报名" in await person.say("确定取消")
    statuses = {r.event.title: r.status for r in
                await services.opendays.registrations_of_user("wechat", person.openid, "zh")}
    assert first.title not in statuses and statuses[second.title] == "confirmed"
    assert "没有可以评价" in await person.say("评价")  # nothing is over yet

    services.clock.advance(timedelta(days=11))  # type: ignore[attr-defined]
    await person.say("你好")  # within 48 hours of this, customer-service messages may be sent
    await services.opendays.due_notifications()
    assert (await deliver()).sent >= 1
    asked = fake_wechat.texts_to(person.openid)[-1]
    assert "请为本次活动打分" in asked and "回复“评价”" in asked
    assert "请为本次活动打分" in await person.say("评价")  # the only event that can be rated
    assert "1 到 5" in await person.say("6")
    assert "已记录 ⭐⭐⭐⭐ 4 星" in await person.say("4星")
    assert "谢谢您的反馈" in await person.say("讲解很清楚，就是时间短了点")
    [rated] = [r for r in await services.opendays.registrations_of_user("wechat", person.openid, "zh")
               if r.feedback]
    assert rated.event.title == second.title and rated.feedback is not None
    assert (rated.feedback.rating, rated.feedback.comment) == (4, "讲解很清楚，就是时间短了点")


async def test_a_registration_gives_the_calendar_link(person: Account, services: Services) -> None:
    from tests.opendays.support import published_event

    event = await published_event(services)
    await person.click("OPENDAYS")
    await person.say("报名 1")
    await person.say("李四")
    await person.say("2")
    done = await person.say("跳过")
    link = f"http://testserver/open-days/{event.id}.ics"
    assert "报名成功" in done and f"加入日历：{link}" in done
    assert f"加入日历：{link}" in await person.say("详情 1")
    assert link in await person.say("我的报名")
    calendar = await person.client.get(link.removeprefix("http://testserver"))
    assert calendar.status_code == 200 and "BEGIN:VCALENDAR" in calendar.text and event.title in calendar.text


async def test_a_policy_answer_hands_off_to_a_report_and_shows_its_articles(
    plain_person: Account, knowledge: Any, services: Services,
) -> None:
    await services.complaints.ensure_seed_data()
    answer = await plain_person.say("隔壁工地老板拖欠我们农民工工资三个月了，一直不给钱，去哪里投诉？")
    assert "问题类别已为您选好" in answer
    handed = await plain_person.click("REPORT")
    assert "问题类别：拖欠农民工工资" in handed and "问题发生在哪里" in handed  # straight to the location
    await plain_person.say("取消")

    answer = await plain_person.say("装修的时候可以拆承重墙吗？")
    assert f"（《{LAW}》第三条）" in answer and "回复“条文”查看所引条文全文" in answer
    articles = await plain_person.say("条文")
    assert f"《{LAW}》第三条" in articles and "承重结构" in articles and "<b>" not in articles
    assert "感谢您的反馈" in await plain_person.say("有帮助")
    [logged] = await knowledge.questions(limit=1)
    assert logged.helpful is True
    # 我要举报 after an answer without a suggestion starts with the category question
    assert "请选择要反映的问题类别" in await plain_person.click("REPORT")


async def test_english_from_wechat_user_info_and_the_language_menu(
    wechat_app: Any, services: Services, fake_wechat: FakeWeChatAPI,
) -> None:
    person = Account(wechat_app, "o6_english_speaker_00000001", aes=True)
    fake_wechat.languages[person.openid] = "en"
    try:
        greeting = person.reply_of(await person.post(person.xml("event", Event="subscribe")))
        assert greeting.startswith("Hello! This is the Civic Desk")
        categories = await person.click("REPORT")
        assert "What kind of problem" in categories and "Reply with a number" in categories
        assert "Where is it" in await person.say("1")
        assert "cancel" in (await person.say("cancel")).lower()
        assert "切换为简体中文" in await person.click("LANGUAGE")  # the menu's switch, like /language
        assert "请选择要反映的问题类别" in await person.click("REPORT")
        assert "Language set to English" in await person.say("English")
    finally:
        await person.aclose()
    # a follower whose WeChat says nothing (user/info withholds it) gets the default, Chinese
    other = Account(wechat_app, "o6_no_language_00000000001", aes=False)
    try:
        assert "民生服务台" in other.reply_of(await other.post(other.xml("event", Event="subscribe")))
    finally:
        await other.aclose()


async def test_every_reply_stays_within_wechats_2048_bytes(
    person: Account, services: Services, deliver: Any, fake_wechat: FakeWeChatAPI,
) -> None:
    number = await _file_report(person)
    long_reply = "经现场核查，" + "施工单位已按要求整改，覆盖裸土、清洗路面并增设围挡喷淋设施。" * 60
    await _resolve(services, number, message=long_reply[:1900])
    assert (await deliver()).sent >= 1
    told = fake_wechat.texts_to(person.openid)[-1]
    assert len(told.encode()) <= TEXT_LIMIT and f"回复 {number} 查看完整办理记录" in told
    # the whole history is still there: split over the passive reply and customer-service messages
    before = len(fake_wechat.texts_to(person.openid))
    first = await person.say(number)
    assert (await deliver()).sent >= 2
    rest = fake_wechat.texts_to(person.openid)[before:]
    whole = (first + "".join(rest)).replace("\n", "")
    assert long_reply[:1900].replace("\n", "") in whole
    assert fake_wechat.refused == []

