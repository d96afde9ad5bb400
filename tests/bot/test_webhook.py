"""Webhook mode: updates POSTed to the FastAPI app, secret path and header, each update once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.models import BotUpdateSeen
from bot.webhook import SECRET_HEADER, WebhookConfig

from .fakes import Person

WEBHOOK_URL = "https://desk.example.gov.cn/telegram/webhook"
HEADER_SECRET = "header-Secret_123"


@pytest.fixture
def settings(settings):  # noqa: ANN001, ANN201
    return settings.model_copy(
        update={"telegram_webhook_url": WEBHOOK_URL, "telegram_webhook_secret": HEADER_SECRET}
    )


def test_the_path_carries_a_secret_that_is_not_the_header_secret(settings):
    config = WebhookConfig.from_settings(settings)
    assert config.url.startswith(WEBHOOK_URL + "/") and config.route.startswith("/telegram/webhook/")
    secret = config.route.rsplit("/", 1)[1]
    assert len(secret) >= 32 and HEADER_SECRET not in config.route
    assert config.header_secret == HEADER_SECRET
    bare = settings.model_copy(update={"telegram_webhook_url": "https://desk.example.gov.cn"})
    assert WebhookConfig.from_settings(bare).route.startswith("/telegram/webhook/")


async def test_the_same_update_posted_twice_is_handled_once(app, client, settings, fake_api, services):
    route = WebhookConfig.from_settings(settings).route
    update = Person(fake_api).text("/start")
    headers = {SECRET_HEADER: HEADER_SECRET}

    first = await client.post(route, json=update, headers=headers)
    again = await client.post(route, json=update, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json() == {"ok": True} and again.json() == {"ok": True, "duplicate": True}
    await app.state.telegram_webhook.runtime.drain()

    replies = fake_api.calls_of("sendMessage")
    assert len(replies) == 1 and "民生服务台" in replies[0].text
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(BotUpdateSeen)) == 1


async def test_wrong_secrets_and_bad_bodies_are_refused(app, client, settings, fake_api):
    route = WebhookConfig.from_settings(settings).route
    update = Person(fake_api).text("/start")
    wrong_path = route.rsplit("/", 1)[0] + "/not-the-secret"
    assert (
        await client.post(wrong_path, json=update, headers={SECRET_HEADER: HEADER_SECRET})
    ).status_code == 404
    assert (await client.post(route, json=update)).status_code == 403
    assert (await client.post(route, json=update, headers={SECRET_HEADER: "guess"})).status_code == 403
    bad = await client.post(route, content=b"{not json", headers={SECRET_HEADER: HEADER_SECRET})
    assert bad.status_code == 400
    assert fake_api.calls_of("sendMessage") == []


async def test_start_up_registers_the_webhook_and_commands_and_delivers(app, settings, fake_api, services):
    config = WebhookConfig.from_settings(settings)
    async with app.router.lifespan_context(app):
        endpoint = app.state.telegram_webhook
        await endpoint.runtime.drain()
        assert fake_api.webhook is not None
        assert fake_api.webhook["url"] == config.url
        assert fake_api.webhook["secret_token"] == HEADER_SECRET
        assert set(fake_api.webhook["allowed_updates"]) == {"message", "callback_query", "my_chat_member"}
        zh = {c["command"]: c["description"] for c in fake_api.commands[""]}
        en = {c["command"]: c["description"] for c in fake_api.commands["en"]}
        assert zh["report"] == "我要举报" and en["report"] == "Report a problem"
        assert set(zh) == set(en) >= {"start", "report", "status", "language", "cancel", "help"}
        assert endpoint.runtime.delivery._task is not None and not endpoint.runtime.delivery._task.done()
    assert endpoint.runtime is None  # closed with the app


async def test_a_non_ascii_secret_header_is_refused_with_403(app, client, settings, fake_api):
    """hmac.compare_digest raises TypeError on non-ASCII str; secrets are compared as bytes."""
    route = WebhookConfig.from_settings(settings).route
    update = Person(fake_api).text("/start")
    refused = await client.post(route, json=update, headers={SECRET_HEADER: "密钥".encode()})
    assert refused.status_code == 403
    wrong_path = await client.post(route.rsplit("/", 1)[0] + "/%E5%AF%86", json=update,
                                   headers={SECRET_HEADER: HEADER_SECRET})
    assert wrong_path.status_code == 404


async def test_a_webhook_only_process_talks_to_telegram_and_nothing_else(settings, fake_api, services):
    """`civicdesk bot --webhook`: updates in and replies out, /healthz, and no public API or pages."""
    import httpx

    from civicdesk.app import create_webhook_app

    app = create_webhook_app(services=services)
    route = WebhookConfig.from_settings(settings).route
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        handled = await client.post(route, json=Person(fake_api).text("/start"), headers={SECRET_HEADER: HEADER_SECRET})
        assert handled.status_code == 200 and handled.json() == {"ok": True}
        await app.state.telegram_webhook.runtime.drain()
        assert len(fake_api.calls_of("sendMessage")) == 1
        assert (await client.get("/healthz")).json()["status"] == "ok"
        for path in ("/api/v1/categories", "/", "/staff", "/docs", "/openapi.json"):
            assert (await client.get(path)).status_code == 404, path


def test_bot_webhook_needs_the_webhook_url(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from civicdesk.cli import app as cli

    from .fakes import TOKEN

    monkeypatch.setenv("CIVICDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CIVICDESK_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.delenv("CIVICDESK_TELEGRAM_WEBHOOK_URL", raising=False)
    refused = CliRunner().invoke(cli, ["bot", "--webhook", "--no-migrate"])
    assert refused.exit_code == 1 and "needs CIVICDESK_TELEGRAM_WEBHOOK_URL" in refused.output
    monkeypatch.setenv("CIVICDESK_TELEGRAM_WEBHOOK_URL", WEBHOOK_URL)
    polling = CliRunner().invoke(cli, ["bot", "--no-migrate"])
    assert polling.exit_code == 1 and "civicdesk bot --webhook" in polling.output
