"""Plain-words topic guides: a law's articles grouped into topics, each described in everyday words.

People ask in their own words (包工头拖着工钱不给, 物业把我电话给了装修公司) and the laws answer in legal prose
(工资支付, 个人信息处理), so a question often shares few words with the article that answers it and none
with its law's title. A topic guide bridges the two from the law's side: for each run of one to eight
consecutive articles on one matter, a short description in the words citizens, workers and builders use
(with a few of the law's own terms) and one in plain English. Written from the law texts alone, never from
questions, so it helps questions nobody has asked yet.

A topic may also carry typical questions (`q`), what people would ask when it is the answer.

Each topic is scored against the question three times (its descriptions' e5 vectors, the better of
Chinese and English; BM25 over the Chinese description and the typical questions; the typical questions
embedded as questions and compared with the asker's), and every article of the topic receives those
scores as three more lists in the retriever's fusion (knowledge/retrieval.py). A topic of a law that is
not loaded, or whose articles are not found in it, is left out: the guides never invent a source.

Files: JSON Lines, one topic per line (`law` as the law's full title, `chapter`, `section`, `from` and
`to` as article labels, `zh`, `en`, optionally `q`); the project ships guides for the laws it is tested with
(knowledge/topics/), and `CIVICDESK_KNOWLEDGE_TOPICS_DIR` adds a bureau's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import ValidationFailed
from core.kit.jsonl import json_lines
from knowledge.bm25 import BM25
from knowledge.splitter import Chunk, short_title
from knowledge.text import tokenize

SHIPPED_DIR = Path(__file__).parent / "topics"
FIELDS = ("law", "from", "to", "zh", "en")
MAX_ARTICLES = 8  # a topic spans at most this many articles (broader ones blur what they are about)

EmbedDocuments = Callable[[list[str]], list[list[float]]]
EmbedQueries = Callable[[list[str]], np.ndarray]  # query-side vectors, one row per text


@dataclass(frozen=True)
class Topic:
    law: str
    first: str  # article label, e.g. 第十三条
    last: str
    zh: str
    en: str
    chapter: str = ""
    section: str = ""
    questions: tuple[str, ...] = ()  # what people would ask when this topic is the answer (optional)

    @property
    def heading(self) -> str:
        return " ".join(part for part in (self.chapter, self.section) if part)

    def vector_text(self) -> str:
        return f"{short_title(self.law)} {self.heading}：{self.zh}".strip()

    def keyword_text(self) -> str:
        return f"{self.law} {self.heading} {self.zh} {' '.join(self.questions)}"


def parse_topics(path: Path) -> list[Topic]:
    """The topics of one guide file; a malformed line is an error naming the file and line."""
    topics: list[Topic] = []
    for number, row in json_lines(path, path.name):
        missing = [name for name in FIELDS if not isinstance(row, dict) or not str(row.get(name, "")).strip()]
        if missing:
            raise ValidationFailed(f"{path.name} 第 {number} 行缺少 {', '.join(missing)}",
                                   f"{path.name} line {number} lacks {', '.join(missing)}")
        if not isinstance(row.get("q", []), list):
            raise ValidationFailed(f"{path.name} 第 {number} 行的 q 应为问题列表",
                                   f"{path.name} line {number}: q must be a list of questions")
        topics.append(Topic(
            law=row["law"].strip(), first=row["from"].strip(), last=row["to"].strip(), zh=row["zh"].strip(),
            en=row["en"].strip(), chapter=str(row.get("chapter", "")).strip(),
            section=str(row.get("section", "")).strip(),
            questions=tuple(str(q).strip() for q in row.get("q", []) if str(q).strip()),
        ))
    return topics


def load_topics(directories: Iterable[Path]) -> list[Topic]:
    """Every topic of the `*.jsonl` guides in the directories (missing directories are skipped)."""
    topics: list[Topic] = []
    for directory in directories:
        if directory.is_dir():
            for path in sorted(directory.glob("*.jsonl")):
                topics.extend(parse_topics(path))
    return topics


def resolve(topics: Sequence[Topic], units: Sequence[Sequence[Chunk]]) -> list[tuple[Topic, list[int]]]:
    """Each topic with the units (articles, in document order) it covers; topics of laws not loaded, with
    articles the law lacks, spanning more than `MAX_ARTICLES` or covering an article already covered are
    left out (the first guide to describe an article keeps it)."""
    by_law: dict[str, list[int]] = {}
    for unit, parts in enumerate(units):
        if parts and parts[0].article:
            by_law.setdefault(parts[0].law, []).append(unit)
    labels = {law: [units[u][0].article for u in members] for law, members in by_law.items()}
    taken: set[int] = set()
    out: list[tuple[Topic, list[int]]] = []
    for topic in topics:
        members = by_law.get(topic.law)
        if not members:
            continue
        try:
            start, end = labels[topic.law].index(topic.first), labels[topic.law].index(topic.last)
        except ValueError:
            continue
        covered = members[start : end + 1]
        if not covered or len(covered) > MAX_ARTICLES or taken.intersection(covered):
            continue
        taken.update(covered)
        out.append((topic, covered))
    return out


class TopicIndex:
    """The resolved topics of one search state: their description and typical-question vectors, a BM25
    over their descriptions and questions and, for every unit, the topic it belongs to (-1: none)."""

    def __init__(self, resolved: list[tuple[Topic, list[int]]], size: int, embed: EmbedDocuments,
                 embed_queries: EmbedQueries):
        self.topics = [topic for topic, _ in resolved]
        self.unit_topic = np.full(size, -1, dtype=np.int64)
        for number, (_, covered) in enumerate(resolved):
            self.unit_topic[covered] = number
        self.covered = self.unit_topic >= 0
        if self.topics:
            texts = [t.vector_text() for t in self.topics] + [t.en for t in self.topics]
            vectors = np.asarray(embed(texts), dtype=np.float32)
            self.zh_vectors, self.en_vectors = vectors[: len(self.topics)], vectors[len(self.topics) :]
        else:
            self.zh_vectors = self.en_vectors = np.zeros((0, 1), dtype=np.float32)
        # typical questions are compared with the question as questions (query side to query side)
        asked = [(number, q) for number, t in enumerate(self.topics) for q in t.questions]
        self.question_topic = np.array([number for number, _ in asked], dtype=np.int64)
        self.question_vectors = (np.asarray(embed_queries([q for _, q in asked]), dtype=np.float32)
                                 if asked else np.zeros((0, 1), dtype=np.float32))
        self.bm25 = BM25([tokenize(t.keyword_text()) for t in self.topics])

    def __len__(self) -> int:
        return len(self.topics)

    def scores(self, vector: np.ndarray, weights: dict[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per unit: its topic's best description similarity to the question vector, its topic's BM25 score
        for the question's weighted words, and its topic's best typical-question similarity. A unit outside
        every topic gets the lowest of each."""
        similarity = np.maximum(np.einsum("ij,j->i", self.zh_vectors, vector),
                                np.einsum("ij,j->i", self.en_vectors, vector))
        keyword = np.asarray(self.bm25.scores(weights), dtype=np.float32)
        asked = np.full(len(self.topics), -1.0, dtype=np.float32)
        if len(self.question_vectors):
            np.maximum.at(asked, self.question_topic, np.einsum("ij,j->i", self.question_vectors, vector))
        safe = np.where(self.covered, self.unit_topic, 0)
        unit_vector = np.where(self.covered, similarity[safe], float(similarity.min()))
        unit_keyword = np.where(self.covered, keyword[safe], 0.0)
        unit_asked = np.where(self.covered, asked[safe], float(asked.min()))
        return unit_vector.astype(np.float32), unit_keyword.astype(np.float32), unit_asked.astype(np.float32)


__all__ = ["SHIPPED_DIR", "Topic", "TopicIndex", "load_topics", "parse_topics", "resolve"]
