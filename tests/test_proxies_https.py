"""Forwarded headers only from configured proxies; usernames capped before they become limiter
keys; HSTS and a `__Host-` CSRF cookie over HTTPS; tokens kept out of the access log."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from civicdesk.container import Services
from public_api.web.security import CSRF_COOKIE, SECURE_CSRF_COOKIE
from tests.live import live_server, server_env


def _client(services: Services, **settings: object) -> httpx.AsyncClient:
    from civicdesk.app import create_app

    services.settings = services.settings.model_copy(update=settings)
    transport = httpx.ASGITransport(app=create_app(services=services))  # connects from 127.0.0.1
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _login(client: httpx.AsyncClient, username: str, headers: dict[str, str] | None = None) -> int:
    page = await client.get("/staff/login", headers=headers)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    response = await client.post("/staff/login", headers=headers,
                                 data={"username": username, "password": "wrong password", "csrf_token": token[1]})
    return response.status_code


async def test_forged_forwarded_for_does_not_escape_the_throttle(services: Services) -> None:
    async with _client(services) as client:
        codes = [await _login(client, "zhang", {"X-Forwarded-For": f"10.9.8.{i}"}) for i in range(6)]
    assert codes == [401] * 5 + [429]


async def test_a_trusted_proxy_names_the_real_client(services: Services) -> None:
    async with _client(services, trusted_proxies=["127.0.0.1"]) as client:
        spread = [await _login(client, "li", {"X-Forwarded-For": f"10.9.8.{i}"}) for i in range(6)]
        same = [await _login(client, "li", {"X-Forwarded-For": "10.9.9.9"}) for _ in range(6)]
    assert spread == [401] * 6 and same == [401] * 5 + [429]


async def test_a_huge_username_is_cut_before_it_becomes_a_key(services: Services) -> None:
    async with _client(services) as client:
        assert await _login(client, "a" * 1_000_000) == 401  # just under the 1 MB body limit
    keys = list(services.limiter._windows)  # type: ignore[attr-defined]
    assert keys and max(len(k) for k in keys) < 200


async def test_https_gets_hsts_and_a_host_prefixed_csrf_cookie(services: Services) -> None:
    https = {"X-Forwarded-Proto": "https"}
    async with _client(services) as client:  # nobody trusted: the header is ignored
        plain = await client.get("/staff/login", headers=https)
    assert "strict-transport-security" not in plain.headers
    assert CSRF_COOKIE in plain.cookies and SECURE_CSRF_COOKIE not in plain.cookies

    async with _client(services, trusted_proxies=["127.0.0.1"]) as client:
        page = await client.get("/staff/login", headers=https)
        api = await client.get("/api/v1/categories", headers=https)
        assert page.headers["strict-transport-security"].startswith("max-age=")
        assert "strict-transport-security" in api.headers
        cookie = page.headers["set-cookie"]
        assert cookie.startswith(f"{SECURE_CSRF_COOKIE}=") and "Secure" in cookie and "Path=/" in cookie
        # A cookie planted without the prefix (from a subdomain or plain HTTP) is not trusted.
        planted = "p" * 40
        client.cookies.clear()
        client.cookies.set(CSRF_COOKIE, planted)
        refused = await client.post("/staff/login", headers=https,
                                    data={"username": "x", "password": "y", "csrf_token": planted})
        assert refused.status_code == 403


@pytest.mark.slow
def test_access_log_redacts_tokens(tmp_path: Path) -> None:
    seed = tmp_path / "no-seed"
    seed.mkdir()
    env = server_env(tmp_path / "var", f"sqlite+aiosqlite:///{tmp_path}/log.db",
                     CIVICDESK_KNOWLEDGE_SEED_DIR=str(seed))
    env["CIVICDESK_LOG_LEVEL"] = "INFO"
    secret = "SeCrEtToKeN-0123456789abcdef"
    with live_server(env) as server:
        for path in (f"/api/v1/reports/2026-000001?token={secret}",
                     f"/api/v1/open-days/registrations/1?token={secret}&lang=en",
                     f"/status?number=2026-000001&token={secret}"):
            assert httpx.get(server.url + path, timeout=10).status_code in (200, 303, 404, 422)
    output = server.output()  # all of it: the server has exited
    assert "/api/v1/reports/2026-000001?token=[redacted]" in output
    assert "lang=en" in output
    assert secret not in output
