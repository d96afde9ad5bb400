"""Bot fixtures: the fake Bot API server, settings pointing the real aiogram client at it, a bot
runtime over the test's services, and `Chat`, which plays one person's side of a conversation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiogram.types import Update

from bot.app import BotRuntime
from civicdesk.container import Services
from core.settings import Settings

from .fakes import TOKEN, Call, FakeBotAPI, Person


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    api = FakeBotAPI()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
def settings(settings: Settings, fake_api: FakeBotAPI) -> Settings:
    """The project's test settings, with the bot's token and the fake server's URL."""
    return settings.model_copy(update={"telegram_token": TOKEN, "telegram_api_url": fake_api.url})


@pytest.fixture
async def make_runtime(services: Services) -> AsyncIterator[Callable[..., BotRuntime]]:
    """Builds bot runtimes over the test's services (several = restarts); all closed at the end."""
    built: list[BotRuntime] = []

    def make(**options: Any) -> BotRuntime:
        runtime = BotRuntime.build(services, **options)
        runtime.ctx.albums.delay = 0.2
        built.append(runtime)
        return runtime

    yield make
    for runtime in built:
        await runtime.aclose()


@pytest.fixture
def runtime(make_runtime: Callable[..., BotRuntime]) -> BotRuntime:
    return make_runtime()


class Chat:
    """One person talking to the bot: each step feeds an update through the dispatcher (the bot's
    replies go over HTTP to the fake server) and returns the calls the bot made meanwhile."""

    def __init__(self, runtime: BotRuntime, api: FakeBotAPI, person: Person):
        self.runtime = runtime
        self.api = api
        self.person = person

    @property
    def id(self) -> int:
        return self.person.id

    async def send(self, update: dict[str, Any]) -> list[Call]:
        start = len(self.api.calls)
        await self.runtime.feed(Update.model_validate(update, context={"bot": self.runtime.bot}))
        await self.runtime.ctx.albums.wait_all()
        return self.api.calls[start:]

    async def send_together(self, updates: list[dict[str, Any]]) -> list[Call]:
        """Updates that arrive at once (the parts of an album), handled concurrently."""
        start = len(self.api.calls)
        await asyncio.gather(
            *(self.runtime.feed(Update.model_validate(u, context={"bot": self.runtime.bot})) for u in updates)
        )
        await self.runtime.ctx.albums.wait_all()
        return self.api.calls[start:]

    async def say(self, text: str) -> list[Call]:
        return await self.send(self.person.text(text))

    async def tap(self, label: str) -> list[Call]:
        """Press the newest inline button whose text contains `label`."""
        for call in reversed(self.api.messages_to(self.id)):
            for button in call.buttons():
                if label in button["text"]:
                    return await self.send(
                        self.person.press(button["callback_data"], call.message_id or 1000,
                                          call.params.get("reply_markup"))
                    )
        raise AssertionError(f"no inline button {label!r} was shown")

    def texts(self, calls: list[Call]) -> list[str]:
        return [c.text for c in calls if c.chat_id == self.id and c.text]

    def last_text(self) -> str:
        return [c.text for c in self.api.messages_to(self.id) if c.text][-1]


def tracking_number(text: str) -> str:
    """The tracking number in the bot's "submitted" message."""
    return text.split("<code>")[1].split("</code>")[0]


async def file_report(
    chat: Chat,
    *,
    menu: str = "我要举报",
    category: str = "施工扬尘",
    address: str = "城关镇人民路 88 号",
    description: str = "工地裸土没有覆盖，扬尘很大",
    photos: str = "不上传照片",
    contact: str = "跳过",
    submit: str = "提交",
) -> str:
    """A whole report without photos, typed the way a person would; returns its tracking number."""
    await chat.say(menu)
    await chat.tap(category)
    await chat.say(address)
    await chat.say(description)
    await chat.say(photos)
    await chat.say(contact)
    calls = await chat.tap(submit)
    return tracking_number(chat.texts(calls)[-1])


@pytest.fixture
def person(fake_api: FakeBotAPI) -> Person:
    return Person(fake_api)


@pytest.fixture
def chat(runtime: BotRuntime, fake_api: FakeBotAPI, person: Person) -> Chat:
    return Chat(runtime, fake_api, person)


KNOWLEDGE_DATA = Path(__file__).parent / "data"
# Vectors of the test documents are cached across runs (keyed by text), like the knowledge tests do.
EMBEDDINGS_CACHE = (
    Path(__file__).resolve().parents[2] / "var" / "test-cache" / "bot-knowledge-embeddings.sqlite"
)


@pytest.fixture
def knowledge(services: Services):  # noqa: ANN201
    """The real knowledge service over a small test regulation, logging into the test's database."""
    from knowledge.service import build_knowledge

    EMBEDDINGS_CACHE.parent.mkdir(parents=True, exist_ok=True)
    service = build_knowledge(
        services.settings, services.db, clock=services.clock, embeddings_cache=EMBEDDINGS_CACHE,
        categories=services.report_categories,
    )
    service.ingest([KNOWLEDGE_DATA])
    services.extras["knowledge"] = service  # what `services.knowledge` hands out
    return service
