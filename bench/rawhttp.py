"""The load generator's HTTP client: HTTP/1.1 keep-alive connections over asyncio streams,
requests written as prebuilt bytes.

The client runs on the same two cores as the server it measures, so whatever it spends is taken
from the server: aiohttp (request building, multipart writer, response parsing) cost 0.7 ms of CPU
per 1 MB submission, this 0.4 ms (most of it the kernel's copy of the body). A body may be given
in parts (written as one vectored write, never joined into a copy of the photo), and `run` drives
the load on uvloop, as uvicorn drives the server. It speaks only what the benchmark needs:
requests with a body or none, responses with a Content-Length.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on uvloop when it is installed (uvicorn's standard extra brings it)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


class RawHttp:
    """Up to `connections` kept-alive connections to one server, each used by one request at a time."""

    def __init__(self, base: str, connections: int):
        url = urlsplit(base)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self._idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
        self._size = connections
        self._opened = 0

    async def request(self, method: str, target: str, body: bytes | Sequence[bytes] = b"",
                      headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        parts = [body] if isinstance(body, bytes) else list(body)
        size = sum(len(part) for part in parts)
        head = f"{method} {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {size}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items()) + "\r\n"
        async with self._connection() as (reader, writer):
            writer.writelines([head.encode(), *parts])
            response = await reader.readuntil(b"\r\n\r\n")
            status_line, *lines = response.decode("latin-1").split("\r\n")
            length = next((int(line.split(":", 1)[1]) for line in lines
                           if line.lower().startswith("content-length:")), None)
            if length is None:
                raise RuntimeError(f"response without Content-Length: {status_line}")
            return int(status_line.split(" ", 2)[1]), await reader.readexactly(length)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
        if self._idle.empty() and self._opened < self._size:
            self._opened += 1
            pair = await asyncio.open_connection(self.host, self.port)
        else:
            pair = await self._idle.get()
        try:
            yield pair
        except BaseException:
            pair[1].close()  # its state is unknown: not reused
            self._opened -= 1
            raise
        self._idle.put_nowait(pair)

    async def aclose(self) -> None:
        while not self._idle.empty():
            _, writer = self._idle.get_nowait()
            writer.close()
