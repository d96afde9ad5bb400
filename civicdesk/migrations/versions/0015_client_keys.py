"""Open311: API keys of client systems, and reports found by their status token (tokens/{token})

Revision ID: 0015_client_keys
Revises: 0014_projects
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision: str = "0015_client_keys"
down_revision: str | Sequence[str] | None = "0014_projects"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_keys")),
        sa.UniqueConstraint("name", name=op.f("uq_client_keys_name")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_client_keys_key_hash")),
    )
    op.create_index("ix_reports_status_token_hash", "reports", ["status_token_hash"])


def downgrade() -> None:
    op.drop_index("ix_reports_status_token_hash", table_name="reports")
    op.drop_table("client_keys")
