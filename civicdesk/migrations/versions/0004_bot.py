"""telegram bot: users' language, FSM state, webhook update dedupe

Revision ID: 0004_bot
Revises: 0001_initial
Create Date: 2026-11-25 02:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0004_bot"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bot_users",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("blocked_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_bot_users")),
    )
    op.create_table(
        "bot_fsm",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=120), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_bot_fsm")),
    )
    op.create_table(
        "bot_updates_seen",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("received_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name=op.f("pk_bot_updates_seen")),
    )
    with op.batch_alter_table("bot_updates_seen", schema=None) as batch_op:
        batch_op.create_index("ix_bot_updates_seen_received_at", ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bot_updates_seen", schema=None) as batch_op:
        batch_op.drop_index("ix_bot_updates_seen_received_at")
    op.drop_table("bot_updates_seen")
    op.drop_table("bot_fsm")
    op.drop_table("bot_users")
