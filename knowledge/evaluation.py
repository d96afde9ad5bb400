"""Retrieval and abstention metrics on question sets in the format of ../shared/eval/dev.jsonl.

A hit: a returned source has the item's law title and one of its listed articles. Abstain items
(`"expect": "abstain"`) count toward abstention precision and recall. `standard_sets` names the sets
`civicdesk eval` measures by default (the train set's tune / check / English parts, the held-out fresh
set, the hand-off set and dev.jsonl when present); `format_table` prints one row per set.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ValidationFailed
from core.kit.jsonl import json_lines
from knowledge.answer_metrics import AnswerFigures, answer_figures

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
    answerable_refused: int = 0  # answerable questions that got the abstention
    abstain_refused: int = 0  # out-of-scope questions that got it (the right outcome)
    p50_ms: float = 0.0  # median time per question (retrieval and answer, no LLM)
    misses: list[dict[str, Any]] = field(default_factory=list)
    answers: AnswerFigures | None = None  # answer length, citations, report suggestions

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def load_items(path: Path) -> list[dict[str, Any]]:
    items = []
    for number, item in json_lines(path):
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
    timings: list[float] = []
    for item in items:
        started = time.perf_counter()
        answer = service.answer(item["question"], k=depth, mode=mode, use_llm=False, lang=item.get("lang", "zh"))
        timings.append((time.perf_counter() - started) * 1000)
        pairs.append((item, answer))
        expect_abstain = item.get("expect") == "abstain"
        if "law" not in item and not expect_abstain:
            continue  # a hand-off item: counted in the answer figures only
        if answer.abstained:
            abstained_total += 1
            abstained_right += expect_abstain
        if expect_abstain:
            report.abstain_items += 1
            report.abstain_refused += answer.abstained
            if not answer.abstained:
                report.misses.append({"id": item.get("id"), "question": item["question"], "why": "answered"})
            continue
        report.answerable += 1
        report.answerable_refused += answer.abstained
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
    report.p50_ms = statistics.median(timings) if timings else 0.0
    return report


def evaluate_file(service: KnowledgeService, path: Path, *, mode: str = "hybrid", k: int = 5) -> EvalReport:
    return evaluate_items(service, load_items(path), mode=mode, k=k)


# --- the standard sets and the per-set table -------------------------------------------------------
@dataclass
class EvalSet:
    name: str
    items: list[dict[str, Any]]
    tuned: bool = False  # weights or thresholds were chosen on it (its figures are an upper bound)


def standard_sets(evalsets: Path, dev: Path | None = None) -> list[EvalSet]:
    """The sets `civicdesk eval` measures by default. From train.jsonl: `tune` (Chinese, tuned on),
    `check` (Chinese, not tuned on) and `English` (both splits; its tune part was tuned on); fresh.jsonl
    (held out: never tuned on); handoff.jsonl (report suggestions only); dev.jsonl when present."""
    sets: list[EvalSet] = []
    train = evalsets / "train.jsonl"
    if train.exists():
        items = load_items(train)
        sets.append(EvalSet("tune", [i for i in items if i.get("split") == "tune" and i.get("lang") != "en"], True))
        sets.append(EvalSet("check", [i for i in items if i.get("split") == "check" and i.get("lang") != "en"]))
        sets.append(EvalSet("English", [i for i in items if i.get("lang") == "en"], True))
    for name in ("fresh", "handoff"):
        path = evalsets / f"{name}.jsonl"
        if path.exists():
            sets.append(EvalSet(name, load_items(path)))
    if dev is not None and dev.exists():
        sets.append(EvalSet("dev", load_items(dev)))
    return sets


TABLE_HEADER = [
    "| set | answerable / out of scope | recall@5 | MRR | median chars | max chars | sentences cited "
    "| answerable refused | out of scope refused | suggestion precision | suggestion recall | p50 ms |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
]


def format_row(name: str, r: EvalReport) -> str:
    figures = r.answers or AnswerFigures()
    retrieval = f"{r.recall_at_5:.3f} | {r.mrr:.3f}" if r.answerable else "– | –"
    labelled = figures.labelled
    suggestion = (f"{figures.suggestion_precision:.2f} | {figures.suggestion_recall:.2f}"
                  if labelled else "– | –")
    return (f"| {name} | {r.answerable} / {r.abstain_items} | {retrieval} | {figures.median_chars:.0f} | "
            f"{figures.max_chars} | {figures.cited_share:.2f} | {r.answerable_refused} | "
            f"{r.abstain_refused} / {r.abstain_items} | {suggestion} | {r.p50_ms:.0f} |")


def format_table(named: list[tuple[str, EvalReport]], *, misses: bool = False) -> str:
    """One row per set; with `misses`, the questions each set missed and the suggestions it got wrong."""
    lines = [*TABLE_HEADER, *(format_row(name, report) for name, report in named)]
    if misses:
        for name, r in named:
            wrong = r.answers.suggestion_misses if r.answers else []
            if not r.misses and not wrong:
                continue
            lines.append(f"\nmisses ({name}, {r.mode}):")
            for miss in r.misses:
                detail = f" expected {miss['expected']}, got {', '.join(miss['got'])}" if "expected" in miss else ""
                lines.append(f"  {miss['id']} [{miss['why']}] {miss['question'][:40]}{detail}")
            for miss in wrong or []:
                lines.append(f"  {miss['id']} [suggestion] expected {miss['expected']}, got {miss['got']} "
                             f"{miss['question'][:40]}")
    return "\n".join(lines)
