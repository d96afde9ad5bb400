"""What the knowledge service needs of the settings, and nothing else (the embedding back end is built
by the composition root and passed in)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.schemas import MAX_QUESTION_CHARS

@dataclass(frozen=True)
class KnowledgePolicy:
    directory: Path
    chroma_url: str | None = None
    chroma_collection: str = "civicdesk"
    seed_dir: Path | None = None
    topics_dir: Path | None = None  # a bureau's own topic guides, beside knowledge/topics/ (knowledge/topics.py)
    embeddings_cache: Path | None = None  # None: <directory>/embeddings.sqlite
    max_upload_bytes: int = 20 * 1024 * 1024
    max_question_chars: int = MAX_QUESTION_CHARS
    # None: the retriever's thresholds, calibrated per question language (knowledge.retrieval.ABSTAIN_THRESHOLDS)
    abstain_threshold: float | None = None
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout_s: float = 20.0

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    @classmethod
    def from_settings(cls, settings: Any) -> KnowledgePolicy:
        return cls(
            directory=Path(settings.resolved_knowledge_dir),
            chroma_url=settings.chroma_url,
            chroma_collection=settings.chroma_collection,
            seed_dir=settings.knowledge_seed_dir,
            topics_dir=settings.knowledge_topics_dir,
            embeddings_cache=settings.embeddings_cache_path,
            max_upload_bytes=settings.knowledge_max_upload_bytes,
            llm_base_url=settings.llm_base_url,
            llm_model=settings.llm_model,
            llm_api_key=settings.llm_api_key,
            llm_timeout_s=settings.llm_timeout_s,
        )
