"""WeChat fixtures: the fake WeChat API on loopback, settings pointing wechatpy's client at it (with
a token and an EncodingAESKey), the app with `/wechat/callback`, and `Account`, which plays WeChat's
servers: it signs (and in 安全模式 encrypts) the XML a person's message arrives as, posts it to the
callback, and reads the passive reply."""

from __future__ import annotations

import base64
import hashlib
import itertools
import time
from collections.abc import AsyncIterator
from typing import Any
from xml.sax.saxutils import escape

import httpx
import pytest
import xmltodict
from wechatpy.crypto import WeChatCrypto

from civicdesk.container import Services
from core.delivery import DeliveryLoop, DeliveryPolicy, RoundResult
from core.settings import Settings
from wechat.api import WeChatApi
from wechat.sender import WeChatSender

from .fake import APP_ID, APP_SECRET, TEXT_LIMIT, FakeWeChatAPI

TOKEN = "civicdesk-wechat-test-token"
AES_KEY = base64.b64encode(hashlib.sha256(b"civicdesk").digest()).decode()[:43]
ACCOUNT = "gh_civicdesk_test"


@pytest.fixture
async def fake_wechat() -> AsyncIterator[FakeWeChatAPI]:
    api = FakeWeChatAPI()
    await api.start()
    yield api
    await api.stop()
    assert api.refused == [], "texts over WeChat's 2,048 bytes were sent"


@pytest.fixture
def settings(settings: Settings, fake_wechat: FakeWeChatAPI) -> Settings:
    return settings.model_copy(update={
        "wechat_app_id": APP_ID, "wechat_app_secret": APP_SECRET, "wechat_token": TOKEN,
        "wechat_aes_key": AES_KEY, "wechat_api_url": fake_wechat.url, "wechat_reply_deadline_s": 30.0,
        "wechat_user_info_wait_s": 30.0,
    })


@pytest.fixture
async def wechat_app(services: Services) -> AsyncIterator[Any]:
    from civicdesk.app import create_app

    app = create_app(services=services)
    yield app
    channel = getattr(app.state, "wechat", None)
    if channel is not None:
        await channel.api.aclose()


def _sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


class Account:
    """WeChat's servers delivering one person's messages to the callback."""

    _ids = itertools.count(7_100_000_000_000_000_000)

    def __init__(self, app: Any, openid: str, *, aes: bool):
        self.app = app
        self.openid = openid
        self.aes = aes
        self.created = 0
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    def xml(self, msg_type: str, *, msg_id: int | None = None, **fields: Any) -> str:
        body = "".join(f"<{k}><![CDATA[{v}]]></{k}>" if isinstance(v, str) else f"<{k}>{v}</{k}>"
                       for k, v in fields.items())
        msg_id = next(self._ids) if msg_id is None and msg_type != "event" else msg_id
        id_xml = f"<MsgId>{msg_id}</MsgId>" if msg_id is not None else ""
        # one person's messages never share a CreateTime (an event is known by sender + CreateTime)
        self.created = max(int(time.time()), self.created + 1)
        return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{self.openid}]]>"
                f"</FromUserName><CreateTime>{self.created}</CreateTime><MsgType><![CDATA[{msg_type}]]>"
                f"</MsgType>{body}{id_xml}</xml>")

    async def post(self, xml: str) -> httpx.Response:
        timestamp, nonce = str(int(time.time())), "nonce42"
        params = {"signature": _sign(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
                  "openid": self.openid}
        if self.aes:
            envelope = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, timestamp))["xml"]
            params |= {"encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]}
            xml = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                   f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>")
        return await self.client.post("/wechat/callback", params=params, content=xml.encode())

    def reply_of(self, response: httpx.Response) -> str:
        """The passive reply's text ('' for "success")."""
        assert response.status_code == 200, response.text
        if response.text == "success":
            return ""
        body = response.text
        if self.aes:
            envelope = xmltodict.parse(body)["xml"]
            body = self.crypto.decrypt_message(body, envelope["MsgSignature"], envelope["TimeStamp"],
                                               envelope["Nonce"])
        reply = xmltodict.parse(body)["xml"]
        assert reply["ToUserName"] == self.openid and reply["MsgType"] == "text"
        assert len(reply["Content"].encode("utf-8")) <= TEXT_LIMIT  # WeChat would show nothing
        return reply["Content"]

    async def say(self, text: str, **kw: Any) -> str:
        return self.reply_of(await self.post(self.xml("text", Content=escape(text), **kw)))

    async def click(self, key: str) -> str:
        return self.reply_of(await self.post(self.xml("event", Event="CLICK", EventKey=key)))

    async def image(self, media_id: str) -> str:
        return self.reply_of(await self.post(self.xml("image", PicUrl="http://mmbiz.example/x.jpg",
                                                      MediaId=media_id)))

    async def location(self, lat: float, lon: float, label: str) -> str:
        return self.reply_of(await self.post(self.xml("location", Location_X=lat, Location_Y=lon, Scale=15,
                                                      Label=label)))

    async def aclose(self) -> None:
        await self.client.aclose()


@pytest.fixture
async def person(wechat_app: Any) -> AsyncIterator[Account]:
    account = Account(wechat_app, "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", aes=True)
    yield account
    await account.aclose()


@pytest.fixture
async def plain_person(wechat_app: Any) -> AsyncIterator[Account]:
    account = Account(wechat_app, "o6_plaintext_person_0000001", aes=False)
    yield account
    await account.aclose()


@pytest.fixture
async def deliver(services: Services) -> AsyncIterator[Any]:
    """Runs one round of the WeChat outbox delivery loop (the real wechatpy client, fake server)."""
    sender = WeChatSender(services, WeChatApi(services.settings, timeout=1.0))
    loop = DeliveryLoop(services.db, services.clock, sender, DeliveryPolicy())

    async def run() -> RoundResult:
        return await loop.run_once()

    run.sender = sender  # type: ignore[attr-defined]
    yield run
    await sender.aclose()


@pytest.fixture
def knowledge(services: Services):  # noqa: ANN201
    """The real knowledge service over the bot tests' small regulation (vectors cached like theirs)."""
    from knowledge.service import build_knowledge
    from tests.bot.conftest import EMBEDDINGS_CACHE, KNOWLEDGE_DATA

    EMBEDDINGS_CACHE.parent.mkdir(parents=True, exist_ok=True)
    service = build_knowledge(services.settings, services.db, clock=services.clock,
                              embeddings_cache=EMBEDDINGS_CACHE, categories=services.report_categories)
    service.ingest([KNOWLEDGE_DATA])
    services.extras["knowledge"] = service
    return service
