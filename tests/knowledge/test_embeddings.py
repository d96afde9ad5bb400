"""Embedding back ends: an OpenAI-compatible server (a real fake one on loopback), the local option's
clear errors, and switching back ends on an existing index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import ValidationFailed
from knowledge.service import KnowledgeService, build_knowledge
from tests.knowledge.conftest import EMBEDDINGS_CACHE, TEST_LAW, knowledge_settings
from tests.knowledge.fake_openai import DIM, FakeOpenAI

NIGHT_QUESTION = "工地半夜还在施工，吵得睡不着，这样允许吗？"


@pytest.fixture
def fake_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


def openai_service(directory: Path, server: FakeOpenAI) -> KnowledgeService:
    settings = knowledge_settings(
        directory, embeddings="openai", embeddings_base_url=server.url, embeddings_model="fake-embed",
        embeddings_api_key="secret",
    )
    return build_knowledge(settings)


def test_openai_compatible_embeddings_server(tmp_path: Path, fake_server: FakeOpenAI) -> None:
    service = openai_service(tmp_path / "var", fake_server)
    report = service.ingest([TEST_LAW])
    assert report.embedded == report.chunks == 16
    requests = [r for r in fake_server.requests if r["path"] == "/v1/embeddings"]
    assert requests and requests[0]["body"]["model"] == "fake-embed"
    assert isinstance(requests[0]["body"]["input"][0], str)  # text, not tiktoken ids
    stored = service.index.stored_vectors(limit=1)
    assert [len(v) for v in stored.values()] == [DIM]
    answer = service.answer(NIGHT_QUESTION, k=3)
    assert any(h.article == "第七条" for h in answer.sources)
    assert fake_server.requests[-1]["path"] == "/v1/embeddings"  # the question went through the server


def test_switching_back_end_rebuilds_the_index(tmp_path: Path, fake_server: FakeOpenAI) -> None:
    directory = tmp_path / "var"
    openai_service(directory, fake_server).ingest([TEST_LAW])
    nano = build_knowledge(knowledge_settings(directory), embeddings_cache=EMBEDDINGS_CACHE)
    with pytest.raises(ValidationFailed) as info:
        nano.answer(NIGHT_QUESTION)
    assert info.value.code == "index_needs_rebuild"
    report = nano.ingest([TEST_LAW])
    assert report.unchanged == [TEST_LAW.name]  # the text did not change, its vectors did
    assert nano.index.vector_count() == 16
    assert [len(v) for v in nano.index.stored_vectors(limit=1).values()] == [384]
    assert nano.answer(NIGHT_QUESTION).sources[0].article == "第七条"


def test_misconfigured_back_ends_fail_clearly(tmp_path: Path) -> None:
    missing_url = build_knowledge(knowledge_settings(tmp_path, embeddings="openai"))
    with pytest.raises(ValidationFailed) as info:
        missing_url.index.documents()
    assert "CIVICDESK_EMBEDDINGS_BASE_URL" in info.value.message_en
    local = build_knowledge(
        knowledge_settings(tmp_path, embeddings="local", embeddings_local_path=tmp_path / "no-model")
    )
    with pytest.raises(ValidationFailed) as info:
        local.index.documents()
    assert "sentence-transformers" in info.value.message_en or "not found" in info.value.message_en
