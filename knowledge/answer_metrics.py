"""Answer figures for `civicdesk eval`: how long the answers are, how many of their sentences carry a
citation, and how well report suggestions match the labels (`"report_category": CODE | null` items)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from knowledge.answer import answer_sentences
from knowledge.schemas import AnswerOut


@dataclass
class AnswerFigures:
    answered: int = 0  # answers that did not abstain (the lengths are theirs)
    median_chars: float = 0.0
    max_chars: int = 0
    cited_share: float = 0.0  # answer sentences carrying a citation / all answer sentences
    labelled: int = 0  # items with a report_category label
    suggestion_precision: float = 1.0
    suggestion_recall: float = 1.0
    suggestion_misses: list[dict[str, Any]] | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def answer_figures(pairs: list[tuple[dict[str, Any], AnswerOut]]) -> AnswerFigures:
    figures = AnswerFigures(suggestion_misses=[])
    lengths: list[int] = []
    sentences = cited = 0
    right = suggested = expected = 0
    for item, answer in pairs:
        if not answer.abstained:
            lengths.append(len(answer.answer))
            parts = answer_sentences(answer.answer)
            sentences += len(parts)
            cited += sum(1 for _, has in parts if has)
        if "report_category" not in item:
            continue
        figures.labelled += 1
        want = item["report_category"]
        got = answer.report_suggestion.category if answer.report_suggestion else None
        suggested += got is not None
        expected += want is not None
        right += got is not None and got == want
        if got != want:
            figures.suggestion_misses.append({"id": item.get("id"), "question": item["question"],
                                              "expected": want, "got": got})
    figures.answered = len(lengths)
    if lengths:
        figures.median_chars = float(statistics.median(lengths))
        figures.max_chars = max(lengths)
    figures.cited_share = cited / sentences if sentences else 1.0
    figures.suggestion_precision = right / suggested if suggested else 1.0
    figures.suggestion_recall = right / expected if expected else 1.0
    return figures
