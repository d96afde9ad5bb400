"""an index for the duplicate search: reports by category and latitude

Revision ID: 0019_reports_category_lat
Revises: 0018_openday_verified_phone
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0019_reports_category_lat"
down_revision: str | Sequence[str] | None = "0018_openday_verified_phone"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_reports_category_lat", "reports", ["category_id", "lat"])


def downgrade() -> None:
    op.drop_index("ix_reports_category_lat", table_name="reports")
