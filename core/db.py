"""Database engine, sessions and the declarative base.

SQLite (aiosqlite, WAL) is the embedded default and PostgreSQL (asyncpg) is production. Reads use
plain sessions; writes that read before they write use `write_session()`, which on SQLite starts
with BEGIN IMMEDIATE so two writers queue on the busy timeout instead of failing with SQLITE_BUSY
when one upgrades its read lock. A read that is one statement (a reporter's status page) may use
`read()`: no transaction around it, so no BEGIN/ROLLBACK round trips (each is a thread hand-off on
aiosqlite and a server round trip on asyncpg); one statement sees one snapshot on its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
import asyncio
import time
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import greenlet_spawn

from core.errors import ValidationFailed
from core.prepared import PreparedStatement

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        from datetime import UTC

        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        from core.clock import as_utc

        return as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


class TextHasNul(ValidationFailed):
    code = "text_nul"

    def __init__(self) -> None:
        super().__init__(
            "文本中含有不允许的空字符（\\0），请删除后重试。",
            "The text contains a NUL character (\\0), which is not allowed; remove it and try again.",
        )


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


def _refuse_nul(_conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any,
                _executemany: bool) -> None:
    """Every text that reaches a query (stored, searched or looked up) passes here. PostgreSQL
    cannot store NUL in text and fails with a server error; SQLite would store it and cut the
    text short in places. Both refuse it the same way: a ValidationFailed the channel shows."""
    if _has_nul(parameters):
        raise TextHasNul()


SQLITE_BUSY_TIMEOUT_S = 30


def create_engine(url: str, *, echo: bool = False, pool_size: int = 40) -> AsyncEngine:
    """A pool big enough for a busy process, opened as demand grows and kept: no overflow. It was
    20 kept plus 20 overflow connections, and overflow ones are closed when returned, so 32
    concurrent status reads opened and closed connections all the time (8% of the event loop's
    samples in asyncpg's connect, a PostgreSQL backend started each time, a new thread each time
    on aiosqlite). The most connections a process holds is 40, as before."""
    engine = _create_engine(url, echo=echo, pool_size=pool_size)
    event.listen(engine.sync_engine, "before_cursor_execute", _refuse_nul)
    return engine


def _create_engine(url: str, *, echo: bool, pool_size: int) -> AsyncEngine:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, pool_size=pool_size, max_overflow=0,
            pool_reset_on_return=None,  # _configure_sqlite's reset rolls back only an open transaction
        )
        _configure_sqlite(engine)
        return engine
    engine = create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=0)
    _ping_when_idle(engine)
    return engine


# A pooled PostgreSQL connection unused for longer than this is pinged before it is handed out.
# SQLAlchemy's pool_pre_ping pings every checkout, and on asyncpg a ping outside autocommit is
# three round trips (BEGIN, ";", ROLLBACK): most of a status read's database time under load. A
# connection used a moment ago is alive, or its failure is a disconnect the pool handles anyway.
IDLE_PING_S = 5.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["returned_at"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < IDLE_PING_S:
            return  # new, or used a moment ago
        try:
            dbapi_connection.ping()
        except Exception as exc:  # noqa: BLE001 - any failure: the pool opens a new connection
            raise sa_exc.DisconnectionError() from exc


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN can be IMMEDIATE for writers.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, _record: Any, state: Any) -> None:
        # The pool's own reset rolls back every returned connection, and on aiosqlite a rollback
        # is a hand-off to the connection's thread and back even when no transaction is open
        # (sqlite3 then does nothing): 10% of the event loop's samples under status reads, whose
        # prepared reads run outside any transaction. Same outcome, without the no-op.
        if state.asyncio_safe and not state.transaction_was_reset and dbapi_connection.driver_connection.in_transaction:
            dbapi_connection.rollback()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode != "NONE":  # Database.read(): the statement runs on its own (autocommit)
            conn.exec_driver_sql(f"BEGIN {mode}")


class DriverTransaction:
    """Runs prepared statements (core.prepared) on one driver connection: aiosqlite or asyncpg.
    Every parameter passes the NUL check that SQLAlchemy's statements get from `_refuse_nul`."""

    def __init__(self, dialect: Any, driver: Any):
        self.dialect = dialect
        self.driver = driver
        self.is_sqlite = dialect.name == "sqlite"

    def _prepare(self, statement: PreparedStatement, values: dict[str, Any]) -> tuple[str, list[Any]]:
        if _has_nul(values):
            raise TextHasNul()
        return statement.compiled(self.dialect).sql, statement.parameters(self.dialect, values)

    async def fetch(self, statement: PreparedStatement, **values: Any) -> list[Any]:
        sql, params = self._prepare(statement, values)
        raw = await (self.driver.execute_fetchall(sql, params) if self.is_sqlite else self.driver.fetch(sql, *params))
        return statement.rows(self.dialect, raw)

    async def scalar(self, statement: PreparedStatement, **values: Any) -> Any:
        """The first column of the one row the statement returns."""
        rows = await self.fetch(statement, **values)
        if len(rows) != 1:
            raise LookupError(f"expected one row, got {len(rows)}")
        return rows[0][0]

    async def execute(self, statement: PreparedStatement, **values: Any) -> None:
        sql, params = self._prepare(statement, values)
        await (self.driver.execute_fetchall(sql, params) if self.is_sqlite else self.driver.execute(sql, *params))

    async def executemany(self, statement: PreparedStatement, rows: list[dict[str, Any]]) -> None:
        """One driver call for all rows (each row the same keys)."""
        if not rows:
            return
        if _has_nul(rows):
            raise TextHasNul()
        sql = statement.compiled(self.dialect).sql
        await self.driver.executemany(sql, [statement.parameters(self.dialect, row) for row in rows])


class Database:
    """Owns the engine and hands out sessions. One per process, passed to whoever needs it."""

    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        self.engine = create_engine(url, echo=echo)
        self.is_sqlite = is_sqlite(url)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        writer = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        self._write_sessions = async_sessionmaker(writer, expire_on_commit=False)
        self._write_turn: tuple[asyncio.AbstractEventLoop | None, asyncio.Lock | None] = (None, None)
        self._writer: asyncio.Task[Any] | None = None
        self._reader = self.engine.execution_options(
            **({"sqlite_begin": "NONE"} if self.is_sqlite else {"isolation_level": "AUTOCOMMIT"}))

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection outside any transaction, for reads of one statement each."""
        async with self._reader.connect() as connection:
            yield connection

    @asynccontextmanager
    async def write_session(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction, committed on success and rolled back on any error."""
        async with self._sqlite_writer_turn():
            async with self._write_sessions() as session:
                async with session.begin():
                    yield session

    @asynccontextmanager
    async def _sqlite_writer_turn(self) -> AsyncIterator[None]:
        """SQLite has one writer at a time. Left to BEGIN IMMEDIATE alone, the others wait in
        SQLite's busy handler, which sleeps and retries with growing sleeps (up to 100 ms) and no
        order, so under a burst some submissions waited seconds (p99 4.96 s in the benchmark).
        Writers of this process queue here first, in arrival order; other processes still meet
        the busy timeout. A task already writing (a nested session) or a wait past the busy
        timeout goes on to SQLite as before, so this can delay a writer but never block one."""
        if not self.is_sqlite or self._writer is asyncio.current_task():
            yield
            return
        loop = asyncio.get_running_loop()
        if self._write_turn[0] is not loop:  # an asyncio.Lock belongs to one event loop
            self._write_turn = (loop, asyncio.Lock())
        turn = self._write_turn[1]
        assert turn is not None
        try:
            await asyncio.wait_for(turn.acquire(), timeout=SQLITE_BUSY_TIMEOUT_S)
        except TimeoutError:
            yield
            return
        self._writer = asyncio.current_task()
        try:
            yield
        finally:
            self._writer = None
            turn.release()

    async def fetch(self, read: PreparedStatement, **values: Any) -> list[Any]:
        """The rows of a prepared read, run on the pooled driver connection outside any
        transaction (see core.prepared): no SQLAlchemy execution layer, one driver call."""
        # Straight from the pool: an AsyncConnection around it (Connection.__init__ and its event
        # dispatch, the shielded close) was a fifth of the status read's event-loop samples.
        pooled = await greenlet_spawn(self.engine.sync_engine.raw_connection)
        try:
            return await DriverTransaction(self.engine.dialect, pooled.driver_connection).fetch(read, **values)
        finally:
            await greenlet_spawn(pooled.close)  # back to the pool (reset as any other)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[DriverTransaction]:
        """Prepared statements in one transaction on a pooled driver connection, committed on
        success and rolled back on any error: a write_session without SQLAlchemy's execution layer
        (core.prepared), for the busiest writes. SQLite begins IMMEDIATE, after this process's
        writer turn, as write_session does. Errors are the driver's own (sqlite3, asyncpg)."""
        async with self._sqlite_writer_turn():
            pooled = await greenlet_spawn(self.engine.sync_engine.raw_connection)
            driver = pooled.driver_connection
            try:
                if self.is_sqlite:
                    await driver.execute_fetchall("BEGIN IMMEDIATE")
                    transaction = None
                else:
                    transaction = driver.transaction()
                    await transaction.start()
                try:
                    yield DriverTransaction(self.engine.dialect, driver)
                except BaseException:
                    await (driver.rollback() if transaction is None else transaction.rollback())
                    raise
                await (driver.commit() if transaction is None else transaction.commit())
            finally:
                # SQLAlchemy's adapter does not know of a transaction begun on asyncpg itself, so
                # its reset would not end one: a connection still in one (a rollback that was
                # itself interrupted) is closed, never handed to the next user.
                if driver.in_transaction if self.is_sqlite else driver.is_in_transaction():
                    await greenlet_spawn(pooled.invalidate)
                await greenlet_spawn(pooled.close)

    async def dispose(self) -> None:
        await self.engine.dispose()
