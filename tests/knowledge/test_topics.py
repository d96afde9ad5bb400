"""Plain-words topic guides (knowledge/topics.py): parsing, resolving against the loaded laws, scoring,
and their effect on retrieval; the shipped guides checked against the shared corpus when it is present."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.errors import ValidationFailed
from knowledge.loaders import load_path
from knowledge.retrieval import Params, Retriever
from knowledge.splitter import split_document
from knowledge.topics import MAX_ARTICLES, SHIPPED_DIR, Topic, load_topics, parse_topics, resolve
from tests.knowledge.conftest import DATA, SAMPLE_GUIDE, TEST_LAW, make_service
from tests.support import shared_path

TEST_TOPICS = DATA / "topics"
LAW = "示范县建筑工地文明施工管理办法"


def _units(path: Path) -> list[list]:
    """The article units of one law in document order, as the search state holds them."""
    units: dict[str, list] = {}
    for chunk in split_document(load_path(path)):
        if chunk.kind == "article":
            units.setdefault(chunk.ref, []).append(chunk)
    return list(units.values())


def _topic(first: str, last: str, law: str = LAW) -> Topic:
    return Topic(law=law, first=first, last=last, zh="工地的事情说明", en="about a site")


def test_parse_reads_every_field_and_names_the_bad_line(tmp_path: Path) -> None:
    topics = parse_topics(TEST_TOPICS / f"{LAW}.jsonl")
    assert [t.first for t in topics][:3] == ["第一条", "第四条", "第六条"]
    assert topics[1].heading == "第二章 施工现场管理 第一节 围挡和道路"
    assert "人行道" in topics[1].zh and topics[1].en
    assert topics[1].questions == () and topics[3].questions[0].startswith("晚上十一点")

    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps({"law": LAW, "from": "第一条", "to": "第二条", "zh": "说明", "en": "x"},
                                 ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as error:
        parse_topics(broken)
    assert "line 2" in error.value.message_en
    broken.write_text(json.dumps({"law": LAW, "from": "第一条", "to": "第二条", "zh": " "}) + "\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as error:
        parse_topics(broken)
    assert "zh" in error.value.message_en and "en" in error.value.message_en
    broken.write_text(json.dumps({"law": LAW, "from": "第一条", "to": "第二条", "zh": "说明", "en": "x",
                                  "q": "一个问题"}, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as error:
        parse_topics(broken)
    assert "list of questions" in error.value.message_en


def test_load_reads_every_guide_of_the_directories_and_skips_missing_ones(tmp_path: Path) -> None:
    assert len(load_topics([TEST_TOPICS, tmp_path / "absent"])) == 7


def test_resolve_maps_topics_to_their_articles_and_leaves_out_what_does_not_fit() -> None:
    units = _units(TEST_LAW)
    resolved = resolve([
        _topic("第四条", "第五条"),
        _topic("第五条", "第六条"),  # overlaps the first: the first guide keeps 第五条
        _topic("第七条", "第九十条"),  # an article the law lacks
        _topic("第一条", "第三条", law="中华人民共和国建筑法"),  # a law not loaded
        _topic("第八条", "第八条"),
    ], units)
    assert [([units[u][0].article for u in covered]) for _, covered in resolved] == [
        ["第四条", "第五条"], ["第八条"]]
    too_wide = [_topic("第一条", "第十二条")]
    assert len(units) > MAX_ARTICLES and resolve(too_wide, units) == []


def test_a_topic_lifts_the_articles_its_everyday_words_describe(tmp_path: Path) -> None:
    # 第九条 says 维权信息告示牌 and 劳资专管员; the asker says 牌子 and 工钱. The topic guide's description
    # uses the asker's words, so with it the article ranks first.
    service = make_service(tmp_path / "var", knowledge_topics_dir=TEST_TOPICS)
    service.ingest([TEST_LAW])
    question = "工地门口那块牌子上应该写着找谁要工钱吗？"
    with_guides = service.retriever
    assert len(with_guides.state().topics) == 7
    hits = with_guides.search(question, k=3).hits
    assert (hits[0].law, hits[0].article) == (LAW, "第九条")
    assert hits[0].components["topic"] > hits[-1].components["topic"]

    plain = Retriever(service.index, with_guides.params, [])
    assert len(plain.state().topics) == 0
    assert "topic" not in plain.search(question, k=3).hits[0].components


def test_topic_scores_give_every_article_of_a_topic_the_same_and_others_the_least(tmp_path: Path) -> None:
    service = make_service(tmp_path / "var", knowledge_topics_dir=TEST_TOPICS)
    service.ingest([TEST_LAW, SAMPLE_GUIDE])
    retriever = service.retriever
    state = retriever.state()
    vector = retriever.query_vector("工地晚上打桩太吵")
    similarity, keyword, asked = state.topics.scores(vector, retriever.query_weights("工地晚上打桩太吵", state))
    by_article = {state.parts[u][0].article: (similarity[u], keyword[u], asked[u]) for u in range(state.size)
                  if state.parts[u][0].article}
    assert by_article["第四条"] == by_article["第五条"]  # one topic
    night = by_article["第七条"]
    assert night[0] == max(s for s, _, _ in by_article.values()) and night[1] > 0
    # typical questions: the night-work topic has one close to this question; the fence topic has none
    assert night[2] == max(q for _, _, q in by_article.values()) > 0.85
    assert by_article["第四条"][2] == asked.min() == -1.0
    guide_units = [u for u in range(state.size) if not state.parts[u][0].article]
    assert guide_units and all(similarity[u] == similarity.min() and keyword[u] == 0 for u in guide_units)


def test_params_without_topic_weights_rank_as_before(tmp_path: Path) -> None:
    service = make_service(tmp_path / "var", knowledge_topics_dir=TEST_TOPICS)
    service.ingest([TEST_LAW])
    question = "工地门口那块牌子上应该写着找谁要工钱吗？"
    off = Params(w_topic_vector=0.0, w_topic_bm25=0.0, w_topic_questions=0.0)
    with_off = Retriever(service.index, off, load_topics([TEST_TOPICS])).search(question, k=5)
    without = Retriever(service.index, off, []).search(question, k=5)
    assert [h.ref for h in with_off.hits] == [h.ref for h in without.hits]
    assert np.allclose([h.score for h in with_off.hits], [h.score for h in without.hits])


@pytest.fixture(scope="module")
def corpus() -> Path:
    return shared_path("corpus", "regulations")


def test_the_shipped_guides_cover_every_article_of_their_laws_once(corpus: Path) -> None:
    shipped = load_topics([SHIPPED_DIR])
    laws = {t.law for t in shipped}
    assert len(laws) == 30
    for path in sorted(corpus.glob("*.md")):
        units = _units(path)
        law = units[0][0].law
        own = [t for t in shipped if t.law == law]
        resolved = resolve(own, units)
        assert len(resolved) == len(own), f"{law}: {len(own) - len(resolved)} topics do not resolve"
        covered = sorted(u for _, members in resolved for u in members)
        assert covered == list(range(len(units))), f"{law}: articles not covered once"
        for topic in own:
            assert 40 <= len(topic.zh) <= 200 and 8 <= len(topic.en.split()) <= 45, (law, topic.first)


def test_the_shipped_typical_questions_repeat_no_question_of_the_project_sets() -> None:
    # the guides' questions were written from the law texts; none may be (nearly) a question the project
    # measures with, or the sets would measure the guide's memory instead of its generalisation
    from difflib import SequenceMatcher

    from tests.support import SHARED

    sets = [Path(__file__).resolve().parents[2] / "knowledge" / "evalsets" / name
            for name in ("train.jsonl", "fresh.jsonl", "handoff.jsonl")]
    sets.append(SHARED / "eval" / "dev.jsonl")
    measured = [json.loads(line)["question"] for path in sets if path.exists()
                for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    typical = [q for topic in load_topics([SHIPPED_DIR]) for q in topic.questions]
    assert len(typical) > 2500 and len(measured) > 400
    close = []
    for question in measured:
        for q in typical:
            matcher = SequenceMatcher(None, question, q)
            if matcher.real_quick_ratio() >= 0.8 and matcher.quick_ratio() >= 0.8 and matcher.ratio() >= 0.8:
                close.append((question, q))
    assert close == []
