"""Composing answers from retrieved articles: extractive by default, optionally by an LLM whose every
citation is checked against the retrieved sources; abstaining when retrieval is not confident."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from knowledge.retrieval import Hit
from knowledge.splitter import ARTICLE_RE, short_title

log = logging.getLogger(__name__)

QUOTED = 3  # articles quoted in an extractive answer
QUOTE_CHARS = 360  # longer articles are cut at a sentence end, the source keeps the full text


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    sources: list[Hit]
    mode: str  # extractive | llm | fallback | abstain
    llm: bool = False
    retrieval: str = "hybrid"
    confidence: float = 0.0
    fallback_reason: str = ""
    question_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "sources": [hit.as_source() for hit in self.sources],
            "mode": self.mode,
            "llm": self.llm,
            "retrieval": self.retrieval,
            "confidence": round(self.confidence, 4),
        }
        if self.fallback_reason:
            body["fallback_reason"] = self.fallback_reason
        if self.question_id is not None:
            body["question_id"] = self.question_id
        return body


# --- extractive ---------------------------------------------------------------------------------
def extractive_answer(question: str, hits: list[Hit], lang: str = "zh") -> str:
    quoted = hits[:QUOTED]
    if not quoted:
        return ""
    first = quoted[0].citation()
    others = "、".join(h.citation() for h in quoted[1:])
    if lang.startswith("en"):
        kind = "provisions" if quoted[0].article else "passages"
        lead = f"The {kind} most relevant to your question are {first}"
        lead += f", followed by {others.replace('、', ', ')}." if others else "."
    else:
        kind = "规定" if quoted[0].article else "内容"
        lead = f"与您的问题最相关的{kind}是{first}" + (f"，另见{others}。" if others else "。")
    lines = [lead, ""]
    for hit in quoted:
        lines.append(f"{hit.citation()}：{_quote(hit)}")
    return "\n".join(lines).strip()


def _quote(hit: Hit) -> str:
    text = ARTICLE_RE.sub("", hit.text).strip() if hit.article else hit.text.strip()
    text = text.replace("\n", " ")
    if len(text) <= QUOTE_CHARS:
        return text
    cut = max(text.rfind(mark, 0, QUOTE_CHARS) for mark in "。；")
    return (text[: cut + 1] if cut > QUOTE_CHARS // 2 else text[:QUOTE_CHARS]) + "……"


def abstain_answer(lang: str = "zh", contact: str = "") -> str:
    if lang.startswith("en"):
        text = (
            "Sorry, the regulations and service guides available here do not cover this question, so no "
            "answer can be given from them. Please contact the county housing and construction bureau "
            "directly, or, to report a problem at a construction site, use the \u201creport a problem\u201d flow."
        )
        return f"{text}\n\n{contact}" if contact else text
    text = (
        "抱歉，现有的法规和办事指南中没有找到能回答这个问题的内容，无法据此作答。"
        "建议直接联系县住建局咨询；如需反映工地或违法建设等问题，请使用本平台的“我要举报”功能。"
    )
    return f"{text}\n\n{contact}" if contact else text


# --- LLM ------------------------------------------------------------------------------------------
SYSTEM_PROMPT_ZH = (
    "你是县住房和城乡建设局的政策问答助手。只能依据用户消息中给出的【资料】回答，不得使用资料以外的知识。"
    "回答要简明（不超过300字），面向普通群众和企业。每个结论后都必须用《法规全称》第X条 的格式注明出处"
    "（办事指南写《指南标题》），只能引用资料中列出的条文。资料不能回答问题时，直接说明资料未涉及。"
)
SYSTEM_PROMPT_EN = (
    "You answer policy questions for a county housing and construction bureau. Use ONLY the provided "
    "[Sources]; no outside knowledge. Be brief (under 150 words). After every statement cite its source "
    "as 《full title》第X条 exactly as listed; cite nothing that is not listed. If the sources do not "
    "answer the question, say so."
)


def llm_messages(question: str, hits: list[Hit], lang: str = "zh") -> list[tuple[str, str]]:
    sources = "\n\n".join(f"[{i}] {hit.citation()}\n{hit.text}" for i, hit in enumerate(hits, start=1))
    if lang.startswith("en"):
        return [("system", SYSTEM_PROMPT_EN), ("human", f"[Sources]\n{sources}\n\n[Question]\n{question}")]
    return [("system", SYSTEM_PROMPT_ZH), ("human", f"【资料】\n{sources}\n\n【问题】\n{question}")]


_CITED_LAW = re.compile(r"《([^《》]{2,60})》")
_CITED_ARTICLE = re.compile(r"第[零〇一二三四五六七八九十百千0-9]+条")


def check_citations(reply: str, hits: list[Hit]) -> tuple[bool, str]:
    """(ok, reason): every 《title》 and every `第X条` after it must be among the retrieved sources.

    An article number written without a title belongs to the last title named before it. A reply
    with no citation at all fails: the prompt demands them.
    """
    allowed_titles = {hit.law for hit in hits} | {short_title(hit.law) for hit in hits}
    allowed = {(short_title(hit.law), hit.article) for hit in hits if hit.article}
    guides = {short_title(hit.law) for hit in hits if not hit.article}
    current: str | None = None
    cited = 0
    tokens = sorted(
        [(m.start(), "law", m.group(1)) for m in _CITED_LAW.finditer(reply)]
        + [(m.start(), "article", m.group(0)) for m in _CITED_ARTICLE.finditer(reply)]
    )
    for _, kind, value in tokens:
        if kind == "law":
            title = value.strip()
            if title not in allowed_titles:
                return False, f"cites a document that was not retrieved: 《{title}》"
            current = short_title(title)
            cited += 1
            continue
        if current is None:
            return False, f"cites {value} without naming its law"
        if current in guides and (current, value) not in allowed:
            return False, f"cites {value} of a guide"
        if (current, value) not in allowed:
            return False, f"cites an article that was not retrieved: 《{current}》{value}"
        cited += 1
    if not cited:
        return False, "the reply cites no source"
    return True, ""
