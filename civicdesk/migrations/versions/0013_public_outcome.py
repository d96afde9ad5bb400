"""public results: the outcome text staff publish with a resolved report (行政执法公示)

Revision ID: 0013_public_outcome
Revises: 0012_staff_alerts
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_public_outcome"
down_revision: str | Sequence[str] | None = "0012_staff_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases (no batch rebuild of `reports`: see 0010).
    op.add_column("reports", sa.Column("public_outcome", sa.Text(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE reports DROP COLUMN public_outcome")
    else:
        op.drop_column("reports", "public_outcome")
