"""Incremental ingest, uploads, deletion and the Chroma server option."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

import pytest

from core.errors import NotFound, ValidationFailed
from knowledge.service import KnowledgeService
from tests.knowledge.conftest import DATA, SAMPLE_GUIDE, TEST_LAW, make_service
from tests.knowledge.test_loaders import LAW_LINES, make_docx, make_pdf


def _docs(service: KnowledgeService) -> dict[str, tuple[int, int]]:
    return {d.source: (d.chunk_count, d.article_count) for d in service.index.documents()}


def test_incremental_ingest_skips_replaces_and_removes(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(TEST_LAW, folder / TEST_LAW.name)
    shutil.copy(SAMPLE_GUIDE, folder / SAMPLE_GUIDE.name)
    (folder / "notes.xlsx").write_bytes(b"ignored: not a supported type")
    service = make_service(tmp_path / "var")

    first = service.ingest([folder])
    assert sorted(first.added) == sorted([TEST_LAW.name, SAMPLE_GUIDE.name]) and not first.failed
    assert first.ignored == ["notes.xlsx"]
    assert _docs(service)[TEST_LAW.name] == (16, 12)
    vectors = service.index.vector_count()
    assert vectors == first.chunks

    again = service.ingest([folder])
    assert again.added == [] and again.updated == [] and again.embedded == 0
    assert sorted(again.unchanged) == sorted([TEST_LAW.name, SAMPLE_GUIDE.name])

    # change one article: the document is replaced in every index, the other one is untouched
    law = folder / TEST_LAW.name
    marker = f"并在县住建局网站公示证明编号{uuid.uuid4().hex[:8]}"  # text no cache has seen
    law.write_text(law.read_text(encoding="utf-8").replace(
        "并提前向周边居民公告。", f"并提前向周边居民公告，{marker}。"), encoding="utf-8")
    changed = service.ingest([folder])
    assert changed.updated == [TEST_LAW.name] and changed.unchanged == [SAMPLE_GUIDE.name]
    assert changed.embedded == 2  # the changed article and its changed paragraph, nothing else
    assert service.index.vector_count() == vectors
    assert marker in service.search("文明施工管理办法第七条", k=1)[0][0].text
    assert service.search(marker, k=1, mode="bm25")[0][0].article == "第七条"

    # remove a file: its chunks leave Chroma, the catalog and BM25
    law.unlink()
    removed = service.ingest([folder])
    assert removed.removed == [TEST_LAW.name]
    assert list(_docs(service)) == [SAMPLE_GUIDE.name]
    assert service.index.vector_count() == vectors - 16
    hits, _ = service.search("示范县建筑工地文明施工管理办法第七条 夜间施工", k=5, mode="bm25")
    assert all(h.law != "示范县建筑工地文明施工管理办法" for h in hits)


def test_missing_path_is_reported_and_nothing_is_lost(sample_service: KnowledgeService, tmp_path: Path) -> None:
    before = _docs(sample_service)
    report = sample_service.ingest([tmp_path / "nope.md"])
    assert list(report.failed) == [str(tmp_path / "nope.md")]
    assert _docs(sample_service) == before


async def _upload(service: KnowledgeService, name: str, data: bytes):  # noqa: ANN202
    """Upload as the API does, then run the job as the server's job runner does."""
    job = await service.upload(name, data)
    assert job.state == "queued"
    assert service.run_job()
    return await service.job(job.id)


async def test_upload_pdf_and_docx_then_delete(sample_service: KnowledgeService) -> None:
    job = await _upload(sample_service, "示范县物业管理办法.pdf", make_pdf(LAW_LINES))
    assert job.state == "ready" and job.changed and job.chunks_done == job.chunks_total > 0
    info = sample_service.index.document(job.document_id)
    assert info.kind == "law" and info.article_count == 4 and info.title == "示范县物业管理办法"
    same = await _upload(sample_service, "示范县物业管理办法.pdf", make_pdf(LAW_LINES))
    assert same.document_id == info.id and same.changed is False
    docx = await _upload(sample_service, "物业办法.docx", make_docx(LAW_LINES))
    assert sample_service.index.document(docx.document_id).article_count == 4
    hits, _ = sample_service.search("示范县物业管理办法第三条", k=1)
    assert hits[0].article == "第三条" and "专项维修资金属于业主所有" in hits[0].text
    assert not sample_service.run_job()  # the queue is empty
    assert not list(sample_service.jobs.uploads.iterdir())  # uploaded bytes are not kept after indexing

    deleted = await sample_service.delete_document(info.id)
    assert deleted.source == "示范县物业管理办法.pdf"
    assert "示范县物业管理办法.pdf" not in _docs(sample_service)
    with pytest.raises(NotFound):
        await sample_service.delete_document(info.id)


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("规章.exe", b"MZ\x90\x00", "unsupported_document"),
        ("空.md", b"", "empty_file"),
    ],
)
async def test_bad_uploads_are_refused_and_lose_nothing(
    sample_service: KnowledgeService, name: str, data: bytes, code: str
) -> None:
    before = _docs(sample_service)
    with pytest.raises(ValidationFailed) as info:
        await sample_service.upload(name, data)
    assert info.value.code == code
    assert _docs(sample_service) == before
    assert sample_service.jobs.recent() == []


async def test_unreadable_upload_fails_its_job_with_the_reason(sample_service: KnowledgeService) -> None:
    before = _docs(sample_service)
    job = await _upload(sample_service, "规章.pdf", b"%PDF-1.4 truncated")
    assert job.state == "failed" and "damaged or not a valid .pdf" in job.error
    assert _docs(sample_service) == before


async def test_orphaned_jobs_are_queued_again(sample_service: KnowledgeService) -> None:
    job = await sample_service.upload("渣土.md", "# 示范县渣土办法\n\n第一条 渣土车应当密闭。\n\n第二条 不得遗撒。\n\n第三条 违者罚款。".encode())
    with sample_service.jobs._db() as conn:  # a process that died while indexing it
        conn.execute("UPDATE jobs SET state = 'indexing', owner = 2147483000 WHERE id = ?", (job.id,))
    assert not sample_service.run_job()
    assert sample_service.jobs.requeue_orphans() == 1
    assert sample_service.run_job() and (await sample_service.job(job.id)).state == "ready"


async def test_upload_size_limit(tmp_path: Path) -> None:
    service = make_service(tmp_path / "var", knowledge_max_upload_bytes=1000)
    with pytest.raises(ValidationFailed) as info:
        await service.upload("大文件.md", "第一条 内容。\n\n".encode() * 200)
    assert info.value.code == "too_large" and "上限" in info.value.message_zh
    assert service.index.documents() == []


def test_seed_only_when_empty(tmp_path: Path) -> None:
    service = make_service(tmp_path / "var")
    seeded = service.seed_if_empty()
    assert seeded is not None and seeded.added == [SAMPLE_GUIDE.name]
    assert service.seed_if_empty() is None


def test_chroma_server_mode(tmp_path: Path, chroma_server: str) -> None:
    service = make_service(tmp_path / "var", chroma_url=chroma_server, chroma_collection="civicdesk_test")
    report = service.ingest([DATA, SAMPLE_GUIDE])
    assert len(report.added) == 2
    assert not (tmp_path / "var" / "knowledge" / "chroma").exists()  # vectors live in the server
    assert service.index.vector_count() == report.chunks
    answer = service.answer("工地半夜还在施工，吵得睡不着，这样允许吗？")
    assert answer.sources[0].article == "第七条"
    doc_id = next(d.id for d in service.index.documents() if d.source == TEST_LAW.name)
    service.index.delete(doc_id)
    assert service.index.vector_count() == report.chunks - 16


def test_search_state_reads_vectors_from_the_cache_without_opening_chroma(tmp_path: Path) -> None:
    from knowledge.service import build_knowledge
    from tests.knowledge.conftest import knowledge_settings

    make_service(tmp_path / "var").ingest([DATA])
    serving = make_service(tmp_path / "var")  # a new process over the same data directory
    state = serving.retriever.state()
    assert serving.index._collection is None  # every vector came from the embeddings cache
    stored = serving.index.all_vectors()
    assert len(state.matrix) == len(stored) == serving.index.vector_count()

    # a cache that lacks them (another machine's, or emptied): the vectors come from Chroma, the same ones
    cold = build_knowledge(knowledge_settings(tmp_path / "var"), embeddings_cache=tmp_path / "empty.sqlite")
    again = cold.retriever.state()
    assert cold.index._collection is not None
    assert again.matrix.shape == state.matrix.shape
    assert float(abs(again.matrix - state.matrix).max()) < 1e-6  # Chroma keeps them to within 1e-8
    assert cold.search("夜间施工需要什么手续？", k=3)[0][0].ref == serving.search("夜间施工需要什么手续？", k=3)[0][0].ref


async def test_the_process_that_indexed_is_ready_for_the_first_question(tmp_path: Path) -> None:
    """An ingest that changed the index, and the job runner once its queue is drained, build the search
    state (and embed the corpus words) at once, so the first question does not pay for it."""
    service = make_service(tmp_path / "var")
    service.ingest([DATA])
    assert service.retriever.is_built()
    # Nothing changed: the state is not built in a new process for nothing (`civicdesk ingest` exits).
    again = make_service(tmp_path / "var")
    assert again.ingest([DATA]).unchanged and not again.retriever.is_built()
    runner = asyncio.create_task(service.run_jobs(poll_s=0.05))
    try:
        job = await service.upload("渣土.md", "# 示范县渣土办法\n\n第一条 渣土车应当密闭。\n\n第二条 不得遗撒。".encode())
        for _ in range(600):
            if (await service.job(job.id)).state == "ready" and service.retriever.is_built():
                break
            await asyncio.sleep(0.05)
        assert (await service.job(job.id)).state == "ready" and service.retriever.is_built()
    finally:
        runner.cancel()
    assert "示范县渣土办法" in service.retriever.state().titles  # the warm state holds the new law
