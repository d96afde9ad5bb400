"""job leases: one row per scheduled job, claimed by the process that runs it

Revision ID: 0009_job_leases
Revises: 0008_followup
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0009_job_leases"
down_revision: str | Sequence[str] | None = "0008_followup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=True),
        sa.Column("leased_until", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("job_leases")
