"""Extractive answers, abstention, citation checking, and the LLM option against a real fake server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.answer import check_citations
from knowledge.service import KnowledgeService
from tests.knowledge.conftest import DATA, make_service
from tests.knowledge.fake_openai import FakeOpenAI

LAW = "示范县建筑工地文明施工管理办法"
NIGHT_QUESTION = "工地半夜还在施工，吵得睡不着，这样允许吗？"


@pytest.fixture
def fake_llm() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def llm_service(tmp_path: Path, fake_llm: FakeOpenAI) -> KnowledgeService:
    service = make_service(
        tmp_path / "var", llm_base_url=fake_llm.url, llm_model="fake-chat", llm_api_key="k", llm_timeout_s=2.0
    )
    service.seed_if_empty()
    service.ingest([DATA])
    return service


def test_extractive_answer_quotes_articles_with_citations(sample_service: KnowledgeService) -> None:
    answer = sample_service.answer(NIGHT_QUESTION)
    assert not answer.abstained and answer.mode == "extractive" and not answer.llm
    assert answer.sources[0].law == LAW and answer.sources[0].article == "第七条"
    lead, _, body = answer.answer.partition("\n\n")
    assert lead.startswith("与您的问题最相关的规定是《示范县建筑工地文明施工管理办法》第七条")
    assert "《示范县建筑工地文明施工管理办法》第七条：除抢修、抢险作业外" in body
    english = sample_service.answer(NIGHT_QUESTION, lang="en")
    assert english.answer.startswith("The provisions most relevant to your question are 《示范县建筑工地文明施工管理办法》第七条")
    body = answer.as_dict()
    assert set(body) >= {"question", "answer", "abstained", "sources", "mode", "llm"}
    assert set(body["sources"][0]) == {"law", "article", "chapter", "file", "score", "text"}
    assert body["sources"][0]["chapter"] == "第二章 施工现场管理 第二节 扬尘和噪声"


def test_guide_answers_cite_the_section(sample_service: KnowledgeService) -> None:
    answer = sample_service.answer("办施工许可证需要准备哪些材料？")
    assert not answer.abstained
    top = answer.sources[0]
    assert top.law == "县住房和城乡建设局办事指南" and top.article == ""
    assert "施工许可证" in top.chapter
    assert "“二、建筑工程施工许可证办理" in answer.answer


def test_out_of_scope_questions_abstain_and_point_to_contacts(
    sample_service: KnowledgeService, abstain_questions: list[str]
) -> None:
    for question in abstain_questions:
        answer = sample_service.answer(question)
        assert answer.abstained, (question, answer.confidence)
        assert answer.mode == "abstain"
        assert "没有找到能回答这个问题的内容" in answer.answer
        assert "我要举报" in answer.answer
        # the bureau's contact section comes from the guide
        assert "0000-1234500" in answer.answer
    english = sample_service.answer(abstain_questions[0], lang="en")
    assert english.abstained and "do not cover this question" in english.answer


def test_citation_check() -> None:
    from knowledge.retrieval import Hit
    from knowledge.splitter import Chunk

    def hit(law: str, article: str) -> Hit:
        return Hit(f"{law}|{article}", [Chunk(id="x", doc_id="d", kind="article", text=f"{article} 内容",
                                             law=law, article=article)], 1.0)

    hits = [hit("中华人民共和国建筑法", "第七条"), hit("中华人民共和国建筑法", "第八条"),
            hit("保障农民工工资支付条例", "第二十九条")]
    assert check_citations("根据《中华人民共和国建筑法》第七条，开工前要领证。", hits) == (True, "")
    # short titles and several articles after one title
    assert check_citations("见《建筑法》第七条、第八条和《保障农民工工资支付条例》第二十九条。", hits)[0]
    ok, reason = check_citations("根据《中华人民共和国建筑法》第九条。", hits)
    assert not ok and "第九条" in reason
    ok, reason = check_citations("根据《中华人民共和国刑法》第七条。", hits)
    assert not ok and "刑法" in reason
    assert not check_citations("第七条规定要领证。", hits)[0]  # an article without its law
    assert not check_citations("开工前要领证。", hits)[0]  # no citation at all


def test_llm_answer_with_valid_citations_is_used(llm_service: KnowledgeService, fake_llm: FakeOpenAI) -> None:
    fake_llm.reply = lambda messages: f"夜间二十二时至次日六时不得施工（《{LAW}》第七条），违者可被罚款（《{LAW}》第十条）。"
    answer = llm_service.answer(NIGHT_QUESTION)
    assert answer.llm and answer.mode == "llm" and not answer.abstained
    assert answer.answer.startswith("夜间二十二时")
    request = fake_llm.requests[-1]["body"]
    assert request["model"] == "fake-chat"
    prompt = "\n".join(m["content"] for m in request["messages"])
    # the prompt carries only the retrieved articles, with their citations, and demands citations
    assert f"《{LAW}》第七条" in prompt and "注明出处" in prompt
    assert "第十二条 本办法自2024年5月1日起施行" not in prompt or "第十二条" in "".join(
        h.article for h in answer.sources)


def test_llm_citing_anything_else_falls_back(llm_service: KnowledgeService, fake_llm: FakeOpenAI) -> None:
    fake_llm.reply = lambda messages: "根据《中华人民共和国噪声污染防治法》第四十三条，夜间禁止施工。"
    answer = llm_service.answer(NIGHT_QUESTION)
    assert not answer.llm and answer.mode == "fallback"
    assert "噪声污染防治法" in answer.fallback_reason
    assert answer.answer.startswith("与您的问题最相关的规定是")
    fake_llm.reply = lambda messages: "夜里不能施工。"  # no citation
    assert llm_service.answer(NIGHT_QUESTION).mode == "fallback"


def test_llm_timeout_and_errors_fall_back(llm_service: KnowledgeService, fake_llm: FakeOpenAI) -> None:
    fake_llm.reply = lambda messages: f"见《{LAW}》第七条。"
    fake_llm.delay = 3.0  # the service waits 2 s
    answer = llm_service.answer(NIGHT_QUESTION)
    assert answer.mode == "fallback" and not answer.llm and "error" in answer.fallback_reason
    assert "第七条" in answer.answer
    fake_llm.delay = 0.0
    fake_llm.status = 500
    answer = llm_service.answer(NIGHT_QUESTION)
    assert answer.mode == "fallback" and answer.sources[0].article == "第七条"


def test_llm_is_not_asked_when_abstaining(llm_service: KnowledgeService, fake_llm: FakeOpenAI) -> None:
    answer = llm_service.answer("红烧肉怎么做才不腻？")
    assert answer.abstained and not fake_llm.requests


def test_direct_lookup_by_full_or_short_name(sample_service: KnowledgeService) -> None:
    retriever = sample_service.retriever
    for question in ("示范县建筑工地文明施工管理办法第十条", "《示范县建筑工地文明施工管理办法》第10条怎么说",
                     "文明施工管理办法第十条"):
        result = retriever.search(question, k=3)
        assert result.direct and result.hits[0].article == "第十条", question
    both = retriever.search("文明施工管理办法第四条和文明施工管理办法第九条", k=3)
    assert [h.article for h in both.hits[:2]] == ["第四条", "第九条"]
    assert not retriever.search("按照条例第五条应该怎么办？", k=3).direct  # names no law
