"""Prepared statements (core.prepared) and their transactions (Database.transaction), on both
databases: the same SQL, types, defaults and NUL check as SQLAlchemy's own execution."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, func, insert, select

from civicdesk.container import Services
from complaints.models import Report
from core import contacts
from core.contacts import Contact
from core.db import TextHasNul
from core.prepared import PreparedStatement

TABLE = Contact.__table__
WHEN = datetime(2026, 12, 3, 8, 30, tzinfo=UTC)
# language and notify are left to the columns' scalar defaults ("zh", False)
INSERT = PreparedStatement(insert(TABLE).values(
    {c: bindparam(c, type_=TABLE.c[c].type) for c in ("channel", "address", "subject", "subject_id", "created_at")}
).returning(TABLE.c.id, TABLE.c.created_at))
BY_SUBJECT = PreparedStatement(select(TABLE.c.address, TABLE.c.language, TABLE.c.notify, TABLE.c.created_at)
                               .where(TABLE.c.subject_id == bindparam("subject_id")).order_by(TABLE.c.id))


def row(address: str, subject_id: int = 7) -> dict[str, object]:
    return {"channel": "email", "address": address, "subject": "report", "subject_id": subject_id,
            "created_at": WHEN}


async def stored(services: Services, subject_id: int = 7) -> list[tuple[object, ...]]:
    async with services.db.session() as session:
        result = await session.execute(select(Contact.address, Contact.language, Contact.notify, Contact.created_at)
                                       .where(Contact.subject_id == subject_id).order_by(Contact.id))
        return [tuple(r) for r in result]


async def test_a_transaction_commits_with_types_and_defaults_as_the_orm_reads_them(services: Services) -> None:
    async with services.db.transaction() as tx:
        first = await tx.fetch(INSERT, **row("a@example.com"))
        await tx.executemany(INSERT, [row("b@example.com"), row("c@example.com")])
        inside = await tx.fetch(BY_SUBJECT, subject_id=7)
    assert first[0].created_at == WHEN and first[0].created_at.tzinfo is not None  # UTCDateTime both ways
    assert [r.address for r in inside] == ["a@example.com", "b@example.com", "c@example.com"]
    assert await stored(services) == [(f"{c}@example.com", "zh", False, WHEN) for c in "abc"]
    assert [tuple(r) for r in await services.db.fetch(BY_SUBJECT, subject_id=7)] == await stored(services)


async def test_an_error_rolls_everything_back_and_the_pool_stays_usable(services: Services) -> None:
    with pytest.raises(RuntimeError):
        async with services.db.transaction() as tx:
            await tx.execute(INSERT, **row("gone@example.com"))
            raise RuntimeError("the caller failed after its first insert")
    assert await stored(services) == []
    for _ in range(3):  # whichever pooled connection comes next is outside any transaction
        async with services.db.transaction() as tx:
            await tx.execute(INSERT, **row("kept@example.com", subject_id=8))
    assert len(await stored(services, 8)) == 3


async def test_a_cancelled_transaction_is_rolled_back(services: Services) -> None:
    inserted = asyncio.Event()

    async def slow() -> None:
        async with services.db.transaction() as tx:
            await tx.execute(INSERT, **row("cancelled@example.com"))
            inserted.set()
            await asyncio.sleep(30)

    task = asyncio.create_task(slow())
    await inserted.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await stored(services) == []
    async with services.db.transaction() as tx:  # the database is not left locked (SQLite) or held
        await tx.execute(INSERT, **row("after@example.com"))
    assert [r[0] for r in await stored(services)] == ["after@example.com"]


async def test_nul_is_refused_before_anything_is_sent(services: Services) -> None:
    with pytest.raises(TextHasNul):
        async with services.db.transaction() as tx:
            await tx.execute(INSERT, **row("ok@example.com"))
            await tx.executemany(INSERT, [row("fine@example.com"), row("bad\x00@example.com")])
    with pytest.raises(TextHasNul):
        await services.db.fetch(PreparedStatement(select(TABLE.c.id).where(TABLE.c.address == bindparam("a"))),
                                a="x\x00")
    assert await stored(services) == []


async def test_scalar_wants_exactly_one_row(services: Services) -> None:
    count = PreparedStatement(select(func.count()).select_from(TABLE))
    nothing = PreparedStatement(select(TABLE.c.id).where(TABLE.c.subject_id == bindparam("s")))
    async with services.db.transaction() as tx:
        assert await tx.scalar(count) == 0
        with pytest.raises(LookupError):
            await tx.scalar(nothing, s=1)


async def test_a_submission_stores_its_contact_as_the_orm_path_does(services: Services) -> None:
    """A report's contacts are rows of its one-statement insert; a registration's are ORM adds."""
    from complaints.schemas import Channel, ReportInput

    submitted = await services.complaints.submit(ReportInput(
        category="dust", description="工地扬尘，没有覆盖", address="人民路 18 号", channel=Channel.API, language="en",
        contact_email="p@example.com", notify_email=True))
    async with services.db.session() as session:
        report_id = (await session.execute(select(Report.id).where(
            Report.tracking_number == submitted.tracking_number))).scalar_one()
        [contact] = await contacts.of_subjects(session, contacts.REPORT, [report_id])
        now = contact.created_at
    async with services.db.write_session() as session:
        contacts.add(session, services.contact_keys, channel=contacts.EMAIL, address="p@example.com",
                     subject=contacts.REPORT, subject_id=report_id + 1000, token=submitted.status_token, notify=True,
                     language="en", now=now)
    async with services.db.session() as session:
        both = await contacts.of_subjects(session, contacts.REPORT, [report_id, report_id + 1000])
    assert len(both) == 2
    for found in both:
        assert (found.channel, found.address, found.notify, found.language, found.created_at) == (
            contacts.EMAIL, "p@example.com", True, "en", now)
        assert services.contact_keys.unseal(found.sealed_token) == submitted.status_token


def test_an_insert_whose_default_is_not_a_scalar_needs_its_value() -> None:
    from sqlalchemy import Column, Integer, MetaData, Table
    from sqlalchemy.dialects import sqlite

    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer, default=lambda: 1))
    with pytest.raises(ValueError, match="give it a value"):
        PreparedStatement(insert(table).values(id=bindparam("id"))).compiled(sqlite.dialect())


async def test_reports_with_any_number_of_duplicates_share_a_statement_shape(services: Services) -> None:
    """The family insert's children come as arrays (PostgreSQL) or one executemany (SQLite), so a
    report with five duplicate candidates is the same statement as one with a single one."""
    from complaints.models import DuplicateCandidate
    from complaints.schemas import Channel, ReportInput
    from core import fastwrite

    def report(i: int) -> ReportInput:
        return ReportInput(category="dust", description=f"同一工地扬尘第{i}次", lat=30.2741, lon=120.1551,
                           channel=Channel.API, language="zh")

    first = await services.complaints.submit(report(0))
    second = await services.complaints.submit(report(1))
    shapes = len(fastwrite._statements)  # noqa: SLF001 - the cache is what is checked here
    counts = [(await services.complaints.submit(report(i))).duplicate_candidates for i in range(2, 7)]
    assert (first.duplicate_candidates, second.duplicate_candidates, counts) == (0, 1, [2, 3, 4, 5, 6])
    assert len(fastwrite._statements) == shapes  # noqa: SLF001
    async with services.db.session() as session:
        stored = (await session.execute(select(func.count()).select_from(DuplicateCandidate))).scalar_one()
    assert stored == 1 + 2 + 3 + 4 + 5 + 6
