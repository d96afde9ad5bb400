"""Words of a question that the documents (almost) never use, mapped to the nearest words they do use.

Everyday words (工钱, 身份证复印件, 塔吊) often occur in no article, so BM25 gets nothing from them, while
the legal word next to them in meaning (工资, 个人信息, 起重机械) is what the article says. The thesaurus
covers the words the team thought of; this covers the rest from the corpus itself: every word of the
keyword index of two or more characters that occurs in at least `MIN_DOCUMENTS` articles is embedded once (a query-side e5 vector
of the word alone, cached on disk with the document vectors), and a question word found in at most
`Params.termmap_max_df` articles adds its `per_word` nearest corpus words whose similarity reaches the
threshold, each weighted by that similarity times `Params.termmap_weight`. A mechanism, not a list:
nothing in it names a word. An English question's words occur in no article and are
mapped across languages the same way. Chosen on the tune split (see the README's table); the threshold fits e5's
similarity scale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from knowledge.bm25 import BM25

MIN_DOCUMENTS = 2  # a corpus word must occur in this many articles to be a target (fewer: noise, names)

Embed = Callable[[Sequence[str]], np.ndarray]  # texts -> one unit vector per row (query side)


class TermMap:
    def __init__(self, bm25: BM25, embed: Embed):
        self.bm25 = bm25
        self.terms = [t for t in bm25.vocabulary() if len(t) >= 2 and bm25.document_frequency(t) >= MIN_DOCUMENTS]
        self.matrix = embed(self.terms) if self.terms else np.zeros((0, 1), dtype=np.float32)

    def unknown(self, tokens: Sequence[str], max_df: int) -> list[str]:
        """The question's words found in at most `max_df` articles (each once, in order)."""
        return [t for t in dict.fromkeys(tokens) if self.bm25.document_frequency(t) <= max_df]

    def expand(self, tokens: Sequence[str], embed: Embed, *, max_df: int, threshold: float, per_word: int,
               weight: float) -> dict[str, float]:
        """Corpus words standing in for the question's unknown words, with their weights."""
        words = self.unknown(tokens, max_df)
        if not words or not len(self.terms):
            return {}
        found: dict[str, float] = {}
        similarity = np.einsum("ij,kj->ki", self.matrix, embed(words))
        for word, row in zip(words, similarity, strict=True):
            for index in np.argsort(-row)[:per_word]:
                if row[index] < threshold:
                    break
                term = self.terms[index]
                if term != word:
                    found[term] = max(found.get(term, 0.0), weight * float(row[index]))
        return found
