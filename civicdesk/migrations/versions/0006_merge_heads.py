"""join the staff-sessions, knowledge, bot and open-days branches into one head

Revision ID: 0006_merge_heads
Revises: 0002_staff_sessions, 0003_knowledge, 0004_bot, 0005_opendays
"""
from __future__ import annotations

from collections.abc import Sequence

revision: str = "0006_merge_heads"
down_revision: str | Sequence[str] | None = ("0002_staff_sessions", "0003_knowledge", "0004_bot", "0005_opendays")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
