"""Policy questions through the bot: the real knowledge service answers, briefly and with citations; the
articles are one tap away; a reportable problem leads into the report flow with its category chosen."""

from __future__ import annotations

from sqlalchemy import select

from knowledge.models import KnowledgeQuestion

LAW = "示范县住宅装饰装修管理规定"


async def test_question_is_answered_with_its_citation_and_the_vote_is_stored(chat, knowledge, services):
    calls = await chat.say("装修的时候可以拆承重墙吗？")
    replies = [c for c in calls if c.method == "sendMessage"]
    assert len(replies) == 1, "one short reply"
    answer = replies[-1]
    assert f"（《{LAW}》第三条）" in answer.text and len(answer.text) <= 400
    assert answer.params.get("parse_mode") == "HTML"
    assert [b["text"] for b in answer.buttons()] == ["📖 查看条文", "👍 有帮助", "👎 没帮助"]
    # the article in full is not in the answer: it comes on request, as its own message
    article = await chat.tap("查看条文")
    shown = [c.text for c in article if c.method == "sendMessage"]
    assert shown and shown[0].startswith(f"<b>《{LAW}》第三条</b>\n第三条 ")
    assert not set(shown[0].split("\n")[1].split("，")) <= set(answer.text.split("，"))  # more than the answer

    await chat.tap("👍")
    async with services.db.session() as session:
        logged = (await session.scalars(select(KnowledgeQuestion))).one()
    assert logged.channel == "telegram"
    assert logged.helpful is True
    # the vote row goes, 查看条文 stays
    edited = [c for c in chat.api.calls_of("editMessageReplyMarkup")][-1]
    assert [b["text"] for b in edited.buttons()] == ["📖 查看条文"]


async def test_a_reportable_problem_offers_the_report_flow_with_its_category(chat, knowledge, services):
    await services.complaints.ensure_seed_data()
    calls = await chat.say("隔壁工地老板拖欠我们农民工工资三个月了，一直不给钱，去哪里投诉？")
    answer = [c for c in calls if c.method == "sendMessage"][-1]
    assert "我要举报" in answer.text
    assert "📝 我要举报" in [b["text"] for b in answer.buttons()]
    flow = await chat.tap("我要举报")
    texts = chat.texts(flow)
    assert "问题类别：<b>拖欠农民工工资</b>" in texts[0]
    assert "问题发生在哪里" in texts[-1]  # straight on to the location: the category is chosen


async def test_a_company_question_gets_no_report_button(chat, knowledge, services):
    calls = await chat.say("我们公司做家装工程，办理装修备案需要多长时间？")
    answer = [c for c in calls if c.method == "sendMessage"][-1]
    assert "📝 我要举报" not in [b["text"] for b in answer.buttons()]
