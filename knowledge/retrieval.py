"""Hybrid retrieval: BM25 over jieba tokens and vector search in Chroma, fused, plus direct lookup.

The unit returned is a citable one: a law's article (all its parts), or a section of a guide.

- keyword: BM25 over the article text with its law title and chapter, the question expanded with the
  domain thesaurus (expansion terms weigh less than the asker's own words), and words the articles never
  use by their nearest corpus words (knowledge/termmap.py);
- vector: the expanded question embedded once and compared with every stored chunk vector of both
  granularities (whole articles and single paragraphs; a paragraph hit counts for its article); at a few
  thousand vectors an exact matrix product in memory is faster than an approximate index;
- topics: every article also scores as its topic in the plain-words topic guides (knowledge/topics.py):
  the topic descriptions' best e5 similarity, BM25 over the description and typical questions, and the
  typical questions' best similarity to the question, which bridge everyday words and legal prose from
  the law's side;
- fusion: a weighted sum of the six scores, each standardised by the mean and spread of its own best
  200 (so a clearly best article keeps its lead, which rank fusion flattens); paragraph vectors weigh
  most among the article's own lists, the team's own guide sections 0.8 when they compete with
  articles; weights chosen on the tune split of knowledge/evalsets/train.jsonl. Routing by law and
  chapter, pseudo-relevance feedback, clause vectors, character-bigram and sentence BM25, a second
  embedding model, a trained query adapter and a memory of answered questions were measured and left out;
- direct lookup: a question that names a law and an article (`建筑法第七条`) gets that article first.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import numpy as np

from core.kit.language import text_language
from core.kit.memory import map_large_buffers, trim_heap
from knowledge.bm25 import BM25
from knowledge.index import KnowledgeIndex
from knowledge.splitter import ARTICLE_RE, Chunk, article_number, short_title
from knowledge.termmap import TermMap
from knowledge.text import expansions, tokenize
from knowledge.thesaurus import LAW_ALIASES
from knowledge.titles import resolve_title
from knowledge.topics import Topic, TopicIndex, resolve

MODES = ("hybrid", "bm25", "vector")
# Abstention: a question whose best vector similarity to any chunk is below its language's threshold is
# taken to be outside the documents. Calibrated on knowledge/evalsets/train.jsonl (see the README): an
# English question scores lower against Chinese text than a Chinese one, so it has its own threshold.
ABSTAIN_THRESHOLDS = {"zh": 0.87, "en": 0.84}


@dataclass(frozen=True)
class Params:
    """Fusion weights, tuned on the tune split of knowledge/evalsets/train.jsonl (see the README)."""

    # "zscore": each list standardised by its best `norm_top` scores, then summed with the weights below;
    # "rrf": weighted reciprocal rank fusion (the former default: weights 0.5 / 0.5 / 2, kept to measure against)
    fusion: str = "zscore"
    norm_top: int = 200
    rrf_k: float = 60.0
    w_bm25: float = 1.25
    w_article: float = 1.0
    w_paragraph: float = 2.0
    # the team's guide sections summarise what the articles say: when both match, the article comes first
    guide_weight: float = 0.8
    # an article of a liability chapter (法律责任, 罚则) restates the duty it punishes in the same words; its
    # score is multiplied by this unless the question asks about consequences (measured on the tune split)
    liability_weight: float = 0.97
    expansion_weight: float = 0.5
    # question words in at most `termmap_max_df` articles add their nearest corpus words (knowledge/termmap.py)
    termmap: bool = True
    termmap_max_df: int = 2
    termmap_threshold: float = 0.92
    termmap_per_word: int = 2
    termmap_weight: float = 0.7
    # plain-words topic guides (knowledge/topics.py): each article also scores as its topic's descriptions
    # (their best e5 similarity; BM25 over the Chinese one and the typical questions; the typical questions'
    # best similarity as questions); chosen on tune, see the README
    w_topic_vector: float = 2.0
    w_topic_bm25: float = 3.0
    w_topic_questions: float = 3.0
    vector_expand: int = 12  # expansion terms appended to the question for the vector search
    per_guide: int = 2  # at most this many sections of one guide in the results (guides repeat themselves),
    guide_margin: float = 0.1  # unless a further section outscores the result it displaces by this much


@dataclass
class Hit:
    ref: str
    chunks: list[Chunk]
    score: float
    components: dict[str, float] = field(default_factory=dict)

    @property
    def first(self) -> Chunk:
        return self.chunks[0]

    @property
    def law(self) -> str:
        return self.first.law

    @property
    def article(self) -> str:
        return self.first.article

    @property
    def chapter(self) -> str:
        return self.first.heading

    @property
    def file(self) -> str:
        return self.first.file

    @property
    def text(self) -> str:
        return "\n".join(chunk.text for chunk in self.chunks)

    def citation(self) -> str:
        if self.article:
            return f"《{self.law}》{self.article}"
        place = " ".join(part for part in (self.first.chapter, self.first.section) if part)
        return f"《{self.law}》“{place}”" if place else f"《{self.law}》"

    def as_source(self) -> dict[str, object]:
        return {
            "law": self.law, "article": self.article, "chapter": self.chapter, "file": self.file,
            "score": round(float(self.score), 4), "text": self.text,
        }


@dataclass
class Result:
    hits: list[Hit]
    confidence: float  # best vector similarity of any unit to the question (abstention signal)
    direct: bool = False  # the question named the article
    named: int = 0  # how many of the first hits the question named (`建筑法第七条`)
    lang: str = "zh"  # the language the question is written in
    threshold: float = ABSTAIN_THRESHOLDS["zh"]  # the abstention threshold for that language


class _State:
    """What a search needs in memory, built from the catalog and the vectors of one index generation."""

    def __init__(self, index: KnowledgeIndex, topics: list[Topic] | None = None):
        map_large_buffers()  # before the catalog and vectors are read (and the model loaded): see core/kit/memory
        index.check_embeddings()
        self.generation = index.generation()
        chunks, tokens = index.load_chunks()
        self.units: list[str] = []  # refs
        self.unit_of: dict[str, int] = {}
        self.parts: list[list[Chunk]] = []
        keyword_docs: list[list[str]] = []
        keyword_unit: list[int] = []
        for chunk, chunk_tokens in zip(chunks, tokens, strict=True):
            if chunk.kind == "paragraph":
                continue
            unit = self.unit_of.get(chunk.ref)
            if unit is None:
                unit = self.unit_of[chunk.ref] = len(self.units)
                self.units.append(chunk.ref)
                self.parts.append([])
            self.parts[unit].append(chunk)
            keyword_docs.append(chunk_tokens)
            keyword_unit.append(unit)
        self.keyword_unit = np.array(keyword_unit, dtype=np.int64)
        self.bm25 = BM25(keyword_docs)
        self.termmap = TermMap(self.bm25, lambda words: index.embeddings.embed_queries(words, store=True))
        self._vectors(index, chunks)
        del chunks, tokens, keyword_docs
        trim_heap()  # the catalog rows and token lists read to build this are freed: give the pages back
        self.topics = TopicIndex(resolve(topics or [], self.parts), self.size, index.embeddings.embed_documents,
                                 lambda texts: index.embeddings.embed_queries(texts, store=True))
        self.liability = np.array([bool(_LIABILITY_CHAPTER.search(parts[0].chapter)) for parts in self.parts])
        self.guide = np.array([not parts[0].article for parts in self.parts], dtype=bool)  # a guide's section
        # titles for direct lookup: (title, doc_id) and article units by (doc_id, number)
        self.titles: dict[str, str] = {}
        self.articles: dict[tuple[str, int], int] = {}
        for unit, parts in enumerate(self.parts):
            first = parts[0]
            self.titles.setdefault(first.law, first.doc_id)
            if first.article_no:
                self.articles.setdefault((first.doc_id, first.article_no), unit)

    def _vectors(self, index: KnowledgeIndex, chunks: list[Chunk]) -> None:
        """Every chunk vector as one matrix, with the unit each row belongs to and its granularity."""
        stored = index.chunk_vectors(chunks)
        rows, row_unit, row_paragraph = [], [], []
        for chunk in chunks:
            vector = stored.get(chunk.id)
            unit = self.unit_of.get(chunk.ref)
            if vector is None or unit is None:
                continue
            rows.append(vector)
            row_unit.append(unit)
            row_paragraph.append(chunk.kind == "paragraph")
        dim = len(rows[0]) if rows else 1
        self.matrix = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, dim), dtype=np.float32)
        self.row_unit = np.array(row_unit, dtype=np.int64)
        self.row_paragraph = np.array(row_paragraph, dtype=bool)

    @property
    def size(self) -> int:
        return len(self.units)


_LIABILITY_CHAPTER = re.compile(r"法律责任|罚则")
_ASKS_CONSEQUENCES = re.compile(r"罚|处罚|处理|后果|责任|追究|查处|吊销|没收|penalt|fine|punish|liab|consequence", re.I)
_ARTICLE_REF = re.compile(r"第([零〇一二三四五六七八九十百千0-9]+)条")
_LAW_NAME = re.compile(r"《?([\u4e00-\u9fff]{2,30}?(?:法|条例|办法|规定|细则|指南))》?\s*(?:的)?\s*$")


class Retriever:
    def __init__(self, index: KnowledgeIndex, params: Params | None = None, topics: list[Topic] | None = None):
        self.index = index
        self.params = params or Params()
        self.topics = topics or []
        self._state: _State | None = None
        self._lock = threading.Lock()

    def state(self) -> _State:
        generation = self.index.generation()
        if self._state is None or self._state.generation != generation:
            with self._lock:
                if self._state is None or self._state.generation != generation:
                    self._state = _State(self.index, self.topics)
        return self._state

    def is_built(self) -> bool:
        """Whether the search state of the index's current generation is in memory."""
        return self._state is not None and self._state.generation == self.index.generation()

    # --- direct lookup --------------------------------------------------------------------------
    def resolve_law(self, name: str, state: _State | None = None) -> str | None:
        """The doc_id of the law a (possibly shortened) name refers to, or None."""
        state = state or self.state()
        return resolve_title(name, state.titles, LAW_ALIASES)

    def direct_lookup(self, question: str, state: _State | None = None) -> list[int]:
        """Units named in the question as `<law>第X条`, in the order they are named."""
        state = state or self.state()
        found: list[int] = []
        for match in _ARTICLE_REF.finditer(question):
            before = question[max(0, match.start() - 30) : match.start()]
            law = _LAW_NAME.search(before)
            if not law:
                continue
            name = law.group(1)
            doc_id = None
            # the longest tail of the words before `第X条` that names a law (`条例` alone names none)
            for start in range(len(name) - 3, -1, -1):
                doc_id = self.resolve_law(name[start:], state) or doc_id
                if doc_id and name[start:] in LAW_ALIASES:
                    break
            if doc_id is None:
                continue
            unit = state.articles.get((doc_id, article_number(match.group(0))))
            if unit is not None and unit not in found:
                found.append(unit)
        return found

    # --- search ---------------------------------------------------------------------------------
    def query_weights(self, question: str, state: _State | None = None) -> dict[str, float]:
        """The question's words for BM25: the asker's own 1 each, thesaurus expansions and corpus words
        standing in for words the articles never use less."""
        state = state or self.state()
        p = self.params
        weights: dict[str, float] = {}
        tokens = tokenize(question)
        for token in tokens:
            weights[token] = weights.get(token, 0.0) + 1.0
        for term in expansions(question):
            for token in tokenize(term):
                weights.setdefault(token, p.expansion_weight)
        if p.termmap:  # words the articles never use: their nearest corpus words
            mapped = state.termmap.expand(
                tokens, lambda words: self.index.embeddings.embed_queries(words, store=True), max_df=p.termmap_max_df,
                threshold=p.termmap_threshold, per_word=p.termmap_per_word, weight=p.termmap_weight)
            for term, weight in mapped.items():
                weights.setdefault(term, weight)
        return weights

    def keyword_scores(self, question: str, state: _State | None = None,
                       weights: dict[str, float] | None = None) -> np.ndarray:
        state = state or self.state()
        chunk_scores = state.bm25.scores(weights if weights is not None else self.query_weights(question, state))
        units = np.zeros(state.size, dtype=np.float32)
        np.maximum.at(units, state.keyword_unit, chunk_scores)
        return units

    def query_vector(self, question: str) -> np.ndarray:
        text = question
        if self.params.vector_expand:
            extra = expansions(question)[: self.params.vector_expand]
            if extra:
                text = f"{question} {' '.join(extra)}"
        return np.asarray(self.index.embeddings.embed_query(text), dtype=np.float32)

    def vector_scores(self, vector: np.ndarray, state: _State | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Best cosine similarity per unit from whole-article chunks and from paragraph chunks."""
        state = state or self.state()
        article = np.full(state.size, -1.0, dtype=np.float32)
        paragraph = np.full(state.size, -1.0, dtype=np.float32)
        if not len(state.matrix):
            return article, paragraph
        # einsum runs in the calling thread; `matrix @ vector` goes to OpenBLAS's thread pool, whose threads
        # wait for each other when the cores are shared (17 ms instead of 1.5 ms at load 11, 5,780 rows)
        similarity = np.einsum("ij,j->i", state.matrix, vector)
        rows = ~state.row_paragraph
        np.maximum.at(article, state.row_unit[rows], similarity[rows])
        np.maximum.at(paragraph, state.row_unit[~rows], similarity[~rows])
        # a single-paragraph article is its own paragraph
        return article, np.maximum(paragraph, article)

    def fuse(self, keyword: np.ndarray, article: np.ndarray, paragraph: np.ndarray,
             topic: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """One score per unit from the lists (and the topic guides' three when given), between 0 and 1."""
        p = self.params
        if p.fusion == "rrf":
            return (p.w_bm25 * _rrf(keyword, p.rrf_k) + p.w_article * _rrf(article, p.rrf_k)
                    + p.w_paragraph * _rrf(paragraph, p.rrf_k))
        fused = (p.w_bm25 * _standardised(keyword, p.norm_top) + p.w_article * _standardised(article, p.norm_top)
                 + p.w_paragraph * _standardised(paragraph, p.norm_top))
        if topic is not None:
            fused += (p.w_topic_vector * _standardised(topic[0], p.norm_top)
                      + p.w_topic_bm25 * _standardised(topic[1], p.norm_top)
                      + p.w_topic_questions * _standardised(topic[2], p.norm_top))
        fused -= fused.min()
        top = float(fused.max())
        return fused / top if top > 0 else fused

    def _select(self, fused: np.ndarray, direct: list[int], k: int, state: _State) -> list[int]:
        """The top `k` units: named articles first, then by score, at most `per_guide` sections of one guide
        (a guide repeats itself) unless a further section clearly outscores what it would displace."""
        p = self.params
        ranked = list(direct)
        per_doc: dict[str, int] = {}
        held: list[int] = []  # guide sections over the cap, best first
        for unit in np.argsort(-fused):
            if len(ranked) >= k:
                break
            if unit in direct:
                continue
            first = state.parts[unit][0]
            if not first.article:
                if per_doc.get(first.doc_id, 0) >= p.per_guide:
                    held.append(int(unit))
                    continue
                per_doc[first.doc_id] = per_doc.get(first.doc_id, 0) + 1
            ranked.append(int(unit))
        for unit in held:
            last = ranked[-1] if len(ranked) > len(direct) else None
            if last is None or fused[unit] < (1 + p.guide_margin) * fused[last]:
                break
            ranked[-1] = unit
            ranked[len(direct):] = sorted(ranked[len(direct):], key=lambda u: -fused[u])
        return ranked

    def search(self, question: str, k: int = 5, mode: str = "hybrid") -> Result:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        state = self.state()
        if not state.size:
            return Result([], 0.0)
        p = self.params
        weights = self.query_weights(question, state) if mode in ("hybrid", "bm25") else {}
        keyword = self.keyword_scores(question, state, weights) if mode in ("hybrid", "bm25") else None
        # vectors are searched in every mode: their best similarity is the abstention signal
        vector = self.query_vector(question)
        article, paragraph = self.vector_scores(vector, state)
        topic = None
        if mode == "bm25":
            fused = keyword
        elif mode == "vector":
            fused = np.maximum(article, paragraph)
        else:
            if len(state.topics) and (p.w_topic_vector or p.w_topic_bm25 or p.w_topic_questions):
                topic = state.topics.scores(vector, weights)
            fused = self.fuse(keyword, article, paragraph, topic)
            if p.liability_weight != 1.0 and not _ASKS_CONSEQUENCES.search(question):
                fused = np.where(state.liability, fused * p.liability_weight, fused)
            if p.guide_weight != 1.0:
                fused = np.where(state.guide, fused * p.guide_weight, fused)
        direct = self.direct_lookup(question, state)
        ranked = self._select(fused, direct, k, state)
        confidence = float(np.max(paragraph))
        hits = []
        for unit in ranked:
            components = {}
            if keyword is not None:
                components["bm25"] = float(keyword[unit])
            if mode != "bm25":
                components["vector"] = float(paragraph[unit])
            if topic is not None:
                components["topic"], components["topic_bm25"] = float(topic[0][unit]), float(topic[1][unit])
            score = 1.0 if unit in direct else float(fused[unit])
            hits.append(Hit(state.units[unit], state.parts[unit], score, components))
        lang = text_language(question)
        return Result(hits, confidence, direct=bool(direct), named=len(direct), lang=lang,
                      threshold=ABSTAIN_THRESHOLDS[lang])


def _standardised(scores: np.ndarray, top: int) -> np.ndarray:
    """Scores shifted and scaled by the mean and standard deviation of the best `top` of them: lists on
    different scales (BM25, cosine) become comparable, and a lead over the runner-up is kept."""
    head = np.sort(scores)[-top:]
    spread = float(head.std())
    return (scores - float(head.mean())) / (spread if spread > 1e-6 else 1.0)


def _rrf(scores: np.ndarray, k: float) -> np.ndarray:
    """Reciprocal rank fusion term 1/(k + rank) for every unit; units with no signal get 0."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.float32)
    ranks[order] = np.arange(1, len(scores) + 1)
    out = 1.0 / (k + ranks)
    out[scores <= (0.0 if scores.min() >= 0 else -1.0)] = 0.0
    return out


def citation_key(law: str, article: str) -> tuple[str, str]:
    return short_title(law), article


__all__ = ["ABSTAIN_THRESHOLDS", "ARTICLE_RE", "MODES", "Hit", "Params", "Result", "Retriever", "citation_key"]
