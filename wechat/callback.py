"""`/wechat/callback`: the account's server URL (公众号 服务器配置).

GET is WeChat's URL check (signature over token, timestamp, nonce; echostr is echoed). POST carries
a message or event, plaintext or, in 安全模式, AES-encrypted (`encrypt_type=aes`, checked by
`msg_signature`). A reply must come within WeChat's 5 seconds: the answer is given passively when
it is ready within `CIVICDESK_WECHAT_REPLY_DEADLINE_S`; otherwise the person is told it is on its
way and the answer follows as customer-service messages through the outbox. An answer too long for
one reply is split: the first piece passively, the rest through the outbox. A delivery WeChat
retries is answered "success" (nothing) once it has been taken in.

Not part of the public API's schema: WeChat's servers speak XML to it, nobody else should.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from core import outbox
from core.settings import Settings
from conversations.i18n import texts
from conversations.messages import ChatReply

from . import texts as wx
from .api import WeChatApi
from .channel import CHANNEL, WeChatChannel

log = logging.getLogger(__name__)
PATH = "/wechat/callback"
MAX_BODY = 64 * 1024  # a WeChat message is a few hundred bytes
# Answers still being worked on after their passive reply went (waited for on shutdown).
BACKGROUND: set[asyncio.Task[None]] = set()


class BadRequest(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _xml(text: str) -> Response:
    return Response(text, media_type="application/xml")


def wechat_router(settings: Settings) -> APIRouter:
    token = settings.wechat_token or ""
    crypto = (WeChatCrypto(token, settings.wechat_aes_key, settings.wechat_app_id or "")
              if settings.wechat_aes_key else None)
    background = BACKGROUND

    def channel_of(app: FastAPI) -> WeChatChannel:
        """The app's channel, built on first use over the app's services."""
        channel = getattr(app.state, "wechat", None)
        if channel is None:
            channel = app.state.wechat = WeChatChannel(app.state.services, WeChatApi(settings))
        return channel

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            while background:
                await asyncio.gather(*list(background), return_exceptions=True)
            channel = getattr(app.state, "wechat", None)
            if channel is not None:
                await channel.api.aclose()

    router = APIRouter(lifespan=lifespan, include_in_schema=False)

    def verify(signature: str, timestamp: str, nonce: str) -> None:
        try:
            check_signature(token, signature, timestamp, nonce)
        except InvalidSignatureException:
            raise BadRequest(403, "invalid signature") from None

    @router.get(PATH)
    async def check_url(signature: str = "", timestamp: str = "", nonce: str = "", echostr: str = "") -> Response:
        try:
            verify(signature, timestamp, nonce)
        except BadRequest as exc:
            return PlainTextResponse(exc.reason, status_code=exc.status)
        return PlainTextResponse(echostr)

    @router.post(PATH)
    async def receive(request: Request, signature: str = "", timestamp: str = "", nonce: str = "",
                      encrypt_type: str = "raw", msg_signature: str = "") -> Response:
        try:
            verify(signature, timestamp, nonce)
            body = await _body(request)
            aes = encrypt_type.lower() == "aes"
            if aes:
                if crypto is None:
                    raise BadRequest(400, "安全模式 messages need CIVICDESK_WECHAT_AES_KEY")
                try:
                    body = crypto.decrypt_message(body, msg_signature, timestamp, nonce).encode("utf-8")
                except InvalidSignatureException:
                    raise BadRequest(403, "invalid msg_signature") from None
                except Exception:
                    raise BadRequest(400, "the encrypted message could not be read") from None
            try:
                message = parse_message(body)
            except Exception:
                raise BadRequest(400, "not a WeChat message") from None
            if message is None or not message.source:
                raise BadRequest(400, "not a WeChat message")
        except BadRequest as exc:
            return PlainTextResponse(exc.reason, status_code=exc.status)
        channel = channel_of(request.app)
        if not await channel.first_time(message):
            return PlainTextResponse("success")  # a retry of a delivery already taken in
        reply = await _answer(channel, message, settings.wechat_reply_deadline_s, background)
        if not reply:
            return PlainTextResponse("success")
        xml = TextReply(content=reply, message=message).render()
        if aes and crypto is not None:
            xml = crypto.encrypt_message(xml, nonce, timestamp)
        return _xml(xml)

    return router


async def _body(request: Request) -> bytes:
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise BadRequest(413, "message too large")
    if not data.strip():
        raise BadRequest(400, "empty message")
    return data


async def _answer(channel: WeChatChannel, message: object, deadline: float,
                  background: set[asyncio.Task[None]]) -> str:
    """The passive reply: the answer when ready in time (its first piece), else an acknowledgement;
    whatever is not in it goes through the outbox."""
    openid = message.source  # type: ignore[attr-defined]
    work = asyncio.ensure_future(channel.handle(message))  # type: ignore[arg-type]
    done, _ = await asyncio.wait({work}, timeout=max(deadline, 0.0))
    if done:
        pieces = _pieces(_result(work))
        if len(pieces) > 1:
            await _enqueue(channel, openid, pieces[1:])
        return pieces[0] if pieces else ""

    async def later() -> None:
        await asyncio.wait({work})
        await _enqueue(channel, openid, _pieces(_result(work)))

    task = asyncio.create_task(later())
    background.add(task)
    task.add_done_callback(background.discard)
    lang = await channel.people.language(openid) or channel.services.settings.default_language
    return wx.hint(texts(lang).lang, "acknowledged")


def _result(work: asyncio.Future[list[str]]) -> list[str]:
    try:
        return work.result()
    except Exception:
        log.exception("handling a WeChat message failed")
        return [wx.render_error()]


def _pieces(replies: Sequence[str]) -> list[str]:
    text = "\n\n".join(r for r in replies if r)
    return wx.split(text) if text else []


async def _enqueue(channel: WeChatChannel, openid: str, pieces: Sequence[str]) -> None:
    if not pieces:
        return
    services = channel.services
    lang = await channel.people.language(openid) or services.settings.default_language
    async with services.db.write_session() as session:
        for piece in pieces:
            outbox.enqueue(session, channel=CHANNEL, recipient=openid,
                           message=ChatReply(text=piece, language=lang), now=services.clock.now())
