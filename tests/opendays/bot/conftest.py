"""The bot's fixtures (tests/bot/conftest.py), with a fake Bot API that also takes documents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from tests.bot.conftest import chat, make_runtime, person, runtime, settings  # noqa: F401
from tests.bot.fakes import FakeBotAPI, _error, _ok


class FakeBotAPIWithDocuments(FakeBotAPI):
    async def _m_senddocument(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        document = {"file_id": "sent-document", "file_unique_id": "sent-document-u"}
        return _ok(self._message(chat_id, document=document, caption=params.get("caption")))


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    api = FakeBotAPIWithDocuments()
    await api.start()
    yield api
    await api.stop()
