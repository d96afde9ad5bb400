"""Request bodies are limited while they stream in: Content-Length and chunked alike, 413 in the
error shape, and the application never reads much past the limit."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from public_api.limits import MULTIPART_OVERHEAD
from tests.live import live_server, server_env

CHUNK = 256 * 1024


class Counting:
    """A body of `total` bytes streamed in chunks, remembering how much was consumed."""

    def __init__(self, total: int, head: bytes = b""):
        self.total = total
        self.head = head
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.head:
            self.sent += len(self.head)
            yield self.head
        block = b"x" * CHUNK
        while self.sent < self.total:
            self.sent += CHUNK
            yield block


async def test_chunked_upload_is_cut_off_just_past_the_limit(client: httpx.AsyncClient, services) -> None:  # noqa: ANN001
    settings = services.settings
    limit = settings.max_photos_per_report * settings.max_photo_bytes + MULTIPART_OVERHEAD
    head = (b'--b\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n")
    body = Counting(2**30, head)  # 1 GB, no Content-Length
    response = await client.post("/api/v1/reports", content=body,
                                 headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert limit < body.sent <= limit + CHUNK + len(head)


async def test_declared_length_over_the_limit_is_refused_before_reading(client: httpx.AsyncClient) -> None:
    body = Counting(5 * 2**20)
    response = await client.post("/api/v1/ask", content=body,
                                 headers={"Content-Type": "application/json", "Content-Length": str(5 * 2**20)})
    assert response.status_code == 413
    assert body.sent == 0
    assert set(response.json()["error"]["messages"]) == {"zh", "en"}


async def test_small_routes_take_one_megabyte(client: httpx.AsyncClient) -> None:
    body = Counting(3 * 2**20)
    response = await client.post("/api/v1/ask", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert body.sent <= 2**20 + CHUNK
    ok = await client.post("/api/v1/ask", json={"question": "x" * 10})
    assert ok.status_code != 413


async def test_web_page_gets_an_html_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/staff/login", content=Counting(2 * 2**20),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "请求过大" in response.text


async def test_too_many_photos_are_counted_before_reading(client: httpx.AsyncClient) -> None:
    files = [("photos", (f"{i}.jpg", b"\xff\xd8" + b"0" * 100, "image/jpeg")) for i in range(40)]
    response = await client.post("/api/v1/reports", data={"category": "dust", "description": "扬尘很大很大",
                                                           "address": "城东"}, files=files)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "too_many_photos"


def _chunked_until_answered(port: int, path: str, total: int) -> tuple[bytes, int]:
    """Send a chunked body of `total` bytes with a raw socket until the server answers."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n".encode())
    head = (b'--b\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n")
    sock.sendall(b"%x\r\n" % len(head) + head + b"\r\n")
    chunk = b"%x\r\n" % CHUNK + b"y" * CHUNK + b"\r\n"
    sent = 0
    sock.setblocking(False)
    answer = b""
    deadline = time.monotonic() + 60
    try:
        while sent < total and time.monotonic() < deadline:
            try:
                answer += sock.recv(65536)
                if answer:
                    break
            except BlockingIOError:
                pass
            try:
                sent += sock.send(chunk)
            except BlockingIOError:
                time.sleep(0.005)
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.setblocking(True)
        sock.settimeout(10)
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    finally:
        sock.close()
    return answer, sent


@pytest.mark.slow
def test_real_server_answers_a_chunked_gigabyte_with_413(tmp_path: Path) -> None:
    seed = tmp_path / "no-seed"
    seed.mkdir()
    env = server_env(tmp_path / "var", f"sqlite+aiosqlite:///{tmp_path}/limits.db",
                     CIVICDESK_MAX_PHOTO_BYTES=str(2**20), CIVICDESK_MAX_PHOTOS_PER_REPORT="2",
                     CIVICDESK_KNOWLEDGE_SEED_DIR=str(seed))
    with live_server(env) as server:
        port = int(server.url.rsplit(":", 1)[1])
        answer, sent = _chunked_until_answered(port, "/api/v1/reports", 2**30)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        limit = 2 * 2**20 + MULTIPART_OVERHEAD
        # What the server read is at most one chunk past the limit (see above); the rest of what
        # was sent sat in the kernel's socket buffers.
        assert sent < limit + 16 * 2**20
        assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
