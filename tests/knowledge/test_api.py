"""HTTP: POST /api/v1/ask, votes, and the staff knowledge API (documents and the question log)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import httpx
import pytest

from civicdesk.container import Services
from knowledge.schemas import MAX_QUESTION_CHARS
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
    assert set(top) == {"ref", "law", "short_title", "law_en", "article", "chapter", "file", "score", "text",
                        "citation"}
    assert (top["law"], top["article"]) == ("示范县建筑工地文明施工管理办法", "第七条")
    assert "（《示范县建筑工地文明施工管理办法》第七条）" in body["answer"] and len(body["answer"]) <= 300
    assert top["text"].startswith("第七条") and top["text"] not in body["answer"]  # the full text only in sources
    assert body["report_suggestion"] == {"category": "night_noise", "score": body["report_suggestion"]["score"]}
    assert body["missing"] is None

    english = await client.post("/api/v1/ask", json={"question": NIGHT_QUESTION, "lang": "en"})
    assert english.json()["answer"].startswith("From the regulations (quoted in the original Chinese):")
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
    for payload in ({"question": ""}, {"question": "问" * (MAX_QUESTION_CHARS + 1)}, {"question": "施工许可证", "k": 0},
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
    assert created.status_code == 202, created.text
    job = created.json()
    assert job["state"] == "queued" and job["filename"] == "物业办法.docx"
    job = await run_jobs_until_done(client, knowledge, job["id"], viewer)
    assert job["state"] == "ready" and job["changed"] is True and job["chunks_done"] == job["chunks_total"] > 0
    doc = next(d for d in (await client.get("/api/v1/staff/knowledge/documents", headers=viewer)).json()
               if d["id"] == job["document_id"])
    assert doc["title"] == "示范县物业管理办法" and doc["article_count"] == 4
    answer = (await client.post("/api/v1/ask", json={"question": "示范县物业管理办法第四条"})).json()
    assert answer["sources"][0]["article"] == "第四条" and answer["sources"][0]["file"] == "物业办法.docx"

    wrong = await client.post(
        "/api/v1/staff/knowledge/documents", files={"file": ("规章.xlsx", b"PK\x03\x04", "application/zip")},
        headers=triager,
    )
    assert wrong.status_code == 422
    assert "不支持的文件类型" in wrong.json()["error"]["messages"]["zh"]
    knowledge.knowledge.policy = dataclasses.replace(knowledge.knowledge.policy, max_upload_bytes=100)
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


async def run_jobs_until_done(client: httpx.AsyncClient, services: Services, job_id: int,
                              headers: dict[str, str]) -> dict[str, Any]:
    """Run the job runner (what the server's lifespan starts) until the job is ready or failed."""
    runner = asyncio.create_task(services.knowledge.run_jobs(poll_s=0.05))
    try:
        for _ in range(600):
            job = (await client.get(f"/api/v1/staff/knowledge/jobs/{job_id}", headers=headers)).json()
            if job["state"] in ("ready", "failed"):
                return job
            await asyncio.sleep(0.05)
        raise AssertionError(f"job {job_id} did not finish: {job}")
    finally:
        runner.cancel()


async def test_upload_is_a_job_that_reports_progress_and_failure(
    client: httpx.AsyncClient, knowledge: Services, staff_tokens: dict[str, str]
) -> None:
    viewer, triager = bearer(staff_tokens["viewer"]), bearer(staff_tokens["triager"])
    law = "\n\n".join(["# 示范县渣土运输管理办法"] + [f"第{n}条 渣土运输车辆应当密闭，第{n}项要求。" for n in
                                                   "一二三四五六七八"]).encode()
    created = await client.post("/api/v1/staff/knowledge/documents", headers=triager,
                                files={"file": ("渣土办法.md", law, "text/markdown")})
    assert created.status_code == 202 and created.json()["state"] == "queued"
    # progress is recorded while embedding: every reported state is consistent
    seen: list[tuple[int, int]] = []
    store = knowledge.knowledge.jobs
    original = store.progress

    def spy(job_id: int, done: int, total: int) -> None:
        seen.append((done, total))
        original(job_id, done, total)

    store.progress = spy  # type: ignore[method-assign]
    job = await run_jobs_until_done(client, knowledge, created.json()["id"], viewer)
    assert job["state"] == "ready" and job["error"] is None
    assert seen and all(0 <= done <= total == seen[0][1] for done, total in seen) and seen[-1][0] == seen[-1][1]
    answer = (await client.post("/api/v1/ask", json={"question": "示范县渣土运输管理办法第三条"})).json()
    assert answer["sources"][0]["article"] == "第三条"

    # an unreadable PDF is accepted at once and fails with the reason
    broken = await client.post("/api/v1/staff/knowledge/documents", headers=triager,
                               files={"file": ("坏文件.pdf", b"%PDF-1.4 not really", "application/pdf")})
    assert broken.status_code == 202
    failed = await run_jobs_until_done(client, knowledge, broken.json()["id"], viewer)
    assert failed["state"] == "failed" and failed["error"]
    listed = (await client.get("/api/v1/staff/knowledge/jobs", headers=viewer)).json()
    assert [j["id"] for j in listed[:2]] == [failed["id"], job["id"]]
    assert (await client.get("/api/v1/staff/knowledge/jobs/99999", headers=viewer)).status_code == 404
    assert (await client.get("/api/v1/staff/knowledge/jobs")).status_code == 401


async def test_one_question_length_rule_on_the_api_and_the_portal(client: httpx.AsyncClient, knowledge: Services) -> None:
    longest = "工地夜间施工" + "问" * (MAX_QUESTION_CHARS - 6)
    assert (await client.post("/api/v1/ask", json={"question": longest})).status_code == 200
    assert (await client.get("/ask", params={"q": longest})).status_code == 200
    too_long = longest + "问"
    api = await client.post("/api/v1/ask", json={"question": too_long})
    assert api.status_code == 422
    page = await client.get("/ask", params={"q": too_long})  # said so, not silently cut
    assert page.status_code == 422 and f"{MAX_QUESTION_CHARS} 字以内" in page.text
    assert f'maxlength="{MAX_QUESTION_CHARS}"' in page.text


async def test_portal_hands_a_reportable_question_to_the_prefilled_report_form(
    client: httpx.AsyncClient, knowledge: Services
) -> None:
    await knowledge.complaints.ensure_seed_data()
    question = "隔壁工地每天半夜打桩，吵得睡不着，找谁投诉？"
    page = await client.get("/ask", params={"q": question})
    assert page.status_code == 200 and 'id="report-handoff"' in page.text
    assert "<details>" in page.text and "<details open" not in page.text
    form = await client.get("/report", params={"category": "night_noise", "description": question})
    assert '<option value="night_noise" selected>' in form.text and question in form.text
    unknown = await client.get("/report", params={"category": "nope"})
    assert "selected>" not in unknown.text.split('name="category"')[1].split("</select>")[0]
    company = await client.get("/ask", params={"q": "施工许可证办理需要多长时间"})
    assert 'id="report-handoff"' not in company.text


async def test_a_portal_vote_is_stored_and_the_question_logged_once(
    client: httpx.AsyncClient, knowledge: Services
) -> None:
    question = "工地晚上施工太吵了怎么办？"
    page = await client.get("/ask", params={"q": question})
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    question_id = int(page.text.split('name="question_id" value="', 1)[1].split('"', 1)[0])
    voted = await client.post("/ask/vote", data={"csrf_token": csrf, "question_id": question_id,
                                                 "helpful": "false", "q": question})
    assert voted.status_code == 303 and "voted=1" in voted.headers["location"]
    again = await client.get(voted.headers["location"])
    assert again.status_code == 200 and 'name="helpful"' not in again.text  # no second vote offered
    logged = [q for q in await knowledge.knowledge.questions() if q.question == question]
    assert [(q.id, q.helpful) for q in logged] == [(question_id, False)]
