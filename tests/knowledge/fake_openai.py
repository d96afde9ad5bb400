"""A tiny real OpenAI-compatible HTTP server on loopback, for the LLM and embeddings options.

`/v1/chat/completions` answers with whatever `reply(messages)` returns, after `delay` seconds, or with
`status` when it is not 200. `/v1/embeddings` returns bag-of-characters vectors: deterministic, and
similar for texts that share characters, so retrieval through it behaves sensibly.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

DIM = 128


def char_vector(text: str) -> list[float]:
    vector = np.zeros(DIM, dtype=np.float32)
    for char in text:
        if char.strip():
            vector[int(hashlib.md5(char.encode()).hexdigest(), 16) % DIM] += 1.0
    norm = float(np.linalg.norm(vector)) or 1.0
    return (vector / norm).tolist()


class FakeOpenAI:
    def __init__(self) -> None:
        self.reply: Callable[[list[dict[str, Any]]], str] = lambda messages: "好的。"
        self.delay = 0.0
        self.status = 200
        self.requests: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append({"path": self.path, "body": request})
                if self.path.endswith("/embeddings"):
                    inputs = request.get("input")
                    inputs = [inputs] if isinstance(inputs, str) else inputs
                    self._send(200, {
                        "object": "list", "model": request.get("model"),
                        "data": [{"object": "embedding", "index": i, "embedding": char_vector(t)}
                                 for i, t in enumerate(inputs)],
                        "usage": {"prompt_tokens": 0, "total_tokens": 0},
                    })
                    return
                if not self.path.endswith("/chat/completions"):
                    self._send(404, {"error": {"message": "not found"}})
                    return
                if fake.delay:
                    time.sleep(fake.delay)
                if fake.status != 200:
                    self._send(fake.status, {"error": {"message": "upstream failure", "type": "server_error"}})
                    return
                content = fake.reply(request.get("messages", []))
                self._send(200, {
                    "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
                    "model": request.get("model", "fake"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                })

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
