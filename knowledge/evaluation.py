"""Retrieval and abstention metrics on a JSONL file in the format of ../shared/eval/dev.jsonl.

A hit: a returned source has the item's law title and one of its listed articles. Abstain items
(`"expect": "abstain"`) count toward abstention precision and recall.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ValidationFailed
from knowledge.answer_metrics import FIGURES_HEADER, AnswerFigures, answer_figures, format_figures

if TYPE_CHECKING:
    from knowledge.service import KnowledgeService


@dataclass
class EvalReport:
    mode: str
    answerable: int = 0
    abstain_items: int = 0
    recall_at_1: float = 0.0
    recall_at_5: float = 0.0
    mrr: float = 0.0
    abstain_precision: float = 0.0
    abstain_recall: float = 0.0
    misses: list[dict[str, Any]] = field(default_factory=list)
    answers: AnswerFigures | None = None  # answer length, citations, report suggestions

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def load_items(path: Path) -> list[dict[str, Any]]:
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(
                f"{path} 第 {number} 行不是合法的 JSON", f"{path} line {number} is not valid JSON: {exc.msg}"
            ) from exc
        # hand-off items (report_category) need no law: they measure report suggestions only
        if "question" not in item or (
            "law" not in item and item.get("expect") != "abstain" and "report_category" not in item
        ):
            raise ValidationFailed(
                f"{path} 第 {number} 行缺少 question/law 字段", f"{path} line {number} lacks question/law"
            )
        items.append(item)
    return items


def evaluate_items(
    service: KnowledgeService, items: list[dict[str, Any]], *, mode: str = "hybrid", k: int = 5
) -> EvalReport:
    report = EvalReport(mode=mode)
    abstained_right = abstained_total = 0
    depth = max(k, 5)
    pairs = []
    for item in items:
        answer = service.answer(item["question"], k=depth, mode=mode, use_llm=False, lang=item.get("lang", "zh"))
        pairs.append((item, answer))
        expect_abstain = item.get("expect") == "abstain"
        if "law" not in item and not expect_abstain:
            continue  # a hand-off item: counted in the answer figures only
        if answer.abstained:
            abstained_total += 1
            abstained_right += expect_abstain
        if expect_abstain:
            report.abstain_items += 1
            if not answer.abstained:
                report.misses.append({"id": item.get("id"), "question": item["question"], "why": "answered"})
            continue
        report.answerable += 1
        wanted = set(item["articles"])
        rank = next(
            (i for i, hit in enumerate(answer.sources) if hit.law == item["law"] and hit.article in wanted), None
        )
        if rank is not None:
            report.mrr += 1 / (rank + 1)
            report.recall_at_1 += rank == 0
            report.recall_at_5 += rank < 5
        if rank is None or rank >= 5 or answer.abstained:
            report.misses.append({
                "id": item.get("id"), "question": item["question"],
                "why": "abstained" if answer.abstained and (rank is not None and rank < 5) else
                f"rank {rank + 1}" if rank is not None else "not in top 5",
                "expected": f"{item['law']} {'/'.join(item['articles'])}",
                "got": [f"{h.law} {h.article}".strip() for h in answer.sources[:3]],
            })
    if report.answerable:
        report.recall_at_1 /= report.answerable
        report.recall_at_5 /= report.answerable
        report.mrr /= report.answerable
    report.abstain_precision = abstained_right / abstained_total if abstained_total else 1.0
    report.abstain_recall = abstained_right / report.abstain_items if report.abstain_items else 1.0
    report.answers = answer_figures(pairs)
    return report


def evaluate_file(service: KnowledgeService, path: Path, *, mode: str = "hybrid", k: int = 5) -> EvalReport:
    return evaluate_items(service, load_items(path), mode=mode, k=k)


def format_report(reports: list[EvalReport]) -> str:
    lines = [
        "| mode | recall@1 | recall@5 | MRR | abstain precision | abstain recall |",
        "|---|---|---|---|---|---|",
    ]
    for r in reports:
        lines.append(
            f"| {r.mode} | {r.recall_at_1:.3f} | {r.recall_at_5:.3f} | {r.mrr:.3f} | "
            f"{r.abstain_precision:.2f} | {r.abstain_recall:.2f} |"
        )
    lines += ["", *FIGURES_HEADER]
    for r in reports:
        if r.answers is not None:
            lines += format_figures(r.mode, r.answers)
    first = reports[0] if reports else None
    if first is not None:
        lines.append("")
        lines.append(f"answerable: {first.answerable}, abstain items: {first.abstain_items}")
    for r in reports:
        for miss in (r.answers.suggestion_misses or []) if r.answers else []:
            lines.append(f"  suggestion {miss['id']}: expected {miss['expected']}, got {miss['got']} "
                         f"{miss['question'][:40]}")
        if r.misses:
            lines.append(f"\nmisses ({r.mode}):")
            for miss in r.misses:
                detail = f" expected {miss['expected']}, got {', '.join(miss['got'])}" if "expected" in miss else ""
                lines.append(f"  {miss['id']} [{miss['why']}] {miss['question'][:40]}{detail}")
    return "\n".join(lines)
