"""knowledge: question log

Revision ID: 0003_knowledge
Revises: 0001_initial
Create Date: 2026-11-25 02:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0003_knowledge"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledge_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asked_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("abstained", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("top_score", sa.Float(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=True),
        sa.Column("voted_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_questions")),
    )
    with op.batch_alter_table("knowledge_questions", schema=None) as batch_op:
        batch_op.create_index("ix_knowledge_questions_asked", ["asked_at"], unique=False)
        batch_op.create_index("ix_knowledge_questions_abstained", ["abstained", "asked_at"], unique=False)
        batch_op.create_index("ix_knowledge_questions_helpful", ["helpful", "asked_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("knowledge_questions", schema=None) as batch_op:
        batch_op.drop_index("ix_knowledge_questions_helpful")
        batch_op.drop_index("ix_knowledge_questions_abstained")
        batch_op.drop_index("ix_knowledge_questions_asked")
    op.drop_table("knowledge_questions")
