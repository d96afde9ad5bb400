"""conversations for channels without FSM storage; WeChat users and seen deliveries

Revision ID: 0011_wechat
Revises: 0010_departments
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0011_wechat"
down_revision: str | Sequence[str] | None = "0010_departments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=120), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_conversations")),
    )
    op.create_table(
        "wechat_users",
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("last_message_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("openid", name=op.f("pk_wechat_users")),
    )
    op.create_table(
        "wechat_seen",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("received_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_wechat_seen")),
    )
    op.create_index("ix_wechat_seen_received_at", "wechat_seen", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_wechat_seen_received_at", table_name="wechat_seen")
    op.drop_table("wechat_seen")
    op.drop_table("wechat_users")
    op.drop_table("conversations")
