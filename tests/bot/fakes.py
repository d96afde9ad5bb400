"""A fake Telegram Bot API server on loopback, for the real aiogram client to talk to over HTTP.

It answers the methods the bot uses, records every call, queues updates for getUpdates (long
polling), serves files for download (/file/bot<token>/<path>), and can be told to fail a method
(429 with retry_after, 5xx) or to behave as if a chat blocked the bot (403).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token-for-the-fake-bot-api"
BOT_ID = 123456
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Civic Desk", "username": "civicdesk_test_bot"}
MESSAGE_METHODS = {"sendmessage", "sendphoto", "editmessagetext", "editmessagereplymarkup"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    result: Any = None

    @property
    def message_id(self) -> int | None:
        return self.result.get("message_id") if isinstance(self.result, dict) else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    def buttons(self) -> list[dict[str, Any]]:
        """Inline buttons of the call's reply markup, flattened."""
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    def keyboard(self) -> list[dict[str, Any]]:
        """Reply-keyboard buttons of the call's markup, flattened."""
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("keyboard", []) for b in row]


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None = None


class FakeBotAPI:
    def __init__(self, token: str = TOKEN):
        self.token = token
        self.calls: list[Call] = []
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, data)
        self.updates: list[dict[str, Any]] = []
        self.failures: dict[str, list[Failure]] = {}
        self.blocked: set[int] = set()
        self.webhook: dict[str, Any] | None = None
        self.commands: dict[str, list[dict[str, Any]]] = {}
        # Like Telegram's, update ids do not start at 1: runs sharing a Redis never see each other's.
        self._update_ids = itertools.count(random.randrange(1, 2**40))
        self._message_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)
        self._new_update = asyncio.Condition()
        self._new_call = asyncio.Condition()
        self.offset = 0
        self.on_call: Callable[[Call], None] | None = None  # e.g. a benchmark waiting for replies
        self.runner: web.AppRunner | None = None
        self.url = ""

    # --- server -------------------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        async with self._new_update:
            self._new_update.notify_all()
        if self.runner is not None:
            await self.runner.cleanup()

    async def _file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        for file_path, data in self.files.values():
            if file_path == path:
                self.calls.append(Call("download", {"path": path}))
                return web.Response(body=data, content_type="application/octet-stream")
        return web.Response(status=404)

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        call = Call(method, params)
        self.calls.append(call)
        async with self._new_call:
            self._new_call.notify_all()
        pending = self.failures.get(method.lower())
        if pending:
            failure = pending.pop(0)
            body: dict[str, Any] = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return web.json_response(body, status=failure.status)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return _error(404, f"Not Found: method {method} is not faked")
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        call.result = result
        if self.on_call is not None:
            self.on_call(call)
        return _ok(result)

    # --- methods ------------------------------------------------------------------------------------
    async def _m_getme(self, _: dict[str, Any]) -> Any:
        return BOT_USER

    async def _m_getupdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 2.0)
        limit = int(params.get("limit") or 100)
        if offset:
            self.offset = max(self.offset, offset)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        async with self._new_update:
            while not self.updates and time.monotonic() < deadline:
                try:
                    await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
        return self.updates[:limit]

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        return self._message(chat_id, text=params.get("text", ""), reply_markup=params.get("reply_markup"))

    async def _m_sendphoto(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        photo = [{"file_id": "sent-photo", "file_unique_id": "sent-photo-u", "width": 1, "height": 1}]
        return self._message(chat_id, photo=photo, caption=params.get("caption"))

    async def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        return self._message(
            int(params["chat_id"]),
            message_id=int(params["message_id"]),
            text=params.get("text", ""),
            reply_markup=params.get("reply_markup"),
        )

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        return self._message(
            int(params["chat_id"]),
            message_id=int(params["message_id"]),
            text="…",
            reply_markup=params.get("reply_markup"),
        )

    async def _m_answercallbackquery(self, _: dict[str, Any]) -> Any:
        return True

    async def _m_sendchataction(self, _: dict[str, Any]) -> Any:
        return True

    async def _m_deletemessage(self, _: dict[str, Any]) -> Any:
        return True

    async def _m_setmycommands(self, params: dict[str, Any]) -> Any:
        self.commands[params.get("language_code") or ""] = params["commands"]
        return True

    async def _m_setwebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = params
        return True

    async def _m_deletewebhook(self, _: dict[str, Any]) -> Any:
        self.webhook = None
        return True

    async def _m_getfile(self, params: dict[str, Any]) -> Any:
        file_id = params["file_id"]
        if file_id not in self.files:
            return _error(400, "Bad Request: invalid file_id")
        path, data = self.files[file_id]
        if len(data) > 20 * 1024 * 1024:
            return _error(400, "Bad Request: file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(data),
            "file_path": path,
        }

    def _message(self, chat_id: int, message_id: int | None = None, **fields: Any) -> dict[str, Any]:
        message = {
            "message_id": message_id or next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
        }
        message.update({k: v for k, v in fields.items() if v is not None})
        # Telegram returns only inline keyboards with a message.
        if "inline_keyboard" not in (message.get("reply_markup") or {}):
            message.pop("reply_markup", None)
        return message

    # --- test controls ------------------------------------------------------------------------------
    def add_file(self, data: bytes, suffix: str = "jpg") -> str:
        n = next(self._file_ids)
        file_id = f"file-{n}"
        self.files[file_id] = (f"files/{n}.{suffix}", data)
        return file_id

    async def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        update.setdefault("update_id", next(self._update_ids))
        async with self._new_update:
            self.updates.append(update)
            self._new_update.notify_all()
        return update

    def new_update_id(self) -> int:
        return next(self._update_ids)

    def fail(
        self, method: str, status: int, description: str, retry_after: int | None = None, times: int = 1
    ) -> None:
        self.failures.setdefault(method.lower(), []).extend(
            Failure(status, description, retry_after) for _ in range(times)
        )

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def messages_to(self, chat_id: int) -> list[Call]:
        return [c for c in self.calls if c.method.lower() in MESSAGE_METHODS and c.chat_id == chat_id]

    async def wait_for(
        self, predicate: Callable[[Call], bool], timeout: float = 10.0, start: int = 0
    ) -> Call:
        """The first call from index `start` on that matches, waiting for it if needed."""
        deadline = time.monotonic() + timeout
        async with self._new_call:
            while True:
                for call in self.calls[start:]:
                    if predicate(call):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(c.method, c.text[:60]) for c in self.calls[start:]]
                    raise AssertionError(f"no matching call within {timeout}s; calls: {seen}")
                try:
                    await asyncio.wait_for(self._new_call.wait(), remaining)
                except TimeoutError:
                    pass


async def _params(request: web.Request) -> dict[str, Any]:
    """The method's parameters, JSON values decoded (aiogram sends objects as JSON strings)."""
    if request.content_type == "application/json":
        return await request.json()
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):
            params[key] = value.file.read()
            continue
        text = str(value)
        if text[:1] in "[{":
            try:
                params[key] = json.loads(text)
                continue
            except ValueError:
                pass
        params[key] = text
    return params


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)


# --- updates a person sends -------------------------------------------------------------------------
class Person:
    """Builds the updates a Telegram user would cause in their private chat with the bot."""

    def __init__(
        self, api: FakeBotAPI, user_id: int = 1001, first_name: str = "张三", language_code: str = "zh-hans"
    ):
        self.api = api
        self.user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code}
        self.id = user_id
        self._message_ids = itertools.count(1)

    def _message(self, **fields: Any) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": self.id, "type": "private", "first_name": self.user["first_name"]},
            "from": self.user,
        }
        message.update(fields)
        return {"update_id": self.api.new_update_id(), "message": message}

    def text(self, text: str) -> dict[str, Any]:
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._message(**fields)

    def photo(self, data: bytes, media_group_id: str | None = None) -> dict[str, Any]:
        file_id = self.api.add_file(data, "jpg")
        sizes = [
            {
                "file_id": f"{file_id}-thumb",
                "file_unique_id": f"{file_id}-thumb-u",
                "width": 90,
                "height": 67,
            },
            {
                "file_id": file_id,
                "file_unique_id": f"{file_id}-u",
                "width": 640,
                "height": 480,
                "file_size": len(data),
            },
        ]
        fields: dict[str, Any] = {"photo": sizes}
        if media_group_id:
            fields["media_group_id"] = media_group_id
        return self._message(**fields)

    def document(self, data: bytes, file_name: str, mime_type: str) -> dict[str, Any]:
        file_id = self.api.add_file(data, file_name.rsplit(".", 1)[-1])
        return self._message(
            document={
                "file_id": file_id,
                "file_unique_id": f"{file_id}-u",
                "file_name": file_name,
                "mime_type": mime_type,
                "file_size": len(data),
            }
        )

    def location(self, lat: float, lon: float) -> dict[str, Any]:
        return self._message(location={"latitude": lat, "longitude": lon})

    def contact(self, phone: str, own: bool = True) -> dict[str, Any]:
        return self._message(
            contact={
                "phone_number": phone,
                "first_name": self.user["first_name"],
                "user_id": self.id if own else self.id + 1,
            }
        )

    def membership(self, status: str) -> dict[str, Any]:
        """The person blocks (`kicked`) or unblocks (`member`) the bot."""
        old = "member" if status == "kicked" else "kicked"
        return {
            "update_id": self.api.new_update_id(),
            "my_chat_member": {
                "chat": {"id": self.id, "type": "private"},
                "from": self.user,
                "date": int(time.time()),
                "old_chat_member": {
                    "status": old,
                    "user": BOT_USER,
                    **({"until_date": 0} if old == "kicked" else {}),
                },
                "new_chat_member": {
                    "status": status,
                    "user": BOT_USER,
                    **({"until_date": 0} if status == "kicked" else {}),
                },
            },
        }

    def press(self, data: str, message_id: int = 1000, markup: dict[str, Any] | None = None) -> dict[str, Any]:
        """A tap on an inline button of message `message_id` (whose keyboard Telegram sends along)."""
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": self.id, "type": "private"},
            "from": BOT_USER,
            "text": "…",
        }
        if markup:
            message["reply_markup"] = markup
        return {
            "update_id": self.api.new_update_id(),
            "callback_query": {
                "id": f"cb-{self.api.new_update_id()}",
                "from": self.user,
                "chat_instance": "ci",
                "data": data,
                "message": message,
            },
        }
