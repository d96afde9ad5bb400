"""How the conversations' answers read in WeChat: catalog HTML as plain text, each widget as a
line saying what to reply (WeChat has no buttons under a message), and text cut to WeChat's limits.

A reply is matched against the catalogs' button labels with their emoji taken off, in either
language ("完成", "✅ 完成" and "done" are the same answer).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache

from conversations.i18n import CATALOGS, Texts, as_plain
from conversations.report import STEPS
from core.conversation import Say

# WeChat's text limit is 2048 bytes for passive replies and customer-service messages alike.
MAX_BYTES = 2048

HINTS: dict[str, dict[str, str]] = {
    "zh": {
        "choose_number": "回复序号选择。",
        "location": "可点击输入框旁的“+”→“位置”发送位置，或直接输入地址。回复“取消”放弃。",
        "cancel_only": "回复“取消”可放弃本次举报。",
        "photos_none": "发完后回复“完成”；没有照片请回复“不上传照片”。",
        "photos_some": "可继续发送，回复“完成”进入下一步，回复“清空照片”重新上传。",
        "contact": "请回复手机号码；回复“匿名举报”匿名提交；回复“跳过”不留联系方式。",
        "confirm": "回复“提交”提交举报；回复“修改”修改某一项；回复“取消”放弃。",
        "edit_which": "要修改哪一项？回复序号：",
        "name": "请直接回复姓名。",
        "party": "请回复人数（1–{max}）。",
        "phone": "请回复手机号码，或回复“跳过”。",
        "skip": "可直接回复评价内容，或回复“跳过”。",
        "acknowledged": "收到，正在处理，请稍候……",
        "more": "（内容较长，余下部分见：{url}）",
        "status_link": "进度链接：{url}",
        "opendays_hint": "回复“报名 序号”报名（如“报名 1”），回复“详情 序号”查看详情，回复“我的报名”查看报名。",
        "status_hint": "回复受理编号（如 2026-000123）查看详情。",
        "template_first": "您的举报有新进展",
        "template_remark": "点击查看办理进度。",
        "openday_first": "开放日活动通知",
        "rate": "回复“满意”“基本满意”或“不满意”评价办理结果，可在后面附上意见（如“不满意 夜里仍在施工”）。",
        "rate_n": "回复“满意 {number}”“基本满意 {number}”或“不满意 {number}”评价办理结果，可在后面附上意见。",
        "reopen_n": "回复“申请重新办理 {number}”申请重新办理。",
        "supplement_n": "回复“补充 {number}”补充情况或照片。",
        "reason": "请直接回复理由；回复“取消”放弃。",
        "supplement": "发完后回复“完成”提交；回复“取消”放弃。",
        "which_rate": "请回复“满意 编号”“基本满意 编号”或“不满意 编号”，如“满意 {number}”。",
        "which_reopen": "请回复“申请重新办理 编号”，如“申请重新办理 {number}”。",
        "which_supplement": "请回复“补充 编号”，如“补充 {number}”。",
        "answer_sources": "回复“条文”查看所引条文全文。",
        "answer_votes": "回复“有帮助”或“没帮助”评价这个回答。",
        "no_answer": "请先提出一个问题，再回复“条文”查看所引条文，或回复“有帮助”“没帮助”评价回答。",
        "mine_hint": "回复“取消报名 序号”取消报名；活动结束后回复“评价 序号”打分。",
        "cancel_confirm": "回复“确定取消”取消报名；回复“保留报名”保留。",
        "stars": "请回复 1–5 的数字打分（5 分最好）。",
        "feedback_request": "回复“评价”为本次活动打分。",
        "published": "点击菜单“开放日”查看详情并报名。",
        "cut_report": "（内容较长，未完；回复 {number} 查看完整办理记录）",
        "cut": "（内容较长，已截断）",
    },
    "en": {
        "choose_number": "Reply with a number to choose.",
        "location": "Send a location (the “+” beside the input box → Location), or type the address. "
                    "Reply “cancel” to stop.",
        "cancel_only": "Reply “cancel” to stop this report.",
        "photos_none": "When done, reply “done”; without photos reply “no photo”.",
        "photos_some": "Send more, reply “done” to go on, or “clear photos” to start again.",
        "contact": "Reply with your phone number; “report anonymously” to stay anonymous; “skip” to leave none.",
        "confirm": "Reply “submit” to file the report, “edit” to change something, “cancel” to stop.",
        "edit_which": "What do you want to change? Reply with its number:",
        "name": "Reply with the visitor's name.",
        "party": "Reply with the number of visitors (1–{max}).",
        "phone": "Reply with a phone number, or “skip”.",
        "skip": "Reply with a comment, or “skip”.",
        "acknowledged": "Got it, working on it…",
        "more": "(The rest is at {url})",
        "status_link": "Status link: {url}",
        "opendays_hint": "Reply “register N” to register (e.g. “register 1”), “details N” for details, "
                         "“my registrations” for yours.",
        "status_hint": "Reply with a tracking number (e.g. 2026-000123) for its history.",
        "template_first": "There is news about your report",
        "template_remark": "Tap to see its progress.",
        "openday_first": "Open day notice",
        "rate": "Reply “satisfied”, “basically satisfied” or “dissatisfied” to rate the result; a comment may follow "
                "(e.g. “dissatisfied still noisy at night”).",
        "rate_n": "Reply “satisfied {number}”, “basically satisfied {number}” or “dissatisfied {number}” to rate "
                  "the result; a comment may follow.",
        "reopen_n": "Reply “reopen {number}” to ask for reopening.",
        "supplement_n": "Reply “add {number}” to add information or photos.",
        "reason": "Reply with the reason; “cancel” to stop.",
        "supplement": "When done, reply “done” to send it; “cancel” to stop.",
        "which_rate": "Reply “satisfied N”, “basically satisfied N” or “dissatisfied N”, e.g. “satisfied {number}”.",
        "which_reopen": "Reply “reopen N”, e.g. “reopen {number}”.",
        "which_supplement": "Reply “add N”, e.g. “add {number}”.",
        "answer_sources": "Reply “sources” for the full articles cited.",
        "answer_votes": "Reply “helpful” or “not helpful” to rate this answer.",
        "no_answer": "Ask a question first; then reply “sources” for the articles it cites, or “helpful” / "
                     "“not helpful” to rate the answer.",
        "mine_hint": "Reply “cancel registration N” to cancel; after an event, “rate N” to rate it.",
        "cancel_confirm": "Reply “yes, cancel” to cancel the registration, or “keep it” to keep it.",
        "stars": "Reply with a number from 1 to 5 (5 is best).",
        "feedback_request": "Reply “rate” to rate the event.",
        "published": "Open “Open days” in the menu for details and registration.",
        "cut_report": "(Too long for one message; reply {number} for the whole history.)",
        "cut": "(Too long for one message; shortened.)",
    },
}


def hint(lang: str, key: str, **params: object) -> str:
    template = HINTS.get(lang, HINTS["zh"])[key]
    return template.format(**params) if params else template


def normalized(text: str) -> str:
    """An answer as compared: NFKC, emoji and punctuation at the ends dropped, case folded."""
    text = unicodedata.normalize("NFKC", text).strip()
    text = re.sub(r"^[^\w]+|[^\w]+$", "", text)
    return " ".join(text.split()).casefold()


@cache
def answers(*keys: str) -> frozenset[str]:
    """Every way of giving the answer of catalog button `keys`, in every language."""
    return frozenset(normalized(catalog[key]) for catalog in CATALOGS.values() for key in keys)


def is_answer(text: str, *keys: str) -> bool:
    return normalized(text) in answers(*keys)


def render(say: Say, tr: Texts) -> str:
    """One `Say` as WeChat text: the catalog text, then what to reply for its widget ("plain":
    text already made plain, shown as it is)."""
    if say.widget == "plain":
        return say.text
    text = as_plain(say.text)
    lang = tr.lang
    extra: list[str] = []
    if say.widget == "categories":
        extra = [f"{n}. {c.name_en if lang == 'en' else c.name_zh}" for n, c in enumerate(say.data, start=1)]
        extra.append(hint(lang, "choose_number"))
    elif say.widget == "photos":
        extra = [hint(lang, "photos_some" if say.data else "photos_none")]
    elif say.widget == "party":
        extra = [hint(lang, "party", max=say.data)]
    elif say.widget in ("location", "cancel_only", "contact", "confirm", "name", "phone", "skip", "reason",
                        "cancel_confirm", "stars"):
        extra = [hint(lang, say.widget)]
    elif say.widget == "supplement":
        extra = [hint(lang, "supplement")]
    elif say.widget == "reopen":
        extra = [hint(lang, "reopen_n", number=say.data)]
    elif say.widget == "which":
        action, reports = say.data
        extra = [as_plain(tr("status.item", number=r.tracking_number,
                             category=r.category.name_en if lang == "en" else r.category.name_zh,
                             status=r.status_label)) for r in reports]
        extra.append(hint(lang, f"which_{action}", number=reports[0].tracking_number))
    elif say.widget == "edit_fields":
        extra = [hint(lang, "edit_which")]
        extra += [f"{n}. {tr.plain(f'report.field_{step}')}" for n, step in enumerate(STEPS, start=1)]
    return "\n".join([text, *extra]) if extra else text


def fits(text: str, limit: int = MAX_BYTES) -> bool:
    return len(text.encode("utf-8")) <= limit


def split(text: str, limit: int = MAX_BYTES) -> list[str]:
    """Text cut into pieces of at most `limit` UTF-8 bytes, at paragraph, then line, then character
    boundaries (never inside a character)."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if fits(candidate, limit):
            current = candidate
            continue
        if current:
            pieces.append(current)
        while not fits(line, limit):
            cut = len(line)
            while not fits(line[:cut], limit):
                cut = cut * 3 // 4 if cut > 8 else cut - 1
            while fits(line[: cut + 1], limit) and cut < len(line):
                cut += 1
            pieces.append(line[:cut])
            line = line[cut:]
        current = line
    if current:
        pieces.append(current)
    return pieces


def truncate(text: str, tail: str, limit: int = MAX_BYTES) -> str:
    """`text` cut to fit with `tail` (e.g. a link to the rest) after it."""
    if fits(text, limit):
        return text
    room = limit - len(tail.encode("utf-8")) - 2
    head = split(text, room)[0]
    return f"{head}\n{tail}"


def with_tail(text: str, tail: str, limit: int = MAX_BYTES) -> str:
    """`text` and, on a line of its own, `tail` (a note that something was cut), within `limit`."""
    joined = f"{text}\n{tail}"
    if fits(joined, limit):
        return joined
    room = limit - len(tail.encode("utf-8")) - 1
    return f"{split(text, room)[0]}\n{tail}"


def join(says: Sequence[Say], tr: Texts) -> str:
    return "\n\n".join(render(say, tr) for say in says if say.text)


def render_error(lang: str = "zh") -> str:
    return as_plain(CATALOGS.get(lang, CATALOGS["zh"])["error.generic"])
