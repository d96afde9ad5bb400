"""Policy questions through the bot: the real knowledge service answers, with citations."""

from __future__ import annotations

from sqlalchemy import select

from knowledge.models import KnowledgeQuestion


async def test_question_is_answered_with_its_citation_and_the_vote_is_stored(chat, knowledge, services):
    calls = await chat.say("装修的时候可以拆承重墙吗？")
    replies = [c for c in calls if c.method == "sendMessage"]
    print([r.text for r in replies])
    assert replies, "the bot did not answer"
    answer = replies[-1]
    assert "《示范县住宅装饰装修管理规定》第三条" in answer.text
    assert answer.params.get("parse_mode") == "HTML"
    assert [b["text"] for b in answer.buttons()] == ["👍 有帮助", "👎 没帮助"]

    await chat.tap("👍")
    async with services.db.session() as session:
        logged = (await session.scalars(select(KnowledgeQuestion))).one()
    assert logged.channel == "telegram"
    assert logged.helpful is True
