"""Request body limits enforced while the body streams in (plain ASGI, before any parser runs).

A declared Content-Length over the limit is refused before one byte is read; a chunked body (or
one that lies about its length) is cut off as soon as it passes the limit. Either way the answer
is 413 in the project's error shape (JSON on the API, the error page on web pages), and the
application's own half-finished response is discarded.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import DomainError
from core.settings import Settings

MULTIPART_OVERHEAD = 1024 * 1024  # form fields and part headers on top of the files themselves


class BodyTooLarge(DomainError):
    code = "request_too_large"

    def __init__(self, limit: int):
        mb = f"{limit / 2**20:.1f}".rstrip("0").rstrip(".")
        super().__init__(f"请求过大：此处最多接受 {mb} MB。", f"Request too large: at most {mb} MB here.",
                         limit_bytes=limit)


def body_limits(settings: Settings) -> Callable[[str, str], int]:
    """The largest body each route takes: uploads get room for their files, the rest
    `CIVICDESK_MAX_REQUEST_BYTES`."""
    photos = settings.max_photos_per_report * settings.max_photo_bytes + MULTIPART_OVERHEAD
    documents = settings.knowledge_max_upload_bytes + MULTIPART_OVERHEAD
    uploads = {
        "/api/v1/reports": photos,
        "/report": photos,
        "/open311/v2/requests.json": photos,
        "/open311/v2/requests.xml": photos,
        "/api/v1/staff/knowledge/documents": documents,
        "/staff/knowledge/upload": documents,
    }

    def limit_for(method: str, path: str) -> int:
        if method == "POST" and path in uploads:
            return uploads[path]
        return settings.max_request_bytes

    return limit_for


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit_for: Callable[[str, str], int],
                 reject: Callable[[Request, DomainError, int], object]):
        self.app = app
        self.limit_for = limit_for
        self.reject = reject  # builds the error response (an ASGI app) for a request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    return {"type": "http.disconnect"}  # the app stops reading here
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the app's answer to a cut-off body is replaced by the 413 below
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded or started:
                raise
        if exceeded and not started:
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = self.reject(Request(scope), BodyTooLarge(limit), 413)
        await response(scope, receive, send)  # type: ignore[operator]


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
