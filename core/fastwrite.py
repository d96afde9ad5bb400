"""Inserting a row and the rows that reference it in as few statements as the backend allows.

A report's submission inserted the report, its photos and its first event through the ORM's
flush: the unit of work sorting the objects, one INSERT ... RETURNING per table, identity-map and
relationship bookkeeping, all on the event loop, and each statement a round trip. `insert_family`
sends them as prepared statements (core.prepared) in a `Database.transaction`, built and compiled
once per shape (tables, row counts, columns):

- PostgreSQL: one statement, the children as data-modifying CTEs of the parent's INSERT
  (`WITH parent AS (INSERT ... RETURNING id), child_0 AS (INSERT ... (SELECT id FROM parent))
  SELECT id FROM parent`); the foreign keys are checked at the end of the statement, when the
  parent row is there.
- SQLite, which has no data-modifying CTEs: the parent's INSERT ... RETURNING, then one
  executemany per child table (each one thread hand-off on aiosqlite).

Type processing (e.g. `UTCDateTime`), the columns' scalar defaults and the NUL check of every
statement apply as to any Core insert.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.sql import Executable

from core.db import DriverTransaction
from core.prepared import PreparedStatement


@dataclass(frozen=True)
class Children:
    """Rows of `table` whose `foreign_key` column is the new parent's id (every row the same keys)."""

    table: Table
    foreign_key: str
    rows: Sequence[Mapping[str, Any]]


_statements: dict[tuple[Any, ...], PreparedStatement] = {}


async def insert_family(tx: DriverTransaction, parent: Table, values: Mapping[str, Any],
                        children: Sequence[Children] = ()) -> int:
    """Insert `values` into `parent` and each `children`'s rows pointing at it; the parent's id."""
    children = [c for c in children if c.rows]
    if not tx.is_sqlite:
        statement, params = _one_statement(parent, values, children)
        return await tx.scalar(statement, **params)
    keys = tuple(values)
    parent_id = await tx.scalar(_cached(("returning", parent, keys), lambda: insert(parent).values(
        _binds(parent, keys)).returning(parent.c.id)), **values)
    for child in children:
        child_keys = (child.foreign_key, *child.rows[0])
        statement = _cached(("plain", child.table, child_keys), lambda t=child.table, k=child_keys: insert(t).values(
            _binds(t, k)))
        await tx.executemany(statement, [{**row, child.foreign_key: parent_id} for row in child.rows])
    return parent_id


def _binds(table: Table, keys: Sequence[str], prefix: str = "") -> dict[str, Any]:
    return {k: bindparam(f"{prefix}{k}", type_=table.c[k].type) for k in keys}


def _one_statement(parent: Table, values: Mapping[str, Any],
                   children: Sequence[Children]) -> tuple[PreparedStatement, dict[str, Any]]:
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
    new = insert(parent).values(_binds(parent, parent_keys, "p_")).returning(parent.c.id).cte("parent_row")
    ctes = [
        insert(table).values({foreign_key: select(new.c.id).scalar_subquery(), **_binds(table, keys, f"c{j}_{i}_")})
        .cte(f"child_{j}_{i}")
        for j, (table, foreign_key, count, keys) in enumerate(shapes) for i in range(count)
    ]
    return select(new.c.id).add_cte(*ctes)


def _cached(key: tuple[Any, ...], build: Callable[[], Executable]) -> PreparedStatement:
    found = _statements.get(key)
    if found is None:
        found = _statements[key] = PreparedStatement(build())
    return found
