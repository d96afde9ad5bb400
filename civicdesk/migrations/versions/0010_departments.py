"""departments as data: reports and categories reference a department; staff belong to departments

The free-text `reports.department` and `categories.default_department` become rows of
`departments`; spellings that differ only by case, spaces or full-width characters ("县 人社局",
"县人社局 ") become one department, named by its most common spelling.

Revision ID: 0010_departments
Revises: 0009_job_leases
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0010_departments"
down_revision: str | Sequence[str] | None = "0009_job_leases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SPACE = re.compile(r"\s+")


# Frozen copies of accounts.departments.display_name / name_key: a migration must not change
# when the application's code does.
def _display(name: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", name)).strip()


def _key(name: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", name)).casefold()


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _add_department_id(table: str) -> None:
    """A nullable department_id referencing departments. On SQLite by a plain ALTER TABLE (3.35+),
    not batch mode: rebuilding `categories` or `reports` would break the foreign keys that point
    at them (SQLite counts the dropped rows as violations even after the rebuilt table returns)."""
    fk = f"fk_{table}_department_id_departments"
    if _sqlite():
        op.execute(f"ALTER TABLE {table} ADD COLUMN department_id INTEGER CONSTRAINT {fk} REFERENCES departments (id)")
    else:
        op.add_column(table, sa.Column("department_id", sa.Integer(), nullable=True))
        op.create_foreign_key(fk, table, "departments", ["department_id"], ["id"])


def _drop_department_id(table: str) -> None:
    if _sqlite():
        op.execute(f"ALTER TABLE {table} DROP COLUMN department_id")
    else:
        op.drop_constraint(f"fk_{table}_department_id_departments", table, type_="foreignkey")
        op.drop_column(table, "department_id")


def upgrade() -> None:
    departments = op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_key", sa.String(length=120), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("telegram_chat_id", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("name_key", name=op.f("uq_departments_name_key")),
    )
    op.create_table(
        "staff_departments",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name=op.f("fk_staff_departments_department_id_departments"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["staff_users.id"],
                                name=op.f("fk_staff_departments_user_id_staff_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "department_id", name=op.f("pk_staff_departments")),
    )
    _add_department_id("reports")
    op.create_index(op.f("ix_reports_department_id"), "reports", ["department_id"])
    _add_department_id("categories")

    conn = op.get_bind()
    spellings: Counter[str] = Counter()
    for value, count in conn.execute(sa.text(
            "SELECT department, COUNT(*) FROM reports WHERE department IS NOT NULL GROUP BY department")):
        spellings[value] += count
    for (value,) in conn.execute(sa.text(
            "SELECT default_department FROM categories WHERE default_department IS NOT NULL")):
        spellings[value] += 1
    by_key: dict[str, list[tuple[int, str]]] = {}
    for value, count in spellings.items():
        if _key(value):
            by_key.setdefault(_key(value), []).append((count, value))
    now = datetime.now(UTC)
    ids: dict[str, int] = {}
    for key, variants in sorted(by_key.items()):
        # The most common spelling names the department (ties: the first in sort order).
        name = _display(sorted(variants, key=lambda v: (-v[0], v[1]))[0][1])
        conn.execute(departments.insert().values(name=name, name_key=key, contact="", active=True, created_at=now))
        ids[key] = conn.execute(sa.text("SELECT id FROM departments WHERE name_key = :k"), {"k": key}).scalar_one()
    for value in spellings:
        if _key(value):
            params = {"id": ids[_key(value)], "v": value}
            conn.execute(sa.text("UPDATE reports SET department_id = :id WHERE department = :v"), params)
            conn.execute(sa.text("UPDATE categories SET department_id = :id WHERE default_department = :v"), params)

    # Plain DROP COLUMN on both databases (SQLite 3.35+): neither column is indexed.
    op.execute("ALTER TABLE reports DROP COLUMN department")
    op.execute("ALTER TABLE categories DROP COLUMN default_department")


def downgrade() -> None:
    op.add_column("categories", sa.Column("default_department", sa.String(length=120), nullable=True))
    op.add_column("reports", sa.Column("department", sa.String(length=120), nullable=True))
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE reports SET department = (SELECT name FROM departments d WHERE d.id = department_id)"))
    conn.execute(sa.text(
        "UPDATE categories SET default_department = (SELECT name FROM departments d WHERE d.id = department_id)"))
    _drop_department_id("categories")
    op.drop_index(op.f("ix_reports_department_id"), table_name="reports")
    _drop_department_id("reports")
    op.drop_table("staff_departments")
    op.drop_table("departments")
