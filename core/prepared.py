"""Prepared statements: a Core statement compiled once per dialect and run on the driver's own
connection, alone (`Database.fetch`) or in a transaction (`Database.transaction`).

The busiest read (a reporter's status page) and the busiest write (a submission) spent as much of
their event loop's time in SQLAlchemy's execution layer (execution context, parameter processing,
result metadata, Row objects, the session's and connection's events) as in everything else they
do, and on aiosqlite that layer is several thread hand-offs per statement (cursor, execute, fetch,
close). A `PreparedStatement` keeps the Core statement (a select, an insert or update with or
without RETURNING, a text()) as the one source of the SQL and of its types: it is compiled once
per dialect (SQL text, parameter order, the columns' bind and result processors, scalar column
defaults of an insert), then each call runs the text on the driver connection (aiosqlite: one
`execute_fetchall` hand-off; asyncpg: one round trip through asyncpg's statement cache) and
applies the result processors SQLAlchemy would (e.g. `UTCDateTime`), so rows read the same.
Parameters pass the same NUL check as every other statement (core.db's `_refuse_nul`).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Executable


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # bind parameters in the order the SQL text takes them
    fixed: dict[str, Any]  # values compiled into the statement (an IN list, a column default), processed
    binds: dict[str, Callable[[Any], Any]]
    row: type
    results: tuple[Callable[[Any], Any] | None, ...]


class PreparedStatement:
    """One statement, compiled lazily for each dialect it meets; see the module docstring."""

    def __init__(self, statement: Executable):
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = _compile(self.statement, dialect)
        return found

    def parameters(self, dialect: Dialect, values: Mapping[str, Any]) -> list[Any]:
        compiled = self.compiled(dialect)
        params = []
        for name in compiled.names:
            value = values[name] if name in values else compiled.fixed[name]
            process = compiled.binds.get(name)
            params.append(process(value) if process is not None and name in values else value)
        return params

    def rows(self, dialect: Dialect, raw: Sequence[Sequence[Any]]) -> list[Any]:
        compiled = self.compiled(dialect)
        make, results = compiled.row._make, compiled.results
        if not any(results):
            return [make(r) for r in raw]
        return [make([v if p is None or v is None else p(v) for p, v in zip(results, r, strict=True)]) for r in raw]


def _compile(statement: Executable, dialect: Dialect) -> _Compiled:
    compiled: Any = statement.compile(dialect=dialect)
    # IN lists are expanded into one parameter each, as SQLAlchemy does at execution.
    state = compiled.construct_expanded_state({name: None for name, bind in compiled.binds.items() if bind.required})
    # Every bind's type processing (e.g. UTCDateTime's), then the expanded IN lists' own.
    processors = {**compiled._bind_processors, **state.processors}  # noqa: SLF001
    fixed = {name: (processors[name](v) if name in processors else v) for name, v in state.parameters.items()}
    defaulted = set()
    for column in getattr(compiled, "insert_prefetch", ()):  # Python-side defaults of an insert
        default = column.default
        if default is None or not default.is_scalar:
            raise ValueError(f"{column}: give it a value (a prepared insert applies scalar defaults only)")
        process = processors.get(column.key)
        fixed[column.key] = process(default.arg) if process is not None else default.arg
        defaulted.add(column.key)
    for name in state.positiontup or ():
        bind = compiled.binds.get(name)
        # e.g. a column default in an INSERT inside a CTE, which SQLAlchemy leaves as an empty bind
        if bind is not None and not bind.required and bind.value is None and bind.callable is None \
                and name not in defaulted:
            raise ValueError(f"{name}: a bind parameter without a value; give it one")
    columns = compiled._result_columns  # noqa: SLF001 - (key, name, objects, type) per column
    row = namedtuple("Row", [column[0] for column in columns], rename=True)  # type: ignore[misc]
    return _Compiled(state.statement, tuple(state.positiontup or ()), fixed, processors, row,
                     tuple(_result_processor(column[3], dialect) for column in columns))


def _result_processor(type_: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy applies to a column's values. A few asyncpg types choose by the column's
    type oid (Float, Numeric), which a prepared statement does not know; asyncpg already returns
    Python floats for double precision, the only such column here, so those are left as read."""
    try:
        return type_._cached_result_processor(dialect, None)  # noqa: SLF001
    except TypeError:
        return None
