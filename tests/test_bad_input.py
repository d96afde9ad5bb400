"""Bad input is a 4xx in the error shape, never a 500, on both databases: ids beyond any row,
pages beyond reason, NUL bytes wherever text enters, long file names, non-ASCII secrets; a 500
says nothing about the internals, as JSON on the API and as a page on the web."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from civicdesk.container import Services
from complaints.models import Photo
from public_api.web.security import CSRF_COOKIE
from tests import imaging
from tests.support import bearer

HUGE = [2**31, 2**63, 10**30]


def _error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert set(body["messages"]) == {"zh", "en"}
    return body


async def _report(client: httpx.AsyncClient, **fields: object) -> httpx.Response:
    data = {"category": "dust", "description": "工地扬尘很大，没有洒水", "address": "城东工地", **fields}
    files = fields.pop("files", None) if "files" in fields else None
    data.pop("files", None)
    return await client.post("/api/v1/reports", data=data, files=files)


@pytest.mark.parametrize("number", HUGE)
async def test_ids_beyond_any_row_are_422(client: httpx.AsyncClient, staff_tokens: dict[str, str],
                                          number: int) -> None:
    staff = bearer(staff_tokens["admin"])
    for method, url, kwargs in [
        ("GET", f"/api/v1/open-days/{number}", {}),
        ("GET", f"/open-days/{number}.ics", {}),
        ("POST", f"/api/v1/open-days/{number}/registrations", {"json": {"name": "张三"}}),
        ("GET", f"/api/v1/open-days/registrations/{number}?token=abcdefgh", {}),
        ("GET", f"/api/v1/staff/open-days/{number}", {"headers": staff}),
        ("GET", f"/api/v1/staff/open-days/1/registrations/{number}", {"headers": staff}),
        ("POST", f"/api/v1/ask/{number}/vote", {"json": {"helpful": True}}),
        ("GET", f"/api/v1/reports/2026-000001/photos/{number}?token=abcdefgh", {}),
    ]:
        response = await client.request(method, url, **kwargs)
        assert response.status_code == 422, (url, response.status_code, response.text)
    page = await client.get(f"/open-days/{number}")
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")


async def test_pages_are_bounded(client: httpx.AsyncClient, staff_tokens: dict[str, str]) -> None:
    staff = bearer(staff_tokens["viewer"])
    assert (await client.get("/api/v1/staff/reports", params={"page": 10**6}, headers=staff)).status_code == 422
    ok = await client.get("/api/v1/staff/reports", params={"page": 10_000}, headers=staff)
    assert ok.status_code == 200 and ok.json()["items"] == []
    questions = await client.get("/api/v1/staff/knowledge/questions", params={"offset": 2**63}, headers=staff)
    assert questions.status_code == 422


async def test_nul_bytes_are_refused_everywhere_text_enters(
    client: httpx.AsyncClient, services: Services, staff_tokens: dict[str, str]
) -> None:
    assert _error(await _report(client, description="工地扬尘\x00很大很大"), 422)["code"] == "text_nul"
    assert _error(await _report(client, address="城东\x00工地"), 422)["code"] == "text_nul"
    assert _error(await _report(client, contact_name="张\x00三"), 422)["code"] == "text_nul"
    staff = bearer(staff_tokens["triager"])
    search = await client.get("/api/v1/staff/reports", params={"q": "扬\x00尘"}, headers=staff)
    assert _error(search, 422)["code"] == "text_nul"
    lookup = await client.get("/api/v1/reports/2026-0%00001", params={"token": "abcdefgh\x00"})
    assert lookup.status_code in (404, 422)
    created = await _report(client)
    number = created.json()["tracking_number"]
    note = await client.post(f"/api/v1/staff/reports/{number}/notes", json={"text": "a\x00b"}, headers=staff)
    assert _error(note, 422)["code"] == "text_nul"
    ask = await client.post("/api/v1/ask", json={"question": "施工许可证\x00怎么办"})
    assert ask.status_code == 422, ask.text


async def test_long_and_odd_photo_file_names_are_shortened(client: httpx.AsyncClient, services: Services) -> None:
    name = "照片" * 200 + "\x00\x07.jpg"
    created = await _report(client, files=[("photos", (name, imaging.jpeg(64, 48), "image/jpeg"))])
    assert created.status_code == 201, created.text
    async with services.db.session() as session:
        stored = await session.scalar(select(Photo.filename))
    assert stored is not None and len(stored) <= 255 and stored.endswith(".jpg") and "\x00" not in stored


async def test_a_non_ascii_csrf_token_is_a_403(client: httpx.AsyncClient) -> None:
    page = await client.get("/staff/login")
    assert page.status_code == 200 and client.cookies.get(CSRF_COOKIE)
    response = await client.post("/staff/login", data={"username": "a", "password": "b", "csrf_token": "令牌" * 20})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")


async def test_a_missing_photo_is_404_without_its_storage_key(client: httpx.AsyncClient, services: Services) -> None:
    created = (await _report(client, files=[("photos", ("a.jpg", imaging.jpeg(64, 48), "image/jpeg"))])).json()
    async with services.db.session() as session:
        key = await session.scalar(select(Photo.public_key))
    services.photos.delete(key)
    url = f"/api/v1/reports/{created['tracking_number']}/photos/1"
    response = await client.get(url, params={"token": created["status_token"]})
    body = _error(response, 404)
    assert key not in response.text and key.split("/")[-1][:16] not in response.text
    assert body["code"] == "photo_not_found"


async def test_an_unexpected_error_is_a_500_in_the_error_shape(app: FastAPI) -> None:
    async def boom() -> None:
        raise RuntimeError("secret internals: /var/lib/civicdesk/db password=hunter2")

    app.add_api_route("/api/v1/boom", boom)
    app.add_api_route("/boom-page", boom, include_in_schema=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        api = await client.get("/api/v1/boom")
        page = await client.get("/boom-page")
    assert _error(api, 500)["code"] == "internal_error"
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    for response in (api, page):
        assert "hunter2" not in response.text and "RuntimeError" not in response.text
    assert "服务器内部错误" in page.text
