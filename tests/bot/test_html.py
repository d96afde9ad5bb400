"""Answers as Telegram HTML: escaped, cited, and split under the 4,096-character limit."""

from __future__ import annotations

import re

from bot.handlers.ask import render_answer, render_sources
from bot.html import LIMIT, split_html
from bot.i18n import texts
from knowledge.schemas import AnswerOut, Source


def _balanced(piece: str) -> bool:
    stack = []
    for slash, name in re.findall(r"<(/?)([a-z]+)[^>]*>", piece):
        if slash:
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_short_text_is_one_piece():
    assert split_html("<b>依据：</b>\n1. 《建筑法》第七条") == ["<b>依据：</b>\n1. 《建筑法》第七条"]


def test_long_text_is_cut_at_sentence_ends_with_markup_intact():
    sentence = "施工单位应当对裸露土方进行覆盖 &amp; 洒水降尘，不得在夜间施工。"
    text = "<b>" + sentence * 300 + "</b>\n<i>" + "😀 emoji count twice in UTF-16. " * 200 + "</i>"
    pieces = split_html(text)
    assert len(pieces) > 2
    for piece in pieces:
        assert _units(piece) <= LIMIT
        assert _balanced(piece), piece[-80:]
        assert not re.search(r"&[#a-zA-Z0-9]*$", piece)  # no entity cut in half
    # Nothing lost but the whitespace at the cuts.
    plain = lambda s: re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", s))  # noqa: E731
    assert "".join(plain(p) for p in pieces) == plain(text)
    assert pieces[0].endswith("。</b>")  # cut at a sentence end, the tag closed and reopened
    assert pieces[1].startswith("<b>")


def test_a_line_without_any_break_is_still_cut():
    pieces = split_html("字" * (LIMIT * 2 + 10))
    assert [len(p) for p in pieces] == [LIMIT, LIMIT, 10]


def _source(law: str, article: str, text: str) -> Source:
    return Source(ref=f"{law}|{article}", law=law, short_title=law, article=article, chapter="", file="f.md",
                  score=0.9, text=text, citation=f"《{law}》{article}")


def test_answer_is_escaped_and_its_sources_are_not_repeated():
    answer = AnswerOut(
        question="q",
        answer="依据 <规定> 和 “A & B”，不得擅自拆改承重墙（《住宅室内装饰装修管理办法》第五条）。",
        abstained=False,
        mode="extractive",
        sources=[_source("住宅室内装饰装修管理办法", "第五条", "第五条 全文…"), _source("建筑法", "第四十九条", "…")],
    )
    html = render_answer(answer, texts("zh"))
    assert html.startswith("依据 &lt;规定&gt; 和 “A &amp; B”")
    assert "全文" not in html and "《建筑法》第四十九条" not in html  # the articles are behind 查看条文
    shown = render_sources(answer.sources, texts("zh"))
    assert shown.startswith("<b>《住宅室内装饰装修管理办法》第五条</b>\n第五条 全文…")


def test_abstained_answer_lists_no_sources_but_says_where_to_turn():
    answer = AnswerOut(
        question="q",
        answer="抱歉，没有找到。",
        abstained=True,
        mode="abstain",
        sources=[_source("建筑法", "第一条", "…")],
    )
    html = render_answer(answer, texts("en"))
    assert "Sources" not in html and "12345" in html
