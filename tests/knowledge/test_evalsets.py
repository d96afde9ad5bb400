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


@pytest.mark.shared
def test_train_set_laws_and_articles_match_the_corpus_text() -> None:
    corpus = shared_path("corpus", "regulations")
    texts: dict[str, list[str]] = {}
    for item in _items("train.jsonl"):
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
