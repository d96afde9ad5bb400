"""The question log: every question asked, what it was answered with, and the asker's vote.

No personal identity is stored: no user id, chat id, name or IP address, only the question text, the
channel it came through and what the system did with it, so staff can find unanswered and badly rated
questions and improve the documents.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


class KnowledgeQuestion(Base):
    __tablename__ = "knowledge_questions"
    __table_args__ = (
        Index("ix_knowledge_questions_asked", "asked_at"),
        Index("ix_knowledge_questions_abstained", "abstained", "asked_at"),
        Index("ix_knowledge_questions_helpful", "helpful", "asked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asked_at: Mapped[datetime]
    question: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(20))  # api | telegram | cli | web
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    abstained: Mapped[bool] = mapped_column(Boolean)
    mode: Mapped[str] = mapped_column(String(20))  # extractive | llm | fallback | abstain
    top_score: Mapped[float] = mapped_column(Float, default=0.0)
    # [{"law", "article", "score"}] of the sources shown, best first
    sources: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    helpful: Mapped[bool | None] = mapped_column(Boolean, default=None)
    voted_at: Mapped[datetime | None]
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
