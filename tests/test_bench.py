"""The benchmark's own load generator against a running `civicdesk serve` (SQLite): its prebuilt
multipart submissions are real reports with their photo, and its reads see them, so `make bench`
measures requests that did the whole job."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from bench.complaints import _reads, _submissions
from bench.rawhttp import RawHttp, run
from tests.imaging import jpeg_of_size
from tests.live import served_backend


def test_the_benchmark_submits_real_reports_and_reads_them(tmp_path: Path) -> None:
    photo = jpeg_of_size(200_000)
    tokens: list[tuple[str, str]] = []
    with served_backend("sqlite", tmp_path) as server:
        submitted = run(_submissions(server.url, photo, 6, tokens))
        read = run(_reads(server.url, 20, tokens, "status read"))
        number, token = tokens[0]
        view = httpx.get(f"{server.url}/api/v1/reports/{number}", params={"token": token}).json()
        public = httpx.get(f"{server.url}/api/v1/reports/{number}/photos/1", params={"token": token})

        async def refused() -> tuple[int, bytes]:
            http = RawHttp(server.url, 1)
            try:
                return await http.request("GET", f"/api/v1/reports/{number}?token=not-the-token")
            finally:
                await http.aclose()

        status, body = run(refused())
    assert (submitted.count, submitted.errors, read.count, read.errors) == (6, 0, 20, 0)
    assert len({n for n, _ in tokens}) == 6
    assert view["category"]["code"] == "dust" and view["photo_count"] == 1
    assert public.status_code == 200 and public.content.startswith(b"\xff\xd8")  # the public JPEG copy
    # a status read the benchmark counts as an error
    assert status == 404 and json.loads(body)["error"]["code"] == "report_not_found"
