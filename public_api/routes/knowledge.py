"""Policy questions (public) and the knowledge base (staff): documents, ingest jobs and the question log.

Every body is a schema of `knowledge.schemas`; this module only translates HTTP."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile

from core.errors import ValidationFailed
from knowledge.schemas import AnswerOut, AskIn, DocumentOut, IngestJobOut, QuestionOut, VoteIn

from ..deps import LangDep, RowId, ServicesDep, Triager, Viewer
from ..errors import BASE_ERRORS, STAFF_ERRORS, error_responses

router = APIRouter(prefix="/api/v1", tags=["knowledge"], responses=error_responses(*BASE_ERRORS))


@router.post("/ask", response_model=AnswerOut)
async def ask(body: AskIn, services: ServicesDep, lang: LangDep) -> AnswerOut:
    """Answer a policy question: a short cited answer, the full articles in `sources`, and a
    `report_suggestion` when the question describes a reportable problem at a site."""
    return await services.knowledge.ask(body.question, k=body.k, lang=body.lang or lang, channel="api")


@router.post("/ask/{question_id}/vote", response_model=QuestionOut)
async def vote(question_id: RowId, body: VoteIn, services: ServicesDep) -> QuestionOut:
    """Tell whether an answer helped (anonymous)."""
    return await services.knowledge.vote(question_id, body.helpful)


@router.get("/staff/knowledge/documents", response_model=list[DocumentOut],
             responses=error_responses(*STAFF_ERRORS))
async def list_documents(services: ServicesDep, _: Viewer) -> list[DocumentOut]:
    return await services.knowledge.documents()


@router.post("/staff/knowledge/documents", response_model=IngestJobOut, status_code=202,
             responses=error_responses(*STAFF_ERRORS))
async def upload_document(
    services: ServicesDep, _: Triager, file: Annotated[UploadFile, File(description=".md .txt .pdf .docx")]
) -> IngestJobOut:
    """Upload a document: it is queued and indexed in the background (same name replaces the old
    version); follow it at `GET .../jobs/{id}`."""
    limit = services.knowledge.policy.max_upload_bytes
    data = await file.read(limit + 1)  # read one byte past the limit to know it is too large
    if not file.filename:
        raise ValidationFailed("上传的文件没有文件名", "The uploaded file has no name", code="invalid_file")
    return await services.knowledge.upload(file.filename, data)


@router.get("/staff/knowledge/jobs", response_model=list[IngestJobOut],
             responses=error_responses(*STAFF_ERRORS))
async def list_jobs(services: ServicesDep, _: Viewer, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Any:
    return await services.knowledge.recent_jobs(limit)


@router.get("/staff/knowledge/jobs/{job_id}", response_model=IngestJobOut,
             responses=error_responses(*STAFF_ERRORS))
async def get_job(job_id: RowId, services: ServicesDep, _: Viewer) -> IngestJobOut:
    """An ingest job's state: queued, indexing (chunks_done/chunks_total), ready, failed (error)."""
    return await services.knowledge.job(job_id)


@router.delete("/staff/knowledge/documents/{doc_id}", response_model=DocumentOut,
             responses=error_responses(*STAFF_ERRORS))
async def delete_document(doc_id: str, services: ServicesDep, _: Triager) -> DocumentOut:
    return await services.knowledge.delete_document(doc_id)


@router.get("/staff/knowledge/questions", response_model=list[QuestionOut],
             responses=error_responses(*STAFF_ERRORS))
async def list_questions(
    services: ServicesDep,
    _: Viewer,
    abstained: bool | None = None,
    unhelpful: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[QuestionOut]:
    """Logged questions, newest first: `abstained=true` for unanswered, `unhelpful=true` for badly rated."""
    return await services.knowledge.questions(abstained=abstained, unhelpful=unhelpful, limit=limit, offset=offset)
