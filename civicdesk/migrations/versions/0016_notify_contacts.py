"""e-mail and SMS contacts of reports and registrations (core/contacts.py)

Revision ID: 0016_notify_contacts
Revises: 0015_client_keys
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

import core.db
from alembic import op

revision: str = "0016_notify_contacts"
down_revision: str | Sequence[str] | None = "0015_client_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notify_contacts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("sealed_token", sa.Text(), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("unsubscribed_at", core.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_notify_contacts_subject", "notify_contacts", ["subject", "subject_id"])
    op.create_index("ix_notify_contacts_address", "notify_contacts", ["channel", "address"])


def downgrade() -> None:
    op.drop_index("ix_notify_contacts_address", table_name="notify_contacts")
    op.drop_index("ix_notify_contacts_subject", table_name="notify_contacts")
    op.drop_table("notify_contacts")
