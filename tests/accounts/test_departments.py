"""Department names (pure rules), the migration that turns free-text departments into rows, and
the scope rule."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import text

from accounts.departments import display_name, name_key
from accounts.scope import BUREAU, Scope
from civicdesk.migrate import downgrade, upgrade
from core.db import create_engine


def test_spelling_variants_share_a_key() -> None:
    assert name_key("县 人社局") == name_key("县人社局 ") == name_key("县人社局") == name_key("县\u3000人社局")
    assert name_key("ＡＢＣ Office") == name_key("abc office")
    assert name_key("县人社局") != name_key("县住建局")
    assert display_name("  县\u3000人社局  ") == "县 人社局"


def test_scope_rule() -> None:
    assert BUREAU.whole_bureau and BUREAU.allows(None) and BUREAU.allows(7)
    scoped = Scope.of([1, 2])
    assert scoped.allows(1) and not scoped.allows(3)
    assert not scoped.allows(None)  # unrouted reports are for the whole-bureau staff to route
    assert Scope.of([]) == BUREAU


def _run(url: str, *statements: tuple[str, dict[str, object]]) -> list[list[tuple[object, ...]]]:
    async def go() -> list[list[tuple[object, ...]]]:
        engine = create_engine(url)
        out = []
        try:
            async with engine.begin() as conn:
                for sql, params in statements:
                    result = await conn.execute(text(sql), params)
                    out.append(list(result) if result.returns_rows else [])
        finally:
            await engine.dispose()
        return out

    return asyncio.run(go())


def test_migration_merges_free_text_variants(db_url: str) -> None:
    downgrade(db_url, "0009_job_leases")
    now = datetime(2026, 3, 1, tzinfo=UTC)
    insert = ("INSERT INTO reports (tracking_number, category_id, description, address, channel, anonymous, "
              "language, status, priority, department, status_token_hash, created_at, updated_at, "
              "acceptance_due_at, extension_days) VALUES (:n, 1, 'x', '', 'web', false, 'zh', 'submitted', "
              "'normal', :d, 'h', :t, :t, :t, 0)")
    _run(db_url,
         ("INSERT INTO categories (id, code, name_zh, name_en, default_department, sort_order, active) "
          "VALUES (1, 'dust', '施工扬尘', 'Dust', '县住建局执法大队', 0, true)", {}),
         *[(insert, {"n": f"2026-00000{i}", "d": d, "t": now})
           for i, d in enumerate(["县人社局", "县 人社局", "县人社局 ", "县住建局执法大队", None, "县人社局"], start=1)])
    upgrade(db_url)
    departments, reports, category = _run(
        db_url,
        ("SELECT name FROM departments ORDER BY name", {}),
        ("SELECT r.tracking_number, d.name FROM reports r LEFT JOIN departments d ON d.id = r.department_id "
         "ORDER BY r.tracking_number", {}),
        ("SELECT d.name FROM categories c JOIN departments d ON d.id = c.department_id", {}),
    )
    assert [row[0] for row in departments] == ["县人社局", "县住建局执法大队"]
    # The most common spelling (县人社局, twice) names the merged department.
    assert [row[1] for row in reports] == ["县人社局", "县人社局", "县人社局", "县住建局执法大队", None, "县人社局"]
    assert category == [("县住建局执法大队",)]
    downgrade(db_url, "0009_job_leases")
    back = _run(db_url, ("SELECT department FROM reports ORDER BY tracking_number", {}))[0]
    assert [row[0] for row in back] == ["县人社局", "县人社局", "县人社局", "县住建局执法大队", None, "县人社局"]
    upgrade(db_url)
