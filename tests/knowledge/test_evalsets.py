"""The project's own question sets (knowledge/evalsets) are checked against the corpus text, as dev.jsonl is:
every line parses, every file exists, every law is the file's `# ` heading and every listed article begins
exactly one line of the file."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.support import shared_path

EVALSETS = Path(__file__).resolve().parents[2] / "knowledge" / "evalsets"


def _items(name: str) -> list[dict[str, object]]:
    lines = (EVALSETS / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_train_set_shape() -> None:
    items = _items("train.jsonl")
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids))
    answerable = [item for item in items if item.get("expect") != "abstain"]
    abstain = [item for item in items if item.get("expect") == "abstain"]
    assert len(answerable) >= 200
    assert len({item["file"] for item in answerable}) == 30  # every law of the corpus
    langs = Counter(str(item["lang"]) for item in items)
    assert langs["en"] >= 20 and langs["zh"] >= 200
    assert {item["lang"] for item in abstain} == {"zh", "en"} and len(abstain) >= 20
    assert {item["split"] for item in items} == {"tune", "check"}
    for item in answerable:
        assert item["asker"] in ("citizen", "company")
        assert 1 <= len(item["articles"]) <= 3  # type: ignore[arg-type]
    questions = [item["question"] for item in items]
    assert len(questions) == len(set(questions))


def test_fresh_set_is_held_out_and_covers_every_law() -> None:
    """fresh.jsonl: questions nothing was tuned on (README), in words of their own: none repeats train."""
    items = _items("fresh.jsonl")
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) and all(str(i).startswith("f") for i in ids)
    answerable = [item for item in items if item.get("expect") != "abstain"]
    assert len(answerable) >= 60 and len({item["file"] for item in answerable}) == 30
    assert {item["lang"] for item in answerable} == {"zh", "en"}
    assert {item["lang"] for item in items if item.get("expect") == "abstain"} == {"zh", "en"}
    assert all("split" not in item for item in items)  # no tune part
    for item in answerable:
        assert item["asker"] in ("citizen", "company") and 1 <= len(item["articles"]) <= 3  # type: ignore[arg-type]
    trained = {item["question"] for item in _items("train.jsonl") + _items("handoff.jsonl")}
    assert not trained & {item["question"] for item in items}
    labels = {item["report_category"] for item in items if "report_category" in item}
    assert None in labels and len(labels) >= 4  # report suggestions are measured on it too


@pytest.mark.shared
@pytest.mark.parametrize("name", ["train.jsonl", "fresh.jsonl"])
def test_evalset_laws_and_articles_match_the_corpus_text(name: str) -> None:
    corpus = shared_path("corpus", "regulations")
    texts: dict[str, list[str]] = {}
    for item in _items(name):
        if item.get("expect") == "abstain":
            continue
        name = str(item["file"])
        if name not in texts:
            path = corpus / name
            assert path.exists(), name
            texts[name] = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        lines = texts[name]
        assert lines[0] == f"# {item['law']}", (item["id"], lines[0])
        for article in item["articles"]:  # type: ignore[union-attr]
            # `第十条` must not match `第十条之一` or `第十一条`: the label is followed by a space or the text
            starts = [line for line in lines if re.match(rf"^{article}(?![零〇一二三四五六七八九十百千之])", line)]
            assert len(starts) == 1, (item["id"], article, len(starts))
