"""Policy answers in every chat channel: the short cited answer (with the hand-off note when the
question describes something reportable), and the full articles behind it ("查看条文")."""

from __future__ import annotations

from collections.abc import Sequence

from knowledge.schemas import AnswerOut, Source

from .i18n import Html, Texts


def render_answer(answer: AnswerOut, tr: Texts) -> Html:
    """The short answer alone (it carries its citations); the articles are one step away."""
    parts = [tr("ask.answer", text=answer.answer)]
    if answer.report_suggestion is not None:
        parts += ["", tr("ask.handoff_note")]
    elif answer.abstained:
        parts += ["", tr("ask.abstained_note")]
    return Html("\n".join(parts))


def render_sources(sources: Sequence[Source], tr: Texts) -> Html:
    lines: list[str] = []
    for source in sources:
        lines.append(tr("ask.source_title", citation=source.citation))
        lines.append(tr("ask.source_text", text=source.text))
        lines.append("")
    return Html("\n".join(lines).strip())


def has_sources(answer: AnswerOut) -> bool:
    """Whether "查看条文" has something to show."""
    return answer.question_id is not None and bool(answer.sources) and not answer.abstained
