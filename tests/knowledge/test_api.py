"""HTTP: POST /api/v1/ask, votes, and the staff knowledge API (documents and the question log)."""

from __future__ import annotations

import httpx
import pytest

from civicdesk.container import Services
from tests.knowledge.conftest import EMBEDDINGS_CACHE, TEST_LAW
from tests.knowledge.test_loaders import LAW_LINES, make_docx
from tests.support import bearer

NIGHT_QUESTION = "工地半夜还在施工，吵得睡不着，这样允许吗？"


@pytest.fixture
async def knowledge(services: Services) -> Services:
    services.knowledge.embeddings_cache = EMBEDDINGS_CACHE  # before first use: share test vectors
    services.knowledge.seed_if_empty()
    services.knowledge.ingest([TEST_LAW])
    return services


async def test_ask_returns_answer_with_sources_and_logs_it(
    client: httpx.AsyncClient, knowledge: Services, staff_tokens: dict[str, str]
) -> None:
    response = await client.post("/api/v1/ask", json={"question": NIGHT_QUESTION, "k": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["question"] == NIGHT_QUESTION and body["abstained"] is False and body["llm"] is False
    assert body["mode"] == "extractive" and len(body["sources"]) == 3
    top = body["sources"][0]
    assert set(top) == {"law", "article", "chapter", "file", "score", "text"}
    assert (top["law"], top["article"]) == ("示范县建筑工地文明施工管理办法", "第七条")
    assert "《示范县建筑工地文明施工管理办法》第七条" in body["answer"]

    english = await client.post("/api/v1/ask", json={"question": NIGHT_QUESTION, "lang": "en"})
    assert english.json()["answer"].startswith("The provisions most relevant")
    out = await client.post("/api/v1/ask", json={"question": "红烧肉怎么做才不腻？"})
    assert out.json()["abstained"] is True and out.json()["sources"]

    # anonymous vote on the first answer
    vote = await client.post(f"/api/v1/ask/{body['question_id']}/vote", json={"helpful": False})
    assert vote.status_code == 200 and vote.json()["helpful"] is False
    missing = await client.post("/api/v1/ask/999999/vote", json={"helpful": True})
    assert missing.status_code == 404

    viewer = bearer(staff_tokens["viewer"])
    logged = (await client.get("/api/v1/staff/knowledge/questions", headers=viewer)).json()
    assert [q["question"] for q in logged] == ["红烧肉怎么做才不腻？", NIGHT_QUESTION, NIGHT_QUESTION]
    assert all(q["channel"] == "api" for q in logged)
    assert logged[1]["sources"][0]["article"] == "第七条"
    unanswered = (await client.get("/api/v1/staff/knowledge/questions?abstained=true", headers=viewer)).json()
    assert [q["question"] for q in unanswered] == ["红烧肉怎么做才不腻？"]
    unhelpful = (await client.get("/api/v1/staff/knowledge/questions?unhelpful=true", headers=viewer)).json()
    assert [q["id"] for q in unhelpful] == [body["question_id"]]
    # no personal identity in the log
    assert not {"user", "user_id", "chat_id", "ip", "name"} & set(logged[0])


async def test_ask_rejects_bad_input(client: httpx.AsyncClient, knowledge: Services) -> None:
    for payload in ({"question": ""}, {"question": "问" * 1001}, {"question": "施工许可证", "k": 0},
                    {"question": "施工许可证", "k": 21}, {}):
        response = await client.post("/api/v1/ask", json=payload)
        assert response.status_code == 422, payload
        assert response.json()["error"]["messages"]["zh"]


async def test_staff_document_management(
    client: httpx.AsyncClient, knowledge: Services, staff_tokens: dict[str, str]
) -> None:
    viewer, triager = bearer(staff_tokens["viewer"]), bearer(staff_tokens["triager"])
    assert (await client.get("/api/v1/staff/knowledge/documents")).status_code == 401

    listed = (await client.get("/api/v1/staff/knowledge/documents", headers=viewer)).json()
    assert {d["source"]: (d["chunk_count"], d["article_count"]) for d in listed}[TEST_LAW.name] == (16, 12)

    files = {"file": ("物业办法.docx", make_docx(LAW_LINES), "application/octet-stream")}
    assert (await client.post("/api/v1/staff/knowledge/documents", files=files, headers=viewer)).status_code == 403
    created = await client.post("/api/v1/staff/knowledge/documents", files=files, headers=triager)
    assert created.status_code == 201, created.text
    doc = created.json()
    assert doc["title"] == "示范县物业管理办法" and doc["article_count"] == 4 and doc["changed"] is True
    answer = (await client.post("/api/v1/ask", json={"question": "示范县物业管理办法第四条"})).json()
    assert answer["sources"][0]["article"] == "第四条" and answer["sources"][0]["file"] == "物业办法.docx"

    wrong = await client.post(
        "/api/v1/staff/knowledge/documents", files={"file": ("规章.xlsx", b"PK\x03\x04", "application/zip")},
        headers=triager,
    )
    assert wrong.status_code == 422
    assert "不支持的文件类型" in wrong.json()["error"]["messages"]["zh"]
    knowledge.settings.knowledge_max_upload_bytes = 100
    too_big = await client.post(
        "/api/v1/staff/knowledge/documents", files={"file": ("大.md", "第一条 内容。".encode() * 50, "text/markdown")},
        headers=triager,
    )
    assert too_big.status_code == 422 and too_big.json()["error"]["code"] == "too_large"

    deleted = await client.delete(f"/api/v1/staff/knowledge/documents/{doc['id']}", headers=triager)
    assert deleted.status_code == 200 and deleted.json()["source"] == "物业办法.docx"
    again = await client.delete(f"/api/v1/staff/knowledge/documents/{doc['id']}", headers=triager)
    assert again.status_code == 404
    sources = {d["source"] for d in (await client.get("/api/v1/staff/knowledge/documents", headers=viewer)).json()}
    assert "物业办法.docx" not in sources
