"""回访: report ratings and reopening requests; a report's reason for staff attention

Revision ID: 0008_followup
Revises: 0007_staff_passwords
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0008_followup"
down_revision: str | Sequence[str] | None = "0007_staff_passwords"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("attention", sa.String(30), nullable=True))
        batch.add_column(sa.Column("attention_at", core.db.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "report_ratings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("resolved_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rating", sa.String(24), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reopen_reason", sa.Text(), nullable=True),
        sa.Column("reopen_requested_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopen_decision", sa.String(12), nullable=True),
        sa.Column("reopen_decided_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopen_decided_by", sa.String(80), nullable=True),
        sa.UniqueConstraint("report_id", "resolved_at"),
    )
    op.create_index("ix_report_ratings_report_id", "report_ratings", ["report_id"])


def downgrade() -> None:
    op.drop_index("ix_report_ratings_report_id", table_name="report_ratings")
    op.drop_table("report_ratings")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("attention_at")
        batch.drop_column("attention")
