"""The WeChat API, through wechatpy's client, in one place: the access token is fetched, cached and
refreshed here only (in Redis when `CIVICDESK_REDIS_URL` is set, so every process shares one token
and none fetches per message; wechatpy refreshes it and retries once when WeChat answers 40001/42001).

wechatpy's client is synchronous (requests); calls run in a worker thread. Errors come out as
`WeChatError` with WeChat's errcode (None for HTTP errors and timeouts).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

from core.settings import Settings

log = logging.getLogger(__name__)
DEFAULT_API_URL = "https://api.weixin.qq.com/cgi-bin/"
TIMEOUT_S = 10.0

# errcodes the senders act on
INVALID_CREDENTIAL = 40001
INVALID_OPENID = 40003
API_LIMIT = 45009  # the account's daily quota for this API is used up
OUT_OF_WINDOW = 45015  # customer-service message more than 48 hours after the person last wrote
UNSUBSCRIBED = 43004
BLACKLISTED = 43019
TEMPLATE_REFUSED = (43101, 40037)  # subscription refused / no such template
CONTENT_TOO_LONG = 45002  # over 2,048 bytes: never sent as it is


class WeChatError(Exception):
    def __init__(self, errcode: int | None, errmsg: str):
        super().__init__(f"{errcode}: {errmsg}" if errcode is not None else errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


class _Client(WeChatClient):
    """wechatpy's client with its base URL (and the token URL under it) configurable."""

    def __init__(self, appid: str, secret: str, base_url: str, **kwargs: Any):
        super().__init__(appid, secret, **kwargs)
        self.API_BASE_URL = base_url

    def fetch_access_token(self) -> dict[str, Any]:
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


class WeChatApi:
    def __init__(self, settings: Settings, *, timeout: float = TIMEOUT_S):
        if not (settings.wechat_app_id and settings.wechat_app_secret):
            raise ValueError("CIVICDESK_WECHAT_APP_ID and CIVICDESK_WECHAT_APP_SECRET are needed to call WeChat")
        base = (settings.wechat_api_url or DEFAULT_API_URL).rstrip("/") + "/"
        if settings.redis_url:
            import redis

            session: Any = RedisStorage(redis.Redis.from_url(settings.redis_url), prefix="civicdesk:wechat")
        else:
            session = MemoryStorage()
        self.client = _Client(settings.wechat_app_id, settings.wechat_app_secret, base, session=session,
                              timeout=timeout)

    async def _call(self, work: Any, *args: Any, **kwargs: Any) -> Any:
        def run() -> Any:
            try:
                return work(*args, **kwargs)
            except WeChatClientException as exc:
                raise WeChatError(exc.errcode, str(exc.errmsg or exc)) from None
            except Exception as exc:  # noqa: BLE001 - network errors and timeouts from requests
                raise WeChatError(None, f"{type(exc).__name__}: {exc}") from None

        return await asyncio.to_thread(run)

    async def send_text(self, openid: str, content: str) -> None:
        """A customer-service text message (allowed for 48 hours after the person last wrote)."""
        await self._call(self.client.message.send_text, openid, content)

    async def send_template(self, openid: str, template_id: str, data: dict[str, Any], url: str | None) -> None:
        await self._call(self.client.message.send_template, openid, template_id, data, url)

    async def download_media(self, media_id: str) -> bytes:
        """A temporary media file (a photo the person sent)."""

        def get() -> bytes:
            res = self.client.media.download(media_id)
            if isinstance(res, dict):  # a JSON answer is an error WeChat did not flag with errcode
                raise WeChatClientException(res.get("errcode"), res.get("errmsg", "media not returned"))
            return res.content

        return await self._call(get)

    async def user_language(self, openid: str) -> str | None:
        """The language of the person's WeChat ("zh_CN", "en"...), when `user/info` tells it."""
        info = await self._call(self.client.user.get, openid)
        return info.get("language") or None

    async def create_menu(self, menu: dict[str, Any]) -> None:
        await self._call(self.client.menu.create, menu)

    async def aclose(self) -> None:
        self.client._http.close()
