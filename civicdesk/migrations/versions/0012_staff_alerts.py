"""staff alerts: staff accounts' linked chats, one-time link codes, and the scheduled alerts sent

Revision ID: 0012_staff_alerts
Revises: 0011_wechat
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0012_staff_alerts"
down_revision: str | Sequence[str] | None = "0011_wechat"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_channel_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["staff_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "address"),
        sa.UniqueConstraint("user_id", "channel"),
    )
    op.create_table(
        "staff_link_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["staff_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index("ix_staff_link_codes_user_id", "staff_link_codes", ["user_id"])
    op.create_table(
        "staff_alerts_sent",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_staff_alerts_sent_report_id", "staff_alerts_sent", ["report_id"])


def downgrade() -> None:
    op.drop_index("ix_staff_alerts_sent_report_id", table_name="staff_alerts_sent")
    op.drop_table("staff_alerts_sent")
    op.drop_index("ix_staff_link_codes_user_id", table_name="staff_link_codes")
    op.drop_table("staff_link_codes")
    op.drop_table("staff_channel_links")
