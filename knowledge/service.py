"""KnowledgeService: the one object the CLI, the HTTP API, the portal, the console and the bot use for
policy questions. It returns the schemas of `knowledge.schemas`, never ORM rows or retrieval internals.

Built by `build_knowledge(settings, db)`, which turns the settings into a `KnowledgePolicy` and an
embeddings factory. The embedding model, Chroma and the search state load lazily on first use, so
building the service costs nothing at application start-up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.clock import Clock, SystemClock
from core.db import Database
from core.errors import DomainError, NotFound, ValidationFailed
from knowledge.answer import abstain_answer, check_short_answer, compose, llm_messages
from knowledge.embeddings import CachedEmbeddings
from knowledge.handoff import suggest
from knowledge.index import DocumentInfo, IngestReport, KnowledgeIndex
from knowledge.jobs import JobStore, upload_texts
from knowledge.loaders import is_supported, load_bytes
from knowledge.missing import find_missing, missing_text, reference_only
from knowledge.models import KnowledgeQuestion
from knowledge.policy import KnowledgePolicy
from knowledge.retrieval import MODES, Hit, Params, Retriever
from knowledge.schemas import (
    MAX_K, AnswerOut, DocumentOut, IngestJobOut, QuestionOut, ReportSuggestion, Source,
)
from knowledge.splitter import short_title
from knowledge.thesaurus import LAW_ALIASES
from knowledge.titles import english_title
from knowledge.topics import SHIPPED_DIR as SHIPPED_TOPICS
from knowledge.topics import load_topics

log = logging.getLogger(__name__)

SAMPLE_DIR = Path(__file__).parent / "sample"
EmbeddingsFactory = Callable[[], tuple[Any, str]]  # -> (LangChain Embeddings, key naming the back end)
CategoriesProvider = Callable[[], Awaitable[list[str]]]  # active report category codes


class KnowledgeService:
    def __init__(
        self,
        policy: KnowledgePolicy,
        db: Database | None = None,
        *,
        embeddings: EmbeddingsFactory,
        clock: Clock | None = None,
        params: Params | None = None,
        embeddings_cache: Path | None = None,
        categories: CategoriesProvider | None = None,
    ):
        self.policy = policy
        self.db = db
        self.clock = clock or SystemClock()
        self.params = params
        self.threshold = policy.abstain_threshold
        self.embeddings_cache = embeddings_cache  # default: <knowledge_dir>/embeddings.sqlite
        self.categories = categories
        self._embeddings_factory = embeddings
        self._index: KnowledgeIndex | None = None
        self._retriever: Retriever | None = None
        self._jobs: JobStore | None = None
        self._llm: Any = None
        self._wake = asyncio.Event()

    # --- components (lazy) ------------------------------------------------------------------------
    @property
    def directory(self) -> Path:
        return self.policy.directory

    @property
    def index(self) -> KnowledgeIndex:
        if self._index is None:
            backend, key = self._embeddings_factory()
            cache = self.embeddings_cache or self.policy.embeddings_cache or self.directory / "embeddings.sqlite"
            embeddings = CachedEmbeddings(backend, key, cache)
            self._index = KnowledgeIndex(
                self.directory, embeddings, chroma_url=self.policy.chroma_url, collection=self.policy.chroma_collection,
            )
        return self._index

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            directories = [SHIPPED_TOPICS, *([self.policy.topics_dir] if self.policy.topics_dir else [])]
            self._retriever = Retriever(self.index, self.params, load_topics(directories))
        return self._retriever

    @property
    def jobs(self) -> JobStore:
        if self._jobs is None:
            self._jobs = JobStore(self.directory)
        return self._jobs

    @property
    def llm_enabled(self) -> bool:
        return self.policy.llm_enabled

    def _chat(self):  # type: ignore[no-untyped-def]
        if self._llm is None:
            from langchain_openai import ChatOpenAI

            self._llm = ChatOpenAI(
                model=self.policy.llm_model, base_url=self.policy.llm_base_url,
                api_key=self.policy.llm_api_key or "not-needed", timeout=self.policy.llm_timeout_s,
                max_retries=0, temperature=0,
            )
        return self._llm

    # --- documents (blocking: the CLI and start-up) -----------------------------------------------
    def ingest(self, paths: list[Path | str], *, progress: bool = False) -> IngestReport:
        report = self.index.ingest(paths, progress=progress)
        if report.added or report.updated or report.removed:
            self.warm()  # unchanged: nothing new to embed, and `civicdesk ingest` exits right after
        return report

    def warm(self) -> None:
        """Build the search state now (keyword index, vectors, and the corpus words' vectors, which
        are embedded once per machine and cached), so the first question after an ingest does not
        wait 10-30 s for it. The process that indexed is warm; another one reads the word vectors
        from the shared cache when it builds its own state."""
        if not self.index.is_empty():
            self.retriever.state()

    def seed_if_empty(self, *, progress: bool = False) -> IngestReport | None:
        """Ingest the seed documents (default: the bundled sample guide) when the index is empty."""
        if not self.index.is_empty():
            return None
        seed = Path(self.policy.seed_dir or SAMPLE_DIR)
        if not seed.exists():
            log.warning("knowledge seed folder %s does not exist", seed)
            return None
        return self.ingest([seed], progress=progress)

    # --- documents (async: the API and the console) -----------------------------------------------
    async def documents(self) -> list[DocumentOut]:
        return [_document(info) for info in await asyncio.to_thread(self.index.documents)]

    async def delete_document(self, doc_id: str) -> DocumentOut:
        return _document(await asyncio.to_thread(self.index.delete, doc_id))

    async def upload(self, filename: str, data: bytes) -> IngestJobOut:
        """Queue an uploaded document for indexing; returns at once (the job runner indexes it)."""
        name = Path(filename or "").name
        if not name:
            raise ValidationFailed("上传的文件没有文件名", "The uploaded file has no name", code="invalid_file")
        limit = self.policy.max_upload_bytes
        if len(data) > limit:
            raise ValidationFailed(
                f"文件太大：{len(data) // 1024} KB，上限为 {limit // 1024} KB",
                f"File too large: {len(data) // 1024} KB; the limit is {limit // 1024} KB",
                code="too_large", limit_bytes=limit,
            )
        if not data:
            raise ValidationFailed("文件是空的", "The file is empty", code="empty_file")
        if not is_supported(name):
            load_bytes(name, b"")  # raises the loader's clear error for a type it does not read
        job = await asyncio.to_thread(self.jobs.create, name, data)
        self._wake.set()
        return job

    async def job(self, job_id: int) -> IngestJobOut:
        job = await asyncio.to_thread(self.jobs.get, job_id)
        if job is None:
            raise NotFound(f"没有找到任务 {job_id}", f"Ingest job {job_id} not found", id=job_id)
        return job

    async def recent_jobs(self, limit: int = 20) -> list[IngestJobOut]:
        return await asyncio.to_thread(self.jobs.recent, limit)

    async def job_counts(self) -> dict[str, int]:
        """Ingest jobs by state (for /metrics)."""
        return await asyncio.to_thread(self.jobs.counts)

    def run_job(self) -> bool:
        """Index the oldest queued upload (blocking); False when the queue is empty."""
        claimed = self.jobs.claim()
        if claimed is None:
            return False
        job, path = claimed
        try:
            data = path.read_bytes()
            texts = upload_texts(job.filename, data)
            embeddings = self.index.embeddings
            cached = len(embeddings.lookup(texts)) if texts else 0
            done = [min(cached, len(texts))]
            self.jobs.progress(job.id, done[0], len(texts))

            def advance(count: int) -> None:
                done[0] = min(done[0] + count, len(texts))
                self.jobs.progress(job.id, done[0], len(texts))

            embeddings.progress = advance
            try:
                info, changed = self.index.ingest_bytes(job.filename, data)
            finally:
                embeddings.progress = None
        except Exception as exc:  # a parse error, a broken embedding back end, a full disk: the job says so
            log.warning("ingest job %s (%s) failed: %s", job.id, job.filename, exc)
            if isinstance(exc, DomainError):
                reason = f"{exc.message_zh} / {exc.message_en}"
            else:
                reason = f"{type(exc).__name__}: {exc}"
            self.jobs.finish(job.id, error=str(reason)[:500])
            return True
        self.jobs.finish(job.id, document_id=info.id, changed=changed)
        return True

    async def run_jobs(self, poll_s: float = 2.0) -> None:
        """The ingest loop (of `civicdesk worker`, or of the serving process): index queued uploads
        one at a time until cancelled.

        Woken at once by an upload to this process; polls for uploads that reached another process,
        and for jobs whose holder's lease ran out.
        """
        while True:
            await asyncio.to_thread(self.jobs.requeue_orphans)
            indexed = False
            while await asyncio.to_thread(self.run_job):
                indexed = True
            if indexed:  # once per drained queue, not per upload
                await asyncio.to_thread(self.warm)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=poll_s)
            except TimeoutError:
                pass

    # --- questions ----------------------------------------------------------------------------------
    def search(self, question: str, k: int = 5, mode: str = "hybrid") -> tuple[list[Hit], float]:
        result = self.retriever.search(question, k=k, mode=mode)
        return result.hits, result.confidence

    def answer(
        self, question: str, *, k: int = 5, lang: str = "zh", mode: str = "hybrid", use_llm: bool = True,
        categories: list[str] | None = None,
    ) -> AnswerOut:
        """Retrieve and compose an answer (blocking; from async code use `ask`).

        `categories`: the active report categories a suggestion may name (None: every profiled one).
        """
        question = self._clean_question(question)
        k = _clean_k(k)
        if mode not in MODES:
            raise ValidationFailed(f"检索模式必须是 {'/'.join(MODES)}", f"mode must be one of {', '.join(MODES)}")
        result = self.retriever.search(question, k=k, mode=mode)
        hits = result.hits
        # a question written in English is answered in English, whatever the page's language
        if getattr(result, "lang", None) == "en":
            lang = "en"
        missing = self._missing(question)
        # a law named but not loaded must not be "found" by a loose match of its name on another law
        direct = result.direct and (missing is None or missing.loaded_title is not None)
        # the threshold is the retriever's, calibrated per question language, unless the policy sets one
        threshold = result.threshold if self.threshold is None else self.threshold
        confident = bool(hits) and (direct or result.confidence >= threshold)
        if missing is not None and missing.loaded_title is None:
            confident = False  # it names a law that is not loaded: say so rather than quote another one
        if missing is not None and missing.article and not direct and reference_only(question):
            confident = False  # it only asks for an article the law does not have: nothing else to answer
        laws = [hit.law for hit in hits] if confident else []
        found = suggest(question, laws, categories)
        out = AnswerOut(
            question=question, lang=lang, answer="", abstained=not confident, sources=[_source(h) for h in hits],
            mode="extractive" if confident else "abstain", retrieval=mode, confidence=round(result.confidence, 4),
            report_suggestion=ReportSuggestion(category=found.category, score=found.score) if found else None,
            missing=missing,
        )
        if not confident:
            out.answer = abstain_answer(lang, "" if missing else self._contact())
        else:
            # a question naming articles is answered from those articles alone; the others stay in sources
            named = getattr(result, "named", 0)
            quoted = hits[:named] if direct and named else hits
            composed = compose(question, quoted, lang)
            out.answer, out.cited = composed.text, [hits[i].ref for i in composed.cited]
            if use_llm and self.llm_enabled:
                self._llm_answer(out, hits, lang)
        if missing:
            note = missing_text(missing, lang)
            out.answer = note if out.abstained else f"{note}\n\n{out.answer}"
        return out

    def _llm_answer(self, out: AnswerOut, hits: list[Hit], lang: str) -> None:
        try:
            reply = self._chat().invoke(llm_messages(out.question, hits, lang))
            text = str(reply.content).strip()
        except Exception as exc:  # timeout, connection refused, HTTP error, bad JSON
            log.warning("LLM failed, extractive answer used: %s", exc)
            out.mode, out.fallback_reason = "fallback", f"llm error: {type(exc).__name__}"
            return
        ok, reason = check_short_answer(text, hits)
        if not ok:
            log.warning("LLM reply rejected (%s), extractive answer used", reason)
            out.mode, out.fallback_reason = "fallback", reason
            return
        out.answer, out.mode, out.llm = text, "llm", True
        out.cited = [h.ref for h in hits if f"《{short_title(h.law)}》{h.article}" in text or f"《{h.law}》{h.article}" in text]

    def _missing(self, question: str):  # type: ignore[no-untyped-def]
        state = self.retriever.state()
        titles = {doc_id: title for title, doc_id in state.titles.items()}

        return find_missing(
            question, lambda name: self.retriever.resolve_law(name, state), lambda doc_id, number: (doc_id, number) in state.articles,
            lambda doc_id: titles.get(doc_id, ""),
        )

    def source(self, ref: str) -> Source | None:
        """One unit of the index by its ref (for showing an article on request)."""
        state = self.retriever.state()
        unit = state.unit_of.get(ref)
        if unit is None:
            return None
        return _source(Hit(ref, state.parts[unit], 0.0))

    def _contact(self) -> str:
        """The bureau's contact chapter from the guides (address, hours, phone numbers), if there is one."""
        state = self.retriever.state()
        lines = [
            f"{parts[0].section or parts[0].chapter}：{parts[0].text}"
            for parts in state.parts
            if not parts[0].article and "联系" in f"{parts[0].chapter}{parts[0].section}"
        ]
        return "\n".join(lines)[:600]

    def _clean_question(self, question: str) -> str:
        question = (question or "").strip()
        limit = self.policy.max_question_chars
        if not question:
            raise ValidationFailed("问题不能为空", "The question is empty", code="empty_question")
        if len(question) > limit:
            raise ValidationFailed(
                f"问题太长（{len(question)} 字），请控制在 {limit} 字以内",
                f"The question is too long ({len(question)} characters); the limit is {limit}",
                code="question_too_long", limit=limit,
            )
        return question

    async def ask(
        self, question: str, *, k: int = 5, lang: str = "zh", channel: str = "api", mode: str = "hybrid",
        use_llm: bool = True, log: bool = True,
    ) -> AnswerOut:
        """Answer and log the question (no personal identity is stored); `log=False`: the same question
        shown again (the portal after a vote), which must not count twice."""
        started = time.perf_counter()
        categories = None
        if self.categories is not None:
            try:
                categories = await self.categories()
            except Exception:  # no database yet (a bare CLI): suggest from the profiles alone
                log.warning("report categories unavailable", exc_info=True)
        answer = await asyncio.to_thread(
            self.answer, question, k=k, lang=lang, mode=mode, use_llm=use_llm, categories=categories
        )
        if log:
            await self.log(answer, channel=channel, lang=lang, duration_ms=int((time.perf_counter() - started) * 1000))
        return answer

    async def log(self, answer: AnswerOut, *, channel: str, lang: str, duration_ms: int = 0) -> None:
        """Record an answered question in the question log; sets `answer.question_id`."""
        if self.db is None:
            return
        sources: list[dict[str, Any]] = [
            {"law": s.law, "article": s.article, "score": round(float(s.score), 4), "ref": s.ref} for s in answer.sources
        ]
        if answer.missing is not None:
            sources.insert(0, {"missing": answer.missing.law, "article": answer.missing.article or ""})
        row = KnowledgeQuestion(
            asked_at=self.clock.now(), question=answer.question, channel=channel[:20], lang=lang[:8],
            abstained=answer.abstained, mode=answer.mode, top_score=round(answer.confidence, 4),
            sources=sources, duration_ms=duration_ms,
        )
        async with self.db.write_session() as session:
            session.add(row)
            await session.flush()
            answer.question_id = row.id

    def _session(self, *, write: bool = False):  # type: ignore[no-untyped-def]
        if self.db is None:
            raise NotFound("问题记录不可用", "The question log is not available")
        return self.db.write_session() if write else self.db.session()

    async def question_sources(self, question_id: int) -> list[Source]:
        """The full articles behind a logged answer (what "查看条文" shows), as they are in the index now."""
        async with self._session() as session:
            row = await _question_row(session, question_id)
            refs = [str(item["ref"]) for item in row.sources if item.get("ref")]
        found = await asyncio.to_thread(lambda: [self.source(ref) for ref in refs])
        return [source for source in found if source is not None]

    async def vote(self, question_id: int, helpful: bool) -> QuestionOut:
        async with self._session(write=True) as session:
            row = await _question_row(session, question_id)
            row.helpful = helpful
            row.voted_at = self.clock.now()
            return QuestionOut.model_validate(row)

    async def questions(
        self, *, abstained: bool | None = None, unhelpful: bool | None = None, limit: int = 50, offset: int = 0
    ) -> list[QuestionOut]:
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
            return [QuestionOut.model_validate(row) for row in (await session.execute(query)).scalars()]


async def _question_row(session: Any, question_id: int) -> KnowledgeQuestion:
    row = await session.get(KnowledgeQuestion, question_id)
    if row is None:
        raise NotFound(f"没有找到问题 {question_id}", f"Question {question_id} not found", id=question_id)
    return row


def _source(hit: Hit) -> Source:
    return Source(
        ref=hit.ref, law=hit.law, short_title=short_title(hit.law), law_en=english_title(hit.law),
        article=hit.article, chapter=hit.chapter, file=hit.file, score=round(float(hit.score), 4), text=hit.text,
        citation=hit.citation(),
    )


def _document(info: DocumentInfo) -> DocumentOut:
    return DocumentOut(**{key: value for key, value in info.as_dict().items() if key != "origin"})


def _clean_k(k: int) -> int:
    if not 1 <= int(k) <= MAX_K:
        raise ValidationFailed(f"k 必须在 1 到 {MAX_K} 之间", f"k must be between 1 and {MAX_K}")
    return int(k)


def build_knowledge(
    settings: Any, db: Database | None = None, *, clock: Clock | None = None,
    categories: CategoriesProvider | None = None, embeddings_cache: Path | None = None,
) -> KnowledgeService:
    """The service from the settings: its policy, and the configured embedding back end (built lazily)."""
    from knowledge.embeddings import build_embeddings

    return KnowledgeService(
        KnowledgePolicy.from_settings(settings), db, embeddings=lambda: build_embeddings(settings), clock=clock,
        categories=categories, embeddings_cache=embeddings_cache,
    )


__all__ = ["SAMPLE_DIR", "KnowledgePolicy", "KnowledgeService", "build_knowledge"]
