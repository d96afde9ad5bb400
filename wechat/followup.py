"""回访 and additions typed on WeChat, over the shared `conversations/followup.py`.

No buttons under a message: a rating is the word itself, with the report's number and a comment
if wanted ("不满意 2026-000123 夜里仍在施工"); "申请重新办理" and "补充" start the reason and the
addition. Without a number the reply means the person's only report that allows it; with several,
they are listed and the person is asked to add the number. An addition may take several messages
(WeChat photos have no caption): text and photos are gathered until "完成".
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from complaints.followup import Rating
from complaints.schemas import Channel, FollowupView
from complaints.service import ChannelUser
from conversations.followup import RATE, REOPEN, SUPPLEMENT, FollowupConversation
from conversations.i18n import Texts
from core.conversation import Say

from . import texts as wx

if TYPE_CHECKING:
    from .channel import WeChatChannel

NUMBER = r"(?:\s*(\d{4}-\d{6}))?"
RATINGS = {"基本满意": Rating.BASICALLY_SATISFIED, "不满意": Rating.DISSATISFIED, "满意": Rating.SATISFIED,
           "basically satisfied": Rating.BASICALLY_SATISFIED, "dissatisfied": Rating.DISSATISFIED,
           "satisfied": Rating.SATISFIED}
# A rating word, then the number, then (after a space or punctuation) a comment: "满意度" is no rating.
RATING = re.compile(r"^(" + "|".join(RATINGS) + r")" + NUMBER + r"(?:(?:\s+|[，,:：。;；!！])\s*(.*))?$",
                    re.I | re.S)
REOPEN_WORDS = re.compile(r"^(?:申请重新办理|重新办理|ask for reopening|reopen)" + NUMBER + "$", re.I)
SUPPLEMENT_WORDS = re.compile(r"^(?:补充情况或照片|补充情况|补充|add information or a photo|add information|add)"
                              + NUMBER + "$", re.I)


def _clean(text: str) -> str:
    """NFKC, the catalog buttons' emoji dropped ("😞 不满意" is "不满意")."""
    return re.sub(r"^[^\w]+", "", unicodedata.normalize("NFKC", text).strip())


def conversation(channel: WeChatChannel, openid: str, tr: Texts) -> FollowupConversation:
    return FollowupConversation(channel.state_of(openid), tr, channel.services.complaints,
                                ChannelUser(Channel.WECHAT.value, openid), channel.services.bureau_time.date_text,
                                channel.photos)


async def typed(channel: WeChatChannel, openid: str, text: str, tr: Texts) -> list[Say] | None:
    """The answer when `text` is a rating, a reopening request or "add"; None otherwise."""
    clean = _clean(text)
    flow = conversation(channel, openid, tr)
    rated = RATING.match(clean)
    if rated:
        picked = await flow.pick(RATE, rated.group(2))
        if picked.number is None:
            return picked.says
        rating = RATINGS[rated.group(1).casefold()]
        return (await flow.rate(picked.number, rating.value, (rated.group(3) or "").strip() or None)).says
    reopen = REOPEN_WORDS.match(clean)
    if reopen:
        picked = await flow.pick(REOPEN, reopen.group(1))
        return await flow.start_reopen(picked.number, check=True) if picked.number else picked.says
    add = SUPPLEMENT_WORDS.match(clean)
    if add:
        picked = await flow.pick(SUPPLEMENT, add.group(1))
        return await flow.start_supplement(picked.number, in_parts=True) if picked.number else picked.says
    return None


async def step(channel: WeChatChannel, openid: str, text: str, tr: Texts, at: str) -> list[Say]:
    """A text inside the flow: the reason, or a part of the addition ("完成" sends it)."""
    flow = conversation(channel, openid, tr)
    if at == "reason":
        return await flow.give_reason(text)
    if wx.is_answer(text, "report.button_done"):
        return await flow.finish_supplement()
    return await flow.add_text(text)


async def photo(channel: WeChatChannel, openid: str, media_id: str, tr: Texts) -> list[Say]:
    ref = {"media_id": media_id, "unique_id": media_id, "filename": None, "size": None}
    return await conversation(channel, openid, tr).add_photo(ref, channel.photo_lock(openid))


def actions(number: str, view: FollowupView, lang: str) -> list[str]:
    """What the reporter of `number` may reply now (under the report's history)."""
    hints = []
    if view.can_rate:
        hints.append(wx.hint(lang, "rate_n", number=number))
    if view.can_request_reopen:
        hints.append(wx.hint(lang, "reopen_n", number=number))
    if view.can_supplement:
        hints.append(wx.hint(lang, "supplement_n", number=number))
    return hints

