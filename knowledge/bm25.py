"""Okapi BM25 over pre-tokenised documents (numpy, no other dependency)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np


class BM25:
    def __init__(self, documents: Sequence[Sequence[str]], *, k1: float = 1.2, b: float = 0.75):
        self.size = len(documents)
        self.k1, self.b = k1, b
        lengths = np.array([len(doc) for doc in documents], dtype=np.float32)
        average = float(lengths.mean()) if self.size else 0.0
        norm = k1 * (1 - b + b * lengths / average) if average else np.ones_like(lengths)
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for index, doc in enumerate(documents):
            for term, count in Counter(doc).items():
                ids, tfs = postings.setdefault(term, ([], []))
                ids.append(index)
                tfs.append(count)
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, (ids, tfs) in postings.items():
            tf = np.array(tfs, dtype=np.float32)
            idf = math.log(1 + (self.size - len(ids) + 0.5) / (len(ids) + 0.5))
            ids_array = np.array(ids, dtype=np.int32)
            # the whole term weight per document, computed once
            self._postings[term] = (ids_array, idf * tf * (k1 + 1) / (tf + norm[ids_array]))

    def scores(self, query: Sequence[str] | dict[str, float]) -> np.ndarray:
        """Score of every document; `query` is tokens, or tokens with weights (expansion terms weigh less)."""
        weights = query if isinstance(query, dict) else Counter(query)
        out = np.zeros(self.size, dtype=np.float32)
        for term, weight in weights.items():
            posting = self._postings.get(term)
            if posting is not None:
                out[posting[0]] += weight * posting[1]
        return out

    def __contains__(self, term: str) -> bool:
        return term in self._postings

    def document_frequency(self, term: str) -> int:
        posting = self._postings.get(term)
        return 0 if posting is None else len(posting[0])

    def vocabulary(self) -> list[str]:
        return list(self._postings)
