"""The migrations build exactly the schema the models describe, on both databases, and go down again."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import civicdesk.models_registry  # noqa: F401
from core.db import Base, create_engine
from civicdesk.migrate import alembic_config, downgrade, upgrade


def _diff(url: str) -> list[object]:
    async def run() -> list[object]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}),
                                                  Base.metadata)
                )
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _tables(url: str) -> set[str]:
    async def run() -> set[str]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_migrated_schema_matches_the_models(db_url: str) -> None:
    # db_url is already migrated to heads (cloned from the per-run template).
    assert _diff(db_url) == []


def test_every_revision_goes_down_and_up_again(db_url: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(db_url))
    # One head, so a new migration has exactly one parent to name.
    assert len(script.get_heads()) == 1, script.get_heads()
    downgrade(db_url, "base")
    assert _tables(db_url) <= {"alembic_version"}
    upgrade(db_url)
    assert _diff(db_url) == []
    assert set(Base.metadata.tables) <= _tables(db_url)
