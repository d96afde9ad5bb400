"""Policy questions on WeChat: the cited answer, and what can follow it without buttons.

The answer's question id, its suggested report category and the question are kept in the person's
conversation data (no flow state), so the next replies can act on it: "条文" shows the full cited
articles ("查看条文"), "有帮助"/"没帮助" votes, and 我要举报 (the menu, or typed) starts the report
with the suggested category already chosen, as the answer's hand-off note says.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from complaints.schemas import Channel
from conversations.answers import has_sources, render_answer, render_sources
from conversations.i18n import Html, Texts, as_plain
from core.conversation import Say
from core.errors import DomainError, NotFound

from . import texts as wx

if TYPE_CHECKING:
    from .channel import WeChatChannel

log = logging.getLogger(__name__)
SOURCES = 3  # articles behind an answer, as on Telegram
# The full articles are sent in at most this many messages; the rest is on the portal's answer page.
MAX_SOURCE_PIECES = 3
# A suggestion is used by 我要举报 only soon after its answer (later, the person starts afresh).
HANDOFF_WINDOW = timedelta(minutes=30)
SOURCE_WORDS = frozenset({"条文", "查看条文", "依据", "sources", "articles", "show sources"})
VOTE_WORDS = {"有帮助": True, "helpful": True, "没帮助": False, "没有帮助": False, "not helpful": False}


async def question(channel: WeChatChannel, openid: str, text: str, tr: Texts) -> list[Say]:
    services = channel.services
    try:
        answer = await services.knowledge.ask(text.strip(), k=SOURCES, lang=tr.lang, channel=Channel.WECHAT.value)
    except DomainError as exc:
        return [Say(tr("ask.refused", reason=exc.message(tr.lang)))]
    except Exception:
        log.exception("answering a WeChat question failed")
        return [Say(tr("ask.unavailable"))]
    state = channel.state_of(openid)
    if await state.get_state() is None:  # remembered for the replies that may follow
        suggestion = answer.report_suggestion.category if answer.report_suggestion else None
        await state.set_data({"answer": {"question_id": answer.question_id, "question": text.strip()[:500],
                                         "category": suggestion, "at": services.clock.now().isoformat()}})
    hints: list[str] = []
    if has_sources(answer):
        hints.append(wx.hint(tr.lang, "answer_sources"))
    if answer.question_id is not None:
        hints.append(wx.hint(tr.lang, "answer_votes"))
    return [Say(Html(render_answer(answer, tr) + ("\n\n" + "\n".join(hints) if hints else "")))]


async def last_answer(channel: WeChatChannel, openid: str) -> dict[str, Any] | None:
    state = channel.state_of(openid)
    if await state.get_state() is not None:
        return None
    return (await state.get_data()).get("answer")


async def handoff_category(channel: WeChatChannel, openid: str) -> str | None:
    """The category the last answer suggested reporting under, while it is fresh."""
    answer = await last_answer(channel, openid)
    if not answer or not answer.get("category"):
        return None
    if channel.services.clock.now() - datetime.fromisoformat(answer["at"]) > HANDOFF_WINDOW:
        return None
    return str(answer["category"])


async def sources(channel: WeChatChannel, openid: str, tr: Texts) -> list[Say]:
    """"查看条文": the full articles behind the last answer, in at most MAX_SOURCE_PIECES messages;
    what does not fit is named, with the portal's page for the same question."""
    answer = await last_answer(channel, openid)
    found = []
    if answer and answer.get("question_id"):
        try:
            found = await channel.services.knowledge.question_sources(int(answer["question_id"]))
        except NotFound:
            found = []
    if not found:
        return [Say(tr("button.expired") if answer else Html(wx.hint(tr.lang, "no_answer")))]
    text = as_plain(render_sources(found, tr))
    pieces = wx.split(text)
    if len(pieces) > MAX_SOURCE_PIECES:
        base = channel.services.settings.public_base_url.rstrip("/")
        url = f"{base}/ask?" + urlencode({"q": answer["question"], **({"lang": "en"} if tr.lang == "en" else {})})
        pieces = [*pieces[:MAX_SOURCE_PIECES - 1], wx.with_tail(pieces[MAX_SOURCE_PIECES - 1],
                                                                 wx.hint(tr.lang, "more", url=url))]
    return [Say(Html(piece), "plain") for piece in pieces]


async def vote(channel: WeChatChannel, openid: str, helpful: bool, tr: Texts) -> list[Say]:
    answer = await last_answer(channel, openid)
    if not answer or not answer.get("question_id"):
        return [Say(Html(wx.hint(tr.lang, "no_answer")))]
    try:
        await channel.services.knowledge.vote(int(answer["question_id"]), helpful)
    except NotFound:
        return [Say(tr("button.expired"))]
    return [Say(tr("ask.vote_thanks"))]
