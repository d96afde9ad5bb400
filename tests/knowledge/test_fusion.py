"""Score fusion: standardised scores keep a clear lead that rank fusion flattens (README, "How retrieval
works"); the team's guide sections give way to an article that matches as well."""

from __future__ import annotations

import numpy as np

from knowledge.retrieval import Params, Retriever


def _lists(filler: int = 300) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    # unit 0 is far ahead on paragraph vectors and fifth, close behind, on the other two lists; unit 1 is
    # first on those and second on paragraphs, only a little ahead of the crowd
    paragraph = np.concatenate([[0.95, 0.80, 0.72, 0.72, 0.72], rng.uniform(0.70, 0.78, filler)])
    article = np.concatenate([[0.82, 0.85, 0.83, 0.83, 0.83], rng.uniform(0.70, 0.80, filler)])
    keyword = np.concatenate([[4.6, 5.0, 4.8, 4.8, 4.8], rng.uniform(0.0, 3.0, filler)])
    return keyword.astype(np.float32), article.astype(np.float32), paragraph.astype(np.float32)


def test_standardised_fusion_keeps_a_clear_lead_that_rank_fusion_loses() -> None:
    keyword, article, paragraph = _lists()
    fused = Retriever(None, Params()).fuse(keyword, article, paragraph)  # type: ignore[arg-type]
    assert int(np.argmax(fused)) == 0 and fused.max() == 1.0 and fused.min() == 0.0
    rrf = Retriever(None, Params(fusion="rrf", w_bm25=0.5, w_article=0.5)).fuse(  # type: ignore[arg-type]
        keyword, article, paragraph)
    assert int(np.argmax(rrf)) == 1  # by ranks alone the hair's-breadth firsts win


def test_a_flat_list_does_not_divide_by_zero() -> None:
    flat = np.zeros(5, dtype=np.float32)
    fused = Retriever(None, Params()).fuse(flat, flat, flat)  # type: ignore[arg-type]
    assert np.all(np.isfinite(fused)) and fused.max() == 0.0


def test_guide_sections_weigh_less_than_articles(sample_service) -> None:  # noqa: ANN001
    question = "工地晚上施工太吵了怎么办？"
    plain = Retriever(sample_service.index, Params(guide_weight=1.0)).search(question, k=10)
    weighted = Retriever(sample_service.index, Params()).search(question, k=10)
    before = {hit.ref: hit.score for hit in plain.hits}
    after = {hit.ref: hit.score for hit in weighted.hits}
    guides = [ref for ref in before if ref in after and not next(h for h in plain.hits if h.ref == ref).article]
    articles = [ref for ref in before if ref in after and ref not in guides]
    assert guides and articles  # the sample guide and the test regulation both answer it
    for ref in guides:
        assert abs(after[ref] - 0.8 * before[ref]) < 1e-6
    for ref in articles:
        assert abs(after[ref] - before[ref]) < 1e-6
