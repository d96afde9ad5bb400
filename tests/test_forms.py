"""The submission route reads its multipart form itself (public_api.forms): the same fields,
files, refusals and error shapes as FastAPI's Form parameters gave, through the real app."""

from __future__ import annotations

import httpx

from tests.imaging import jpeg_of_size

FIELDS = {"category": "dust", "description": "工地扬尘很大，没有覆盖", "address": "城东路 1 号"}


async def status_of(client: httpx.AsyncClient, number: str, token: str) -> dict:  # type: ignore[type-arg]
    return (await client.get(f"/api/v1/reports/{number}", params={"token": token})).json()


async def test_fields_files_and_flags_as_a_browser_sends_them(client: httpx.AsyncClient) -> None:
    photo = jpeg_of_size(50_000)
    response = await client.post("/api/v1/reports", data={
        **FIELDS, "lat": "30.2741", "lon": "120.1551", "anonymous": "on", "contact_name": "",
        "contact_phone": "", "contact_email": "", "ignored_field": "x"},
        files=[("photos", ("a.jpg", photo, "image/jpeg")), ("photos", ("b.jpg", photo, "image/jpeg")),
               ("photos", ("", b"", "application/octet-stream"))])  # an empty file input
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["photo_count"] == 2 and created["status_url"].endswith(created["status_token"])
    view = await status_of(client, created["tracking_number"], created["status_token"])
    assert view["photo_count"] == 2 and view["category"]["code"] == "dust"


async def test_url_encoded_and_empty_optional_numbers(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/reports", data={**FIELDS, "lat": "", "lon": ""})
    assert response.status_code == 201, response.text
    assert response.json()["photo_count"] == 0


async def test_missing_and_invalid_fields_are_422_with_labels(client: httpx.AsyncClient) -> None:
    missing = await client.post("/api/v1/reports", data={"description": "工地扬尘很大"},
                                files=[("photos", ("a.jpg", b"x", "image/jpeg"))])
    assert missing.status_code == 422
    error = missing.json()["error"]
    assert error["code"] == "invalid_request" and "举报类别为必填项" in error["messages"]["zh"]
    not_a_number = await client.post("/api/v1/reports", data={**FIELDS, "lat": "north", "lon": "120"},
                                     files=[("photos", ("a.jpg", b"x", "image/jpeg"))])
    assert not_a_number.status_code == 422 and "纬度必须是数字" in not_a_number.json()["error"]["messages"]["zh"]
    as_json = await client.post("/api/v1/reports", json=FIELDS)
    assert as_json.status_code == 422
    text_photo = await client.post("/api/v1/reports", files={"photos": (None, "not a file")}, data=FIELDS)
    assert text_photo.status_code == 422 and text_photo.json()["error"]["messages"]["zh"] == "照片须作为文件上传"


async def test_damaged_bodies_are_refused_with_a_4xx(client: httpx.AsyncClient) -> None:
    no_boundary = await client.post("/api/v1/reports", content=b"--x\r\n",
                                    headers={"Content-Type": "multipart/form-data"})
    assert no_boundary.status_code == 422 and no_boundary.json()["error"]["code"] == "form_malformed"
    assert no_boundary.json()["error"]["messages"]["zh"] == "表单无法解析：缺少 multipart 分隔符"
    body = (b'--b\r\nContent-Disposition: form-data; name="category"\r\n\r\ndust\r\n'
            b"--b\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--b--\r\n")
    nameless = await client.post("/api/v1/reports", content=body,
                                 headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert nameless.status_code == 422 and nameless.json()["error"]["code"] == "form_malformed"
    garbage = await client.post("/api/v1/reports", content=b"--b\r\n\x00\x01 not headers\r\n\r\n",
                                headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert 400 <= garbage.status_code < 500


async def test_an_oversized_photo_is_refused_by_its_real_size(client: httpx.AsyncClient) -> None:
    huge = b"\xff\xd8\xff" + b"0" * (11 * 1024 * 1024)
    response = await client.post("/api/v1/reports", data=FIELDS, files=[("photos", ("big.jpg", huge, "image/jpeg"))])
    assert response.status_code in (413, 422)
    code = response.json()["error"]["code"]
    assert code in ("photo_too_large", "request_too_large"), code
