"""/docs from local files (off in production), API tokens revoked one by one (command and
console), expired staff sessions deleted."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from accounts.models import StaffSession
from civicdesk.container import Services
from core.clock import FrozenClock
from tests.live import BIN, server_env
from tests.support import bearer
from tests.web.test_console import form, sign_in


async def test_docs_are_served_from_this_server(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources  # nothing from another origin
    for source in sources:
        asset = await client.get(source)
        assert asset.status_code == 200 and asset.content, source
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "unsafe-inline" not in page.headers["content-security-policy"].split("script-src")[1].split(";")[0]


async def test_docs_are_off_in_production(services: Services) -> None:
    from civicdesk.app import create_app

    services.settings = services.settings.model_copy(update={"environment": "production"})
    transport = httpx.ASGITransport(app=create_app(services=services))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/docs")).status_code == 404
        assert (await client.get("/docs/assets/swagger-ui-bundle.js")).status_code == 404
        assert (await client.get("/api/v1/categories")).status_code == 200


async def test_one_token_is_revoked_in_the_console(client: httpx.AsyncClient, services: Services,
                                                   staff_tokens: dict[str, str]) -> None:
    second = await services.accounts.issue_token("viewer1", "reporting script")
    viewer = bearer(staff_tokens["viewer"])
    assert (await client.get("/api/v1/staff/reports", headers=bearer(second))).status_code == 200
    target = next(t for t in await services.accounts.tokens("viewer1") if t.label == "reporting script")

    await sign_in(client, "admin1")
    page = await client.get("/staff/accounts")
    assert f'data-token="{target.id}"' in page.text and "reporting script" in page.text
    revoked = await client.post(f"/staff/accounts/tokens/{target.id}/revoke", data=form(client))
    assert revoked.status_code == 303

    assert (await client.get("/api/v1/staff/reports", headers=bearer(second))).status_code == 401
    assert (await client.get("/api/v1/staff/reports", headers=viewer)).status_code == 200  # the other one works
    missing = await client.post("/staff/accounts/tokens/999999/revoke", data=form(client))
    assert missing.status_code == 303 and "error=" in missing.headers["location"]
    assert "#999999" in (await client.get(missing.headers["location"])).text


async def test_token_commands(tmp_path: Path, db_url: str, services: Services,
                              staff_tokens: dict[str, str]) -> None:
    env = server_env(tmp_path / "var", db_url)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "civicdesk"), "staff", *args], env=env, capture_output=True, text=True,
                              timeout=120)

    listed = cli("tokens", "triager1")
    assert listed.returncode == 0, listed.stderr
    token_id = int(listed.stdout.split("\t", 1)[0])
    assert "active" in listed.stdout and staff_tokens["triager"] not in listed.stdout
    done = cli("revoke", str(token_id))
    assert done.returncode == 0 and f"token #{token_id} of 'triager1' revoked" in done.stdout
    assert await services.accounts.by_token(staff_tokens["triager"]) is None
    assert "revoked" in cli("tokens", "triager1").stdout
    assert cli("revoke", "424242").returncode == 1


async def test_expired_sessions_are_deleted(services: Services, clock: FrozenClock,
                                            staff_tokens: dict[str, str]) -> None:
    identity = await services.accounts.by_token(staff_tokens["admin"])
    assert identity is not None
    old = await services.accounts.open_session(identity)
    clock.advance(timedelta(hours=13))
    await services.accounts.open_session(identity)
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(StaffSession)) == 1
    assert await services.accounts.by_session(old) is None
