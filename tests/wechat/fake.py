"""A fake WeChat API server on loopback, for wechatpy's real client to talk to over HTTP.

It issues access tokens (and can expire them, so the next call gets 40001), serves media files,
records customer-service, template and menu calls, and can be told to fail a path: with an errcode
(40001, 45009, 45015...), an HTTP status (5xx), or a delay longer than the client's timeout."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

APP_ID = "wx0123456789abcdef"
APP_SECRET = "fake-app-secret"
TEXT_LIMIT = 2048  # bytes of a text message, passive or customer-service


@dataclass
class Failure:
    errcode: int | None = None
    status: int = 200
    delay: float = 0.0


@dataclass
class FakeWeChatAPI:
    media: dict[str, bytes] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    languages: dict[str, str] = field(default_factory=dict)  # openid -> user/info "language"
    refused: list[str] = field(default_factory=list)  # texts over the limit (45002)
    token_fetches: int = 0
    valid_token: str | None = None
    app_id: str = APP_ID  # the app whose tokens it issues

    def __post_init__(self) -> None:
        self._tokens = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_get("/cgi-bin/media/get", self._media)
        app.router.add_post("/cgi-bin/message/custom/send", self._record)
        app.router.add_post("/cgi-bin/message/template/send", self._record)
        app.router.add_post("/cgi-bin/menu/create", self._menu)
        app.router.add_get("/cgi-bin/user/info", self._user)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/cgi-bin/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests use -------------------------------------------------------------------------
    def fail(self, path: str, *failures: Failure) -> None:
        self.failures.setdefault(path, []).extend(failures)

    def expire_token(self) -> None:
        self.valid_token = None

    def sent(self, path: str = "message/custom/send") -> list[dict[str, Any]]:
        return [body for p, body in self.calls if p == path]

    def texts_to(self, openid: str) -> list[str]:
        return [b["text"]["content"] for b in self.sent() if b["touser"] == openid]

    # --- the API --------------------------------------------------------------------------------
    async def _token(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("appid") != self.app_id or q.get("secret") != APP_SECRET or q.get("grant_type") != "client_credential":
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        self.token_fetches += 1
        self.valid_token = f"token-{next(self._tokens)}"
        return web.json_response({"access_token": self.valid_token, "expires_in": 7200})

    async def _failure(self, path: str, request: web.Request) -> web.Response | None:
        if request.query.get("access_token") != self.valid_token:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        queue = self.failures.get(path)
        if not queue:
            return None
        failure = queue.pop(0)
        if failure.delay:
            await asyncio.sleep(failure.delay)
        if failure.status != 200:
            return web.Response(status=failure.status, text="server error")
        if failure.errcode == 40001:
            self.valid_token = None
        if failure.errcode is not None:
            return web.json_response({"errcode": failure.errcode, "errmsg": f"fake error {failure.errcode}"})
        return None

    async def _media(self, request: web.Request) -> web.Response:
        failed = await self._failure("media/get", request)
        if failed is not None:
            return failed
        data = self.media.get(request.query.get("media_id", ""))
        if data is None:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        self.calls.append(("media/get", {"media_id": request.query["media_id"]}))
        return web.Response(body=data, content_type="image/jpeg")

    async def _user(self, request: web.Request) -> web.Response:
        failed = await self._failure("user/info", request)
        if failed is not None:
            return failed
        openid = request.query.get("openid", "")
        self.calls.append(("user/info", {"openid": openid}))
        info: dict[str, Any] = {"subscribe": 1, "openid": openid}
        if openid in self.languages:
            info["language"] = self.languages[openid]
        return web.json_response(info)

    async def _menu(self, request: web.Request) -> web.Response:
        """WeChat's menu rules: 1-3 top buttons (at most 16 bytes of name), each with at most 5
        sub-buttons (60 bytes); a button with sub-buttons has no type of its own."""
        body = json.loads(await request.read())
        buttons = body.get("button", [])
        if not 1 <= len(buttons) <= 3 or any(len(b.get("sub_button", [])) > 5 for b in buttons):
            return web.json_response({"errcode": 40016, "errmsg": "invalid button size"})
        names = [(b["name"], 16) for b in buttons] + [(s["name"], 60) for b in buttons for s in b.get("sub_button", [])]
        if any(not name or len(name.encode()) > limit for name, limit in names):
            return web.json_response({"errcode": 40018, "errmsg": "invalid button name size"})
        return await self._record(request)

    async def _record(self, request: web.Request) -> web.Response:
        path = request.path.removeprefix("/cgi-bin/")
        failed = await self._failure(path, request)
        if failed is not None:
            return failed
        body = json.loads(await request.read())
        content = body.get("text", {}).get("content", "")
        if len(content.encode("utf-8")) > TEXT_LIMIT:  # WeChat refuses it, and the person sees nothing
            self.refused.append(content)
            return web.json_response({"errcode": 45002, "errmsg": "content size out of limit"})
        self.calls.append((path, body))
        return web.json_response({"errcode": 0, "errmsg": "ok"})
