"""open days that take registrations only with a verified mobile number

Revision ID: 0018_openday_verified_phone
Revises: 0017_phone_codes
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0018_openday_verified_phone"
down_revision: str | Sequence[str] | None = "0017_phone_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("openday_events", sa.Column("requires_verified_phone", sa.Boolean(), nullable=False,
                                              server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("openday_events", "requires_verified_phone")
