"""one-time SMS codes (accounts/phone_codes.py); reports found by the reporter's normalised number

Revision ID: 0017_phone_codes
Revises: 0016_notify_contacts
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

import core.db
from alembic import op
from core.errors import ValidationFailed
from core.phones import normalize_phone

revision: str = "0017_phone_codes"
down_revision: str | Sequence[str] | None = "0016_notify_contacts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _digits(raw: str) -> str | None:
    try:
        return normalize_phone(raw)
    except ValidationFailed:
        return None


def upgrade() -> None:
    op.create_table(
        "phone_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("phone_hash", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("phone_hash", "purpose", name="uq_phone_codes_phone_purpose"),
    )
    op.add_column("reports", sa.Column("reporter_phone_digits", sa.String(20), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, reporter_phone FROM reports WHERE reporter_phone IS NOT NULL")).all()
    for report_id, raw in rows:
        digits = _digits(raw)
        if digits:
            conn.execute(sa.text("UPDATE reports SET reporter_phone_digits = :d WHERE id = :i"),
                         {"d": digits, "i": report_id})
    op.create_index("ix_reports_reporter_phone_digits", "reports", ["reporter_phone_digits"])


def downgrade() -> None:
    op.drop_index("ix_reports_reporter_phone_digits", table_name="reports")
    op.drop_column("reports", "reporter_phone_digits")  # SQLite drops an unindexed column in place
    op.drop_table("phone_codes")
