"""Extractive answers, abstention, citation checking, and the LLM option against a real fake server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.answer import answer_sentences, check_citations
from knowledge.titles import english_citation
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


def test_extractive_answer_is_a_few_cited_sentences(sample_service: KnowledgeService) -> None:
    answer = sample_service.answer(NIGHT_QUESTION)
    assert not answer.abstained and answer.mode == "extractive" and not answer.llm
    assert answer.sources[0].law == LAW and answer.sources[0].article == "第七条"
    # the rule itself, its hours kept whole, then its citation; no lead sentence, no article quoted whole
    assert answer.answer.startswith("除抢修、抢险作业外，施工单位不得在夜间二十二时至次日六时进行产生噪声的施工作业")
    assert f"（《{LAW}》第七条）" in answer.answer
    assert len(answer.answer) <= 300
    sentences = answer_sentences(answer.answer)
    assert 1 <= len(sentences) <= 3 and all(cited for _, cited in sentences)
    assert answer.answer.count(f"《{LAW}》第七条") == 1  # two sentences of one article: one citation
    # the full article stays in the sources, with its number, and the answer names which ones it quotes
    assert answer.sources[0].text.startswith("第七条 除抢修、抢险作业外")
    assert answer.cited[0] == answer.sources[0].ref
    body = answer.model_dump()
    assert set(body) >= {"question", "answer", "abstained", "sources", "mode", "llm", "report_suggestion", "missing"}
    assert set(body["sources"][0]) >= {"law", "article", "chapter", "file", "score", "text", "citation", "ref"}
    assert body["sources"][0]["chapter"] == "第二章 施工现场管理 第二节 扬尘和噪声"


def test_english_answer_quotes_the_chinese_sentence_in_english(sample_service: KnowledgeService) -> None:
    english = sample_service.answer(NIGHT_QUESTION, lang="en")
    lines = english.answer.splitlines()
    assert lines[0] == "From the regulations (quoted in the original Chinese):"
    assert "\u201c除抢修、抢险作业外，施工单位不得在夜间二十二时至次日六时" in lines[1]
    assert lines[1].endswith(f"\u2014 《{LAW}》第七条")  # no English title known: the Chinese citation alone
    assert all(cited for _, cited in answer_sentences(english.answer))


def test_english_citation_names_the_law_in_english_and_chinese() -> None:
    assert english_citation("中华人民共和国噪声污染防治法", "第四十三条") == (
        "Article 43 of the Law on the Prevention and Control of Noise Pollution of the People's Republic of "
        "China (《噪声污染防治法》第四十三条)"
    )
    assert english_citation("保障农民工工资支付条例", "第三十条") == (
        "Article 30 of the Regulations on Ensuring Payment of Wages to Migrant Workers (《保障农民工工资支付条例》第三十条)"
    )
    assert english_citation("某县管理办法", "第三条") == "《某县管理办法》第三条"


def test_list_items_and_deadlines_are_quoted_whole(sample_service: KnowledgeService) -> None:
    answer = sample_service.answer("办施工许可证需要准备哪些材料？多久能办下来？")
    assert "1. 建筑工程施工许可证申请表；2. 用地批准手续和建设工程规划许可证；" in answer.answer
    assert "7 个工作日内作出决定" in answer.answer
    assert len(answer.answer) <= 700


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
    assert answer.answer == llm_service.answer(NIGHT_QUESTION, use_llm=False).answer  # the extractive one
    fake_llm.reply = lambda messages: "夜里不能施工。"  # no citation
    assert llm_service.answer(NIGHT_QUESTION).mode == "fallback"


def test_llm_answer_keeps_the_short_answer_contract(llm_service: KnowledgeService, fake_llm: FakeOpenAI) -> None:
    # a sentence without its citation
    fake_llm.reply = lambda messages: f"夜间不得施工（《{LAW}》第七条）。另外白天也要注意。"
    answer = llm_service.answer(NIGHT_QUESTION)
    assert answer.mode == "fallback" and "carries no citation" in answer.fallback_reason
    # too long
    fake_llm.reply = lambda messages: "夜间不得施工，" * 120 + f"（《{LAW}》第七条）。"
    answer = llm_service.answer(NIGHT_QUESTION)
    assert answer.mode == "fallback" and "characters long" in answer.fallback_reason
    # the prompt asks for the same contract
    prompt = "\n".join(m["content"] for m in fake_llm.requests[-1]["body"]["messages"])
    assert "一到三句话" in prompt and "期限、金额和负责部门" in prompt


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
