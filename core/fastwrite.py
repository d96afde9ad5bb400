"""Inserting a row and the rows that reference it in as few statements as the backend allows.

A report's submission inserted the report, its photos and its first event through the ORM's
flush: the unit of work sorting the objects, one INSERT ... RETURNING per table, identity-map and
relationship bookkeeping, all on the event loop, and each statement a round trip. `insert_family`
sends them as prepared statements (core.prepared) in a `Database.transaction`, built and compiled
once per shape (the tables and their columns, whatever the number of rows):

- PostgreSQL: one statement, the children as data-modifying CTEs of the parent's INSERT
  (`WITH parent AS (INSERT ... RETURNING id), child_0 AS (INSERT ... (SELECT id FROM parent))
  SELECT id FROM parent`); the foreign keys are checked at the end of the statement, when the
  parent row is there. A parent column may be computed in the same statement (`sql_values`, e.g.
  a report's number from the counter's upsert, itself a CTE).
- SQLite, which has no data-modifying CTEs: the parent's INSERT ... RETURNING, then one
  executemany per child table (each one thread hand-off on aiosqlite).

Type processing (e.g. `UTCDateTime`), the columns' scalar defaults and the NUL check of every
statement apply as to any Core insert.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql
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
                        children: Sequence[Children] = (), *, returning: Sequence[str] = ("id",),
                        sql_values: Mapping[str, ColumnElement[Any]] | None = None,
                        sql_params: Mapping[str, Any] | None = None) -> Any:
    """Insert `values` into `parent` and each `children`'s rows pointing at it; the parent's
    `returning` columns as a row (its id first). PostgreSQL only: `sql_values` are parent columns
    computed in the statement (built once: they are part of the cached statement's identity),
    with their own bind parameters in `sql_params`."""
    children = [c for c in children if c.rows]
    if "id" != returning[0]:
        raise ValueError("the parent's id comes first in returning")
    if not tx.is_sqlite:
        statement, params = _one_statement(parent, values, children, tuple(returning), sql_values or {})
        return (await tx.fetch(statement, **params, **(sql_params or {})))[0]
    if sql_values:
        raise ValueError("SQLite has no data-modifying CTEs: give the values themselves")
    keys = tuple(values)
    found = await tx.fetch(_cached(("returning", parent, keys, tuple(returning)), lambda: insert(parent).values(
        _binds(parent, keys)).returning(*(parent.c[c] for c in returning))), **values)
    parent_id = found[0][0]
    for child in children:
        child_keys = (child.foreign_key, *child.rows[0])
        statement = _cached(("plain", child.table, child_keys), lambda t=child.table, k=child_keys: insert(t).values(
            _binds(t, k)))
        await tx.executemany(statement, [{**row, child.foreign_key: parent_id} for row in child.rows])
    return found[0]


def _binds(table: Table, keys: Sequence[str], prefix: str = "") -> dict[str, Any]:
    return {k: bindparam(f"{prefix}{k}", type_=table.c[k].type) for k in keys}


def _one_statement(parent: Table, values: Mapping[str, Any], children: Sequence[Children], returning: tuple[str, ...],
                   sql_values: Mapping[str, ColumnElement[Any]]) -> tuple[PreparedStatement, dict[str, Any]]:
    parent_keys = tuple(values)
    shapes = tuple((c.table, c.foreign_key, tuple(c.rows[0])) for c in children)
    computed = tuple(sql_values.items())
    statement = _cached(("family", parent, parent_keys, shapes, returning, tuple((k, id(v)) for k, v in computed)),
                        lambda: _build(parent, parent_keys, shapes, returning, computed))
    params = {f"p_{k}": v for k, v in values.items()}
    for j, (child, (_, _, keys)) in enumerate(zip(children, shapes, strict=True)):
        params.update({f"c{j}_{k}": [row[k] for row in child.rows] for k in keys})
    return statement, params


def _build(parent: Table, parent_keys: tuple[str, ...], shapes: tuple[tuple[Table, str, tuple[str, ...]], ...],
           returning: tuple[str, ...], computed: tuple[tuple[str, ColumnElement[Any]], ...]) -> Executable:
    """Each child table's rows come as one array per column, unnested: the statement is the same
    for any number of rows (one compiled and server-prepared statement per shape, where a VALUES
    row per child made one per count: a report with 1 or 30 duplicate candidates)."""
    new = (insert(parent).values({**_binds(parent, parent_keys, "p_"), **dict(computed)})
           .returning(*(parent.c[c] for c in returning)).cte("parent_row"))
    ctes = []
    for j, (table, foreign_key, keys) in enumerate(shapes):
        arrays = [bindparam(f"c{j}_{k}", type_=postgresql.ARRAY(table.c[k].type)) for k in keys]
        rows = func.unnest(*arrays).table_valued(*keys).render_derived(name=f"rows_{j}")
        ctes.append(insert(table).from_select(
            [foreign_key, *keys], select(select(new.c.id).scalar_subquery(), *(rows.c[k] for k in keys)))
            .cte(f"child_{j}"))
    return select(*(new.c[c] for c in returning)).add_cte(*ctes)


def _cached(key: tuple[Any, ...], build: Callable[[], Executable]) -> PreparedStatement:
    found = _statements.get(key)
    if found is None:
        found = _statements[key] = PreparedStatement(build())
    return found
