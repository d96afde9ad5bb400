"""What goes into and comes out of the knowledge service. Channel-neutral: the HTTP API, the portal, the
staff console, the bot and the CLI all speak these (no ORM rows or retrieval internals leave the service).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# One rule for every channel: the API refuses longer questions, the portal's field and the bot say so.
MAX_QUESTION_CHARS = 500
MAX_K = 20

# The names of these schemas' fields in validation messages: (Chinese, English).
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "question": ("问题", "question"),
    "k": ("返回条数", "number of sources"),
    "lang": ("语言", "language"),
    "helpful": ("是否有帮助", "helpful"),
}


class AskIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    k: int = Field(default=5, ge=1, le=MAX_K)
    lang: str | None = Field(default=None, pattern=r"^(zh|en)")


class Source(BaseModel):
    """A retrieved citable unit: a law's article (all its parts) or a section of a guide."""

    ref: str = Field(description="the unit's id in the index (for fetching its text again)")
    law: str = Field(description="the document's full title")
    short_title: str = Field(description="the title without 中华人民共和国")
    law_en: str | None = Field(default=None, description="the English title, where known")
    article: str = Field(description="第七条 for laws, empty for guides")
    chapter: str
    file: str
    score: float
    text: str
    citation: str = Field(description="《full title》第七条 (guides: 《title》“section”)")


class ReportSuggestion(BaseModel):
    """The question describes a reportable problem at a site: offer the report flow with this category."""

    category: str = Field(description="a code from /api/v1/categories")
    score: float = 0.0


class Missing(BaseModel):
    """The question names a law or an article that is not in the knowledge index."""

    law: str = Field(description="the law as named in the question")
    article: str | None = Field(default=None, description="the article as named, when the law is loaded but not it")
    loaded_title: str | None = Field(default=None, description="the loaded law's title, when only the article is missing")
    staff_hint_zh: str
    staff_hint_en: str


class AnswerOut(BaseModel):
    question: str
    lang: str = "zh"
    answer: str = Field(description="1-3 sentences, each followed by its citation; or the abstention text")
    abstained: bool
    sources: list[Source] = Field(description="full articles behind the answer (shown folded)")
    cited: list[str] = Field(default_factory=list, description="refs of the sources the answer quotes")
    mode: str = Field(description="extractive | llm | fallback | abstain")
    llm: bool = False
    retrieval: str = "hybrid"
    confidence: float = 0.0
    fallback_reason: str | None = None
    question_id: int | None = None
    report_suggestion: ReportSuggestion | None = None
    missing: Missing | None = None


class VoteIn(BaseModel):
    helpful: bool


class QuestionOut(BaseModel):
    """A logged question (no personal identity)."""

    model_config = ConfigDict(from_attributes=True)

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


class JobState(StrEnum):
    QUEUED = "queued"
    INDEXING = "indexing"
    READY = "ready"
    FAILED = "failed"


class IngestJobOut(BaseModel):
    """A document being added: queued -> indexing (chunks done/total) -> ready | failed (with the reason)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    state: JobState
    chunks_done: int = 0
    chunks_total: int = 0
    error: str | None = None
    document_id: str | None = None
    changed: bool | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def finished(self) -> bool:
        return self.state in (JobState.READY, JobState.FAILED)


__all__ = [
    "MAX_K", "MAX_QUESTION_CHARS", "AnswerOut", "AskIn", "DocumentOut", "IngestJobOut", "JobState",
    "Missing", "QuestionOut", "ReportSuggestion", "Source", "VoteIn",
]
