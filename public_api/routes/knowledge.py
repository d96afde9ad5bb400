"""Policy questions (public) and the knowledge base (staff): documents and the question log."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, Field

from core.errors import ValidationFailed
from knowledge.service import MAX_K, MAX_QUESTION_CHARS

from ..deps import LangDep, RowId, ServicesDep, Triager, Viewer

router = APIRouter(prefix="/api/v1", tags=["knowledge"])


class AskIn(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    k: int = Field(default=5, ge=1, le=MAX_K)
    lang: str | None = Field(default=None, pattern=r"^(zh|en)")


class SourceOut(BaseModel):
    law: str
    article: str
    chapter: str
    file: str
    score: float
    text: str


class AskOut(BaseModel):
    question: str
    answer: str
    abstained: bool
    sources: list[SourceOut]
    mode: str
    llm: bool
    retrieval: str
    confidence: float
    fallback_reason: str | None = None
    question_id: int | None = None


class VoteIn(BaseModel):
    helpful: bool


class DocumentOut(BaseModel):
    id: str
    source: str
    title: str
    kind: str
    version: str
    chunk_count: int
    article_count: int
    size: int
    ingested_at: str


class UploadOut(DocumentOut):
    changed: bool


class QuestionOut(BaseModel):
    id: int
    asked_at: datetime
    question: str
    channel: str
    lang: str
    abstained: bool
    mode: str
    top_score: float
    sources: list[dict[str, Any]]
    helpful: bool | None
    voted_at: datetime | None


def _document(info: Any, **extra: Any) -> dict[str, Any]:
    body = {key: value for key, value in info.as_dict().items() if key != "origin"}
    body.update(extra)
    return body


@router.post("/ask", response_model=AskOut)
async def ask(body: AskIn, services: ServicesDep, lang: LangDep) -> dict[str, Any]:
    """Answer a policy question from the ingested regulations and guides, with cited articles."""
    answer = await services.knowledge.ask(body.question, k=body.k, lang=body.lang or lang, channel="api")
    return answer.as_dict()


@router.post("/ask/{question_id}/vote", response_model=QuestionOut)
async def vote(question_id: RowId, body: VoteIn, services: ServicesDep) -> Any:
    """Tell whether an answer helped (anonymous)."""
    return await services.knowledge.vote(question_id, body.helpful)


@router.get("/staff/knowledge/documents", response_model=list[DocumentOut])
async def list_documents(services: ServicesDep, _: Viewer) -> list[dict[str, Any]]:
    documents = await asyncio.to_thread(services.knowledge.documents)
    return [_document(info) for info in documents]


@router.post("/staff/knowledge/documents", response_model=UploadOut, status_code=201)
async def upload_document(
    services: ServicesDep, _: Triager, file: Annotated[UploadFile, File(description=".md .txt .pdf .docx")]
) -> dict[str, Any]:
    """Upload a document; it is parsed, split and indexed at once (same name replaces the old version)."""
    limit = services.settings.knowledge_max_upload_bytes
    data = await file.read(limit + 1)  # read one byte past the limit to know it is too large
    name = file.filename or ""
    if not name:
        raise ValidationFailed("上传的文件没有文件名", "The uploaded file has no name", code="invalid_file")
    info, changed = await asyncio.to_thread(services.knowledge.upload, name, data)
    return _document(info, changed=changed)


@router.delete("/staff/knowledge/documents/{doc_id}", response_model=DocumentOut)
async def delete_document(doc_id: str, services: ServicesDep, _: Triager) -> dict[str, Any]:
    return _document(await asyncio.to_thread(services.knowledge.delete_document, doc_id))


@router.get("/staff/knowledge/questions", response_model=list[QuestionOut])
async def list_questions(
    services: ServicesDep,
    _: Viewer,
    abstained: bool | None = None,
    unhelpful: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Any:
    """Logged questions, newest first: `abstained=true` for unanswered, `unhelpful=true` for badly rated."""
    return await services.knowledge.questions(abstained=abstained, unhelpful=unhelpful, limit=limit, offset=offset)
