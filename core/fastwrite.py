"""Inserting a row and the rows that reference it in as few statements as the backend allows.

A report's submission inserted the report, its photos and its first event through the ORM's
flush: the unit of work sorting the objects, one INSERT ... RETURNING per table, identity-map and
relationship bookkeeping, all on the event loop, and each statement a round trip. `insert_family`
sends them as Core statements, built once per shape (tables, row counts, columns) so SQLAlchemy's
compiled cache serves every later call:

- PostgreSQL: one statement, the children as data-modifying CTEs of the parent's INSERT
  (`WITH parent AS (INSERT ... RETURNING id), child_0 AS (INSERT ... (SELECT id FROM parent))
  SELECT id FROM parent`); the foreign keys are checked at the end of the statement, when the
  parent row is there.
- SQLite, which has no data-modifying CTEs: the parent's INSERT ... RETURNING, then one
  executemany per child table (each one thread hand-off on aiosqlite).

Column defaults, type processing (e.g. `UTCDateTime`) and the NUL check of every statement
(core.db) apply as to any Core insert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable


@dataclass(frozen=True)
class Children:
    """Rows of `table` whose `foreign_key` column is the new parent's id (every row the same keys)."""

    table: Table
    foreign_key: str
    rows: Sequence[Mapping[str, Any]]


_statements: dict[tuple[Any, ...], Executable] = {}


async def insert_family(session: AsyncSession, parent: Table, values: Mapping[str, Any],
                        children: Sequence[Children] = ()) -> int:
    """Insert `values` into `parent` and each `children`'s rows pointing at it; the parent's id."""
    children = [c for c in children if c.rows]
    if session.get_bind().dialect.name == "postgresql":
        statement, params = _one_statement(parent, values, children)
        return (await session.execute(statement, params)).scalar_one()
    parent_id = (await session.execute(_cached(("returning", parent), lambda: insert(parent).returning(
        parent.c.id)), dict(values))).scalar_one()
    for child in children:
        rows = [{**row, child.foreign_key: parent_id} for row in child.rows]
        await session.execute(_cached(("plain", child.table), lambda t=child.table: insert(t)),
                              rows if len(rows) > 1 else rows[0])
    return parent_id


def _one_statement(parent: Table, values: Mapping[str, Any],
                   children: Sequence[Children]) -> tuple[Executable, dict[str, Any]]:
    parent_keys = tuple(values)
    shapes = tuple((c.table, c.foreign_key, len(c.rows), tuple(c.rows[0])) for c in children)
    statement = _cached(("family", parent, parent_keys, shapes), lambda: _build(parent, parent_keys, shapes))
    params = {f"p_{k}": v for k, v in values.items()}
    for j, child in enumerate(children):
        for i, row in enumerate(child.rows):
            params.update({f"c{j}_{i}_{k}": v for k, v in row.items()})
    return statement, params


def _build(parent: Table, parent_keys: tuple[str, ...],
           shapes: tuple[tuple[Table, str, int, tuple[str, ...]], ...]) -> Executable:
    new = (insert(parent).values({k: bindparam(f"p_{k}", type_=parent.c[k].type) for k in parent_keys})
           .returning(parent.c.id).cte("parent_row"))
    # One single-row INSERT per child row: SQLAlchemy does not cache a multi-row VALUES insert.
    ctes = [
        insert(table).values({foreign_key: select(new.c.id).scalar_subquery(),
                              **{k: bindparam(f"c{j}_{i}_{k}", type_=table.c[k].type) for k in keys}})
        .cte(f"child_{j}_{i}")
        for j, (table, foreign_key, count, keys) in enumerate(shapes) for i in range(count)
    ]
    return select(new.c.id).add_cte(*ctes)


def _cached(key: tuple[Any, ...], build: Any) -> Executable:
    found = _statements.get(key)
    if found is None:
        found = _statements[key] = build()
    return found
