"""The WeChat channel's parts: text limits, answers typed for buttons, GCJ-02, the menu command
(against the fake API), and the Redis-backed token cache and conversation state."""

from __future__ import annotations

import os
from typing import Any

import pytest
from typer.testing import CliRunner

from conversations.i18n import texts
from core.conversation import Say
from core.conversation.store import KeyedState, RedisConversations
from wechat import texts as wx
from wechat.geo import gcj02_to_wgs84, wgs84_to_gcj02

from .fake import APP_ID, APP_SECRET, Failure, FakeWeChatAPI


def test_long_text_is_split_within_wechats_byte_limit() -> None:
    text = "\n".join(["第三条 " + "禁止擅自变动建筑主体和承重结构。" * 30] * 6)
    pieces = wx.split(text)
    assert len(pieces) > 1 and all(len(p.encode()) <= wx.MAX_BYTES for p in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
    cut = wx.truncate(text, "（余下见 http://x/y）")
    assert len(cut.encode()) <= wx.MAX_BYTES and cut.endswith("（余下见 http://x/y）")


def test_button_labels_are_answers_in_either_language_and_widgets_read_as_hints() -> None:
    assert wx.is_answer("完成", "report.button_done") and wx.is_answer(" Done ", "report.button_done")
    assert not wx.is_answer("完成了吗", "report.button_done")
    tr = texts("zh")
    shown = wx.render(Say(tr("report.category_chosen", category="施工<扬尘>")), tr)
    assert shown == "问题类别：施工<扬尘>"
    assert wx.render(Say(tr("report.ask_contact"), "contact"), tr).endswith("回复“跳过”不留联系方式。")


def test_gcj02_is_turned_back_into_wgs84() -> None:
    lat, lon = 30.2741, 120.1551
    glat, glon = wgs84_to_gcj02(lat, lon)
    assert 0.001 < abs(glon - lon) < 0.01
    back = gcj02_to_wgs84(glat, glon)
    assert abs(back[0] - lat) < 1e-6 and abs(back[1] - lon) < 1e-6
    assert gcj02_to_wgs84(48.85, 2.35) == (48.85, 2.35)  # no offset outside China


async def test_civicdesk_wechat_menu_installs_the_entries_within_wechats_button_limits(fake_wechat: FakeWeChatAPI,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"APP_ID": APP_ID, "APP_SECRET": APP_SECRET, "API_URL": fake_wechat.url}.items():
        monkeypatch.setenv(f"CIVICDESK_WECHAT_{name}", value)
    monkeypatch.delenv("CIVICDESK_REDIS_URL", raising=False)
    from civicdesk.cli import app

    fake_wechat.fail("menu/create", Failure(errcode=40001))  # a stale token: refreshed, then created
    import asyncio

    result = await asyncio.to_thread(CliRunner().invoke, app, ["wechat", "menu"])
    assert result.exit_code == 0, result.output
    [menu] = fake_wechat.sent("menu/create")  # the fake refuses what WeChat refuses (40016: over 3 buttons)
    assert [(b["name"], b.get("key"), [(s["name"], s["key"]) for s in b.get("sub_button", [])])
            for b in menu["button"]] == [
        ("政策咨询", "ASK", []),
        ("举报", None, [("我要举报", "REPORT"), ("我的举报", "STATUS")]),
        ("更多", None, [("开放日", "OPENDAYS"), ("我的报名", "MY_OPENDAYS"), ("Language 语言", "LANGUAGE")])]
    assert fake_wechat.token_fetches == 2
    fake_wechat.fail("menu/create", Failure(errcode=45009))
    refused = await asyncio.to_thread(CliRunner().invoke, app, ["wechat", "menu"])
    assert refused.exit_code == 1 and "45009" in refused.output


REDIS_URL = os.environ.get("CIVICDESK_TEST_REDIS_URL")


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="CIVICDESK_TEST_REDIS_URL is not set")
async def test_the_token_and_conversations_live_in_redis(settings: Any, fake_wechat: FakeWeChatAPI) -> None:
    import uuid

    from redis.asyncio import Redis

    from wechat.api import WeChatApi

    # Two processes' clients share one token: the second never fetches. The token's Redis key names
    # the app, so an app id of this run's own keeps parallel runs on one Redis apart.
    fake_wechat.app_id = f"wx{uuid.uuid4().hex[:16]}"
    shared = settings.model_copy(update={"redis_url": REDIS_URL, "wechat_app_id": fake_wechat.app_id})
    first, second = WeChatApi(shared), WeChatApi(shared)
    assert fake_wechat.app_id in first.client.access_token_key
    first.client.session.delete(first.client.access_token_key)
    try:
        await first.send_text("o1", "a")
        await second.send_text("o1", "b")
        assert fake_wechat.token_fetches == 1
    finally:
        first.client.session.delete(first.client.access_token_key)
        await first.aclose()
        await second.aclose()
    redis = Redis.from_url(REDIS_URL)
    try:
        state = KeyedState(RedisConversations(redis, prefix=f"test:{uuid.uuid4().hex}"), "wechat:o1")
        await state.set_state("ReportFlow:photos")
        assert await state.update_data(photos=[{"unique_id": "M"}]) == {"photos": [{"unique_id": "M"}]}
        assert await state.get_state() == "ReportFlow:photos"
        await state.clear()
        assert await state.get_state() is None and await state.get_data() == {}
    finally:
        await redis.aclose()
