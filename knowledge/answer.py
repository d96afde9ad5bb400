"""Composing the short answer: the one to three sentences of the retrieved articles that answer the
question, each followed by its citation; optionally written by an LLM under the same contract, every
citation checked against the retrieved sources. The full articles stay in the sources."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.kit.language import is_english
from knowledge.splitter import ARTICLE_RE, short_title
from knowledge.text import expansions, tokenize
from knowledge.titles import english_citation, english_title

SENTENCES = 3  # at most this many sentences in an answer
TARGET_CHARS = 260  # a further sentence is added only while the answer stays about this short
MAX_CHARS = 700  # never longer (an LLM reply over it is refused)
LONG_SENTENCE = 240  # a longer sentence is ranked by its clauses (split at ；) instead
CANDIDATE_HITS = 3  # sentences come from the best few articles only


@dataclass(frozen=True)
class Unit:
    """A quotable piece of an article: a sentence, a clause of a long one, or a list intro with items."""

    text: str
    hit: int  # rank of the article among the hits
    position: int  # order within the article
    tokens: frozenset[str] = field(default_factory=frozenset)


@dataclass
class Composed:
    text: str
    cited: list[int]  # hit ranks quoted, in order


class Quotable:
    """What the composer needs of a retrieved unit (a `Hit` satisfies it)."""

    law: str
    article: str
    text: str
    ref: str

    def citation(self) -> str: ...


# --- sentence units --------------------------------------------------------------------------------
_SPLIT = re.compile(r"(?<=[。！？!?])")
_ITEM = re.compile(r"^(?:[（(][一二三四五六七八九十]+[）)]|\d{1,2}[.、．]\s*)")
_ACTIONABLE = re.compile(r"\d+\s*(?:日|天|个工作日|小时|元|万元|%)|[一二三四五六七八九十百]+(?:日|个工作日|万元|元)|部门|机关|投诉|举报|罚款")


def body_of(hit: Quotable) -> str:
    return ARTICLE_RE.sub("", hit.text, count=1).strip() if hit.article else hit.text.strip()


def units_of(text: str, hit: int) -> list[Unit]:
    """Sentences of an article; a list intro (ending in ：) with its items is one unit when short."""
    merged: list[str] = []
    in_list = False  # the last merged piece is a list intro (with items so far)
    for line in (part.strip() for part in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        for piece in (s.strip() for s in _SPLIT.split(line) if s.strip()):
            if in_list and _ITEM.match(piece) and len(merged[-1]) + len(piece) <= LONG_SENTENCE * 1.6:
                merged[-1] = f"{merged[-1]}{piece}"
                continue
            merged.append(piece)
            in_list = piece.endswith(("：", ":")) or bool(_ITEM.match(piece))
    units: list[Unit] = []
    for piece in merged:
        clauses = [piece] if len(piece) <= LONG_SENTENCE else [c for c in re.split(r"(?<=[；;])", piece) if c.strip()]
        for clause in (c.strip() for c in clauses):
            if len(clause) >= 6:
                units.append(Unit(clause, hit, len(units), frozenset(tokenize(clause))))
    return units


def _query_weights(question: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for token in tokenize(question):
        weights[token] = 1.0
    for term in expansions(question):
        for token in tokenize(term):
            weights.setdefault(token, 0.5)
    return weights


def rank_units(question: str, hits: Sequence[Quotable]) -> list[tuple[float, Unit]]:
    """Every sentence of the best articles, scored: the share of the question's (idf-weighted) words it
    holds, plus a prior for the article's rank, for being the article's opening rule, and for carrying
    a deadline, an amount or a department (what a person can act on)."""
    units = [u for rank, hit in enumerate(hits[:CANDIDATE_HITS]) for u in units_of(body_of(hit), rank)]
    if not units:
        return []
    weights = _query_weights(question)
    df: dict[str, int] = {}
    for unit in units:
        for token in unit.tokens & weights.keys():
            df[token] = df.get(token, 0) + 1
    idf = {t: math.log(1 + len(units) / (1 + df.get(t, 0))) for t in weights}
    total = sum(weights[t] * idf[t] for t in weights) or 1.0
    scored = []
    for unit in units:
        coverage = sum(weights[t] * idf[t] for t in unit.tokens & weights.keys()) / total
        score = coverage + 0.25 / (1 + unit.hit) + (0.08 if unit.position == 0 else 0.0)
        if _ACTIONABLE.search(unit.text):
            score += 0.06
        scored.append((score, unit))
    scored.sort(key=lambda pair: (-pair[0], pair[1].hit, pair[1].position))
    return scored


def select_units(question: str, hits: Sequence[Quotable]) -> list[Unit]:
    """The best sentence, then further ones while they score at least half as well and the answer stays
    short; in reading order (by article rank, then position)."""
    ranked = rank_units(question, hits)
    if not ranked:
        return []
    best_score, best = ranked[0]
    chosen = [best]
    length = len(best.text)
    for score, unit in ranked[1:]:
        if len(chosen) >= SENTENCES or score < best_score * 0.5:
            break
        if length + len(unit.text) > TARGET_CHARS or unit.text in {u.text for u in chosen}:
            continue
        chosen.append(unit)
        length += len(unit.text)
    if len(best.text) > MAX_CHARS - 40:  # one very long clause: cut at a comma, never inside a number
        cut = best.text.rfind("，", 0, MAX_CHARS - 60)
        chosen = [Unit(best.text[: cut if cut > 0 else MAX_CHARS - 60] + "……", best.hit, best.position)]
    return sorted(chosen, key=lambda u: (u.hit, u.position))


def short_citation(hit: Quotable) -> str:
    """《short title》第X条; a guide's section by its own heading only (the chapter is in the source)."""
    if hit.article:
        return f"《{short_title(hit.law)}》{hit.article}"
    section = getattr(getattr(hit, "first", None), "section", "") or getattr(getattr(hit, "first", None), "chapter", "")
    return f"《{hit.law}》“{section}”" if section else f"《{hit.law}》"


def compose(question: str, hits: Sequence[Quotable], lang: str = "zh") -> Composed:
    units = select_units(question, hits)
    if not units:
        return Composed("", [])
    # consecutive sentences of one article are one quoted passage with one citation (said once)
    passages: list[tuple[int, list[str]]] = []
    for unit in units:
        if passages and passages[-1][0] == unit.hit:
            passages[-1][1].append(unit.text)
        else:
            passages.append((unit.hit, [unit.text]))
    cited = [rank for rank, _ in passages]
    if is_english(lang):
        lines = ["From the regulations (quoted in the original Chinese):"]
        for rank, texts in passages:
            hit = hits[rank]
            where = english_citation(hit.law, hit.article) if hit.article else _english_guide(hit)
            lines.append(f"\u2022 \u201c{''.join(texts)}\u201d \u2014 {where}")
        return Composed("\n".join(lines), list(dict.fromkeys(cited)))
    text = ""
    for rank, texts in passages:
        body = "".join(t if t.endswith(("。", "！", "？")) else f"{t.rstrip('；;，,：:')}。" for t in texts[:-1])
        text += f"{body}{texts[-1].rstrip('。；;，,：:')}（{short_citation(hits[rank])}）。"
    return Composed(text, list(dict.fromkeys(cited)))


def _english_guide(hit: Quotable) -> str:
    title = english_title(hit.law)
    return f"the {title} ({short_citation(hit)})" if title else short_citation(hit)


# --- abstention ------------------------------------------------------------------------------------
def abstain_answer(lang: str = "zh", contact: str = "") -> str:
    if is_english(lang):
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


# --- measuring an answer ---------------------------------------------------------------------------
_CITED_LAW = re.compile(r"《([^《》]{2,60})》")
_CITED_ARTICLE = re.compile(r"第[零〇一二三四五六七八九十百千0-9]+条")
_SENTENCE_END = re.compile(r"(?<=[。！？!?])|\n+")


def answer_sentences(text: str) -> list[tuple[str, bool]]:
    """The answer's sentences, each with whether it carries a citation: its own, or that of the quoted
    passage it belongs to (consecutive sentences of one article end in one citation; a bullet line is
    one passage)."""
    out: list[tuple[str, bool]] = []
    for line in text.splitlines():
        line = line.strip(" \u2022")
        if len(line) < 4 or line.endswith(("：", ":")):
            continue  # a lead-in line ("From the regulations ...:") is not an answer sentence
        pending: list[str] = []
        for piece in _SENTENCE_END.split(line):
            piece = (piece or "").strip()
            if len(piece) < 2:
                continue
            pending.append(piece)
            if _CITED_LAW.search(piece):
                out += [(sentence, True) for sentence in pending]
                pending = []
        out += [(sentence, False) for sentence in pending]
    return out


# --- LLM ------------------------------------------------------------------------------------------
SYSTEM_PROMPT_ZH = (
    "你是县住房和城乡建设局的政策问答助手。只能依据用户消息中给出的【资料】回答，不得使用资料以外的知识。"
    "用一到三句话直接回答问题（合计不超过300字），期限、金额和负责部门照原文写全。每句话后面都用"
    "（《法规简称》第X条）注明出处（办事指南写《指南标题》），只能引用资料中列出的条文。"
    "资料不能回答问题时，直接说明资料未涉及。"
)
SYSTEM_PROMPT_EN = (
    "You answer policy questions for a county housing and construction bureau. Use ONLY the provided "
    "[Sources]; no outside knowledge. Answer in one to three English sentences (under 120 words), keeping "
    "deadlines, amounts and departments exactly as written. End every sentence with its source as "
    "(《title》第X条) exactly as listed; cite nothing that is not listed. If the sources do not answer the "
    "question, say so."
)


def llm_messages(question: str, hits: Sequence[Quotable], lang: str = "zh") -> list[tuple[str, str]]:
    sources = "\n\n".join(f"[{i}] {hit.citation()}\n{hit.text}" for i, hit in enumerate(hits, start=1))
    if is_english(lang):
        return [("system", SYSTEM_PROMPT_EN), ("human", f"[Sources]\n{sources}\n\n[Question]\n{question}")]
    return [("system", SYSTEM_PROMPT_ZH), ("human", f"【资料】\n{sources}\n\n【问题】\n{question}")]


def check_citations(reply: str, hits: Sequence[Quotable]) -> tuple[bool, str]:
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


def check_short_answer(reply: str, hits: Sequence[Quotable]) -> tuple[bool, str]:
    """The LLM's reply under the extractive answer's contract: cited correctly, short, and every sentence
    carrying its citation."""
    ok, reason = check_citations(reply, hits)
    if not ok:
        return ok, reason
    if len(reply) > MAX_CHARS:
        return False, f"the reply is {len(reply)} characters long (at most {MAX_CHARS})"
    sentences = answer_sentences(reply)
    if len(sentences) > SENTENCES + 1:
        return False, f"the reply has {len(sentences)} sentences (at most {SENTENCES})"
    bare = [s for s, cited in sentences if not cited]
    if bare:
        return False, f"a sentence carries no citation: {bare[0][:40]}"
    return True, ""
