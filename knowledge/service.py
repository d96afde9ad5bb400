"""KnowledgeService: the one object the CLI, the HTTP API and the bot use for policy questions.

Built from (settings, db). The embedding model, Chroma and the search state load lazily on first use,
so building the service costs nothing at application start-up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.clock import Clock, SystemClock
from core.db import Database
from core.errors import NotFound, ValidationFailed
from core.settings import Settings
from knowledge.answer import Answer, abstain_answer, check_citations, extractive_answer, llm_messages
from knowledge.embeddings import CachedEmbeddings, build_embeddings
from knowledge.index import DocumentInfo, IngestReport, KnowledgeIndex
from knowledge.models import KnowledgeQuestion
from knowledge.retrieval import MODES, Hit, Params, Retriever

log = logging.getLogger(__name__)

SAMPLE_DIR = Path(__file__).parent / "sample"
# Calibrated on ../shared/eval/dev.jsonl (see README, "Knowledge"): below this best vector similarity
# the question is taken to be outside the documents.
ABSTAIN_THRESHOLD = 0.88
MAX_QUESTION_CHARS = 1000
MAX_K = 20


class KnowledgeService:
    def __init__(
        self,
        settings: Settings,
        db: Database | None = None,
        *,
        clock: Clock | None = None,
        params: Params | None = None,
        threshold: float | None = None,
        embeddings_cache: Path | None = None,
    ):
        self.settings = settings
        self.db = db
        self.clock = clock or SystemClock()
        self.params = params
        self.threshold = ABSTAIN_THRESHOLD if threshold is None else threshold
        self.embeddings_cache = embeddings_cache  # default: <knowledge_dir>/embeddings.sqlite
        self._index: KnowledgeIndex | None = None
        self._retriever: Retriever | None = None
        self._llm: Any = None

    # --- components (lazy) ------------------------------------------------------------------------
    @property
    def directory(self) -> Path:
        return Path(self.settings.resolved_knowledge_dir)

    @property
    def index(self) -> KnowledgeIndex:
        if self._index is None:
            backend, key = build_embeddings(self.settings)
            embeddings = CachedEmbeddings(backend, key, self.embeddings_cache or self.directory / "embeddings.sqlite")
            self._index = KnowledgeIndex(
                self.directory, embeddings, chroma_url=self.settings.chroma_url,
                collection=self.settings.chroma_collection,
            )
        return self._index

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            self._retriever = Retriever(self.index, self.params)
        return self._retriever

    @property
    def llm_enabled(self) -> bool:
        return bool(self.settings.llm_base_url and self.settings.llm_model)

    def _chat(self):  # type: ignore[no-untyped-def]
        if self._llm is None:
            from langchain_openai import ChatOpenAI

            self._llm = ChatOpenAI(
                model=self.settings.llm_model,
                base_url=self.settings.llm_base_url,
                api_key=self.settings.llm_api_key or "not-needed",
                timeout=self.settings.llm_timeout_s,
                max_retries=0,
                temperature=0,
            )
        return self._llm

    # --- documents ----------------------------------------------------------------------------------
    def ingest(self, paths: list[Path | str], *, progress: bool = False) -> IngestReport:
        return self.index.ingest(paths, progress=progress)

    def seed_if_empty(self, *, progress: bool = False) -> IngestReport | None:
        """Ingest the seed documents (default: the bundled sample guide) when the index is empty."""
        if not self.index.is_empty():
            return None
        seed = Path(self.settings.knowledge_seed_dir or SAMPLE_DIR)
        if not seed.exists():
            log.warning("knowledge seed folder %s does not exist", seed)
            return None
        return self.index.ingest([seed], progress=progress)

    def upload(self, filename: str, data: bytes) -> tuple[DocumentInfo, bool]:
        limit = self.settings.knowledge_max_upload_bytes
        if len(data) > limit:
            raise ValidationFailed(
                f"文件太大：{len(data) // 1024} KB，上限为 {limit // 1024} KB",
                f"File too large: {len(data) // 1024} KB; the limit is {limit // 1024} KB",
                code="too_large", limit_bytes=limit,
            )
        if not data:
            raise ValidationFailed("文件是空的", "The file is empty", code="empty_file")
        return self.index.ingest_bytes(filename, data)

    def documents(self) -> list[DocumentInfo]:
        return self.index.documents()

    def delete_document(self, doc_id: str) -> DocumentInfo:
        return self.index.delete(doc_id)

    # --- questions ----------------------------------------------------------------------------------
    def search(self, question: str, k: int = 5, mode: str = "hybrid") -> tuple[list[Hit], float]:
        result = self.retriever.search(question, k=k, mode=mode)
        return result.hits, result.confidence

    def answer(
        self, question: str, *, k: int = 5, lang: str = "zh", mode: str = "hybrid", use_llm: bool = True
    ) -> Answer:
        """Retrieve and compose an answer (blocking; from async code use `ask`)."""
        question = _clean_question(question)
        k = _clean_k(k)
        if mode not in MODES:
            raise ValidationFailed(f"检索模式必须是 {'/'.join(MODES)}", f"mode must be one of {', '.join(MODES)}")
        result = self.retriever.search(question, k=k, mode=mode)
        hits = result.hits
        confident = bool(hits) and (result.direct or result.confidence >= self.threshold)
        if not confident:
            return Answer(
                question, abstain_answer(lang, self._contact()), True, hits, "abstain", retrieval=mode,
                confidence=result.confidence,
            )
        answer = Answer(
            question, extractive_answer(question, hits, lang), False, hits, "extractive", retrieval=mode,
            confidence=result.confidence,
        )
        if use_llm and self.llm_enabled:
            self._llm_answer(answer, lang)
        return answer

    def _llm_answer(self, answer: Answer, lang: str) -> None:
        try:
            reply = self._chat().invoke(llm_messages(answer.question, answer.sources, lang))
            text = str(reply.content).strip()
        except Exception as exc:  # timeout, connection refused, HTTP error, bad JSON
            log.warning("LLM failed, extractive answer used: %s", exc)
            answer.mode, answer.fallback_reason = "fallback", f"llm error: {type(exc).__name__}"
            return
        ok, reason = check_citations(text, answer.sources)
        if not ok:
            log.warning("LLM reply rejected (%s), extractive answer used", reason)
            answer.mode, answer.fallback_reason = "fallback", reason
            return
        answer.answer, answer.mode, answer.llm = text, "llm", True

    def _contact(self) -> str:
        """The bureau's contact chapter from the guides (address, hours, phone numbers), if there is one."""
        state = self.retriever.state()
        lines = [
            f"{parts[0].section or parts[0].chapter}：{parts[0].text}"
            for parts in state.parts
            if not parts[0].article and "联系" in f"{parts[0].chapter}{parts[0].section}"
        ]
        return "\n".join(lines)[:600]

    async def ask(
        self, question: str, *, k: int = 5, lang: str = "zh", channel: str = "api", mode: str = "hybrid",
        use_llm: bool = True,
    ) -> Answer:
        """Answer and log the question (no personal identity is stored)."""
        started = time.perf_counter()
        answer = await asyncio.to_thread(self.answer, question, k=k, lang=lang, mode=mode, use_llm=use_llm)
        await self.log(answer, channel=channel, lang=lang, duration_ms=int((time.perf_counter() - started) * 1000))
        return answer

    async def log(self, answer: Answer, *, channel: str, lang: str, duration_ms: int = 0) -> None:
        """Record an answered question in the question log; sets `answer.question_id`."""
        if self.db is None:
            return
        row = KnowledgeQuestion(
            asked_at=self.clock.now(), question=answer.question, channel=channel[:20], lang=lang[:8],
            abstained=answer.abstained, mode=answer.mode, top_score=round(answer.confidence, 4),
            sources=[{"law": h.law, "article": h.article, "score": round(float(h.score), 4)} for h in answer.sources],
            duration_ms=duration_ms,
        )
        async with self.db.write_session() as session:
            session.add(row)
            await session.flush()
            answer.question_id = row.id

    async def vote(self, question_id: int, helpful: bool) -> KnowledgeQuestion:
        if self.db is None:
            raise NotFound("问题记录不可用", "The question log is not available")
        async with self.db.write_session() as session:
            row = await session.get(KnowledgeQuestion, question_id)
            if row is None:
                raise NotFound(f"没有找到问题 {question_id}", f"Question {question_id} not found", id=question_id)
            row.helpful = helpful
            row.voted_at = self.clock.now()
        return row

    async def questions(
        self, *, abstained: bool | None = None, unhelpful: bool | None = None, limit: int = 50, offset: int = 0
    ) -> list[KnowledgeQuestion]:
        """Logged questions, newest first; filter by abstained and/or voted not helpful."""
        if self.db is None:
            return []
        query = select(KnowledgeQuestion).order_by(KnowledgeQuestion.asked_at.desc(), KnowledgeQuestion.id.desc())
        if abstained is not None:
            query = query.where(KnowledgeQuestion.abstained.is_(abstained))
        if unhelpful is True:
            query = query.where(KnowledgeQuestion.helpful.is_(False))
        elif unhelpful is False:
            query = query.where(KnowledgeQuestion.helpful.is_not(False))
        query = query.limit(max(1, min(limit, 500))).offset(max(0, offset))
        async with self.db.session() as session:
            return list((await session.execute(query)).scalars())


def _clean_question(question: str) -> str:
    question = (question or "").strip()
    if not question:
        raise ValidationFailed("问题不能为空", "The question is empty", code="empty_question")
    if len(question) > MAX_QUESTION_CHARS:
        raise ValidationFailed(
            f"问题太长（{len(question)} 字），请控制在 {MAX_QUESTION_CHARS} 字以内",
            f"The question is too long ({len(question)} characters); the limit is {MAX_QUESTION_CHARS}",
            code="question_too_long",
        )
    return question


def _clean_k(k: int) -> int:
    if not 1 <= int(k) <= MAX_K:
        raise ValidationFailed(f"k 必须在 1 到 {MAX_K} 之间", f"k must be between 1 and {MAX_K}")
    return int(k)


def build_knowledge(settings: Settings, db: Database | None = None, *, clock: Clock | None = None) -> KnowledgeService:
    return KnowledgeService(settings, db, clock=clock)


__all__ = ["KnowledgeService", "build_knowledge"]
