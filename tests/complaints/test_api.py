"""The public and staff HTTP API end to end through an HTTP client, on both databases."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from civicdesk.container import Services
from complaints.schemas import ReportFilters
from tests import imaging
from tests.support import bearer

FORM = {
    "category": "施工扬尘",
    "description": "工地渣土车没有覆盖，沿路撒落，尘土飞扬",
    "address": "城东新区纬三路与经五路交叉口",
    "lat": "30.2741",
    "lon": "120.1551",
}


async def submit(client: httpx.AsyncClient, photos: list[tuple[str, bytes, str]] | None = None,
                 **form: str) -> httpx.Response:
    files = [("photos", p) for p in photos or []]
    return await client.post("/api/v1/reports", data={**FORM, **form}, files=files or None)


async def test_health_docs_and_categories(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json()["status"] == "ok"
    assert (await client.get("/docs")).status_code == 200
    spec = (await client.get("/openapi.json")).json()
    assert "/api/v1/reports" in spec["paths"]
    categories = (await client.get("/api/v1/categories")).json()
    assert {"code": "unpaid_wages", "name_zh": "拖欠农民工工资"}.items() <= categories[0].items()


async def test_citizen_submits_and_reads_back(client: httpx.AsyncClient) -> None:
    photo = imaging.jpeg(gps=(30.27, 120.15))
    response = await submit(client, [("site.jpg", photo, "image/jpeg")], contact_phone="138-0000-0000")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["tracking_number"] == "2026-000001" and body["status"] == "submitted"
    assert body["status_url"].endswith(f"/api/v1/reports/2026-000001?token={body['status_token']}")
    assert body["photo_count"] == 1

    view = await client.get(f"/api/v1/reports/2026-000001", params={"token": body["status_token"]})
    assert view.status_code == 200
    data = view.json()
    assert data["status"] == "submitted" and data["category"]["code"] == "dust"
    assert "138" not in view.text  # contact details are not part of the public view

    photo_response = await client.get("/api/v1/reports/2026-000001/photos/1", params={"token": body["status_token"]})
    assert photo_response.status_code == 200 and photo_response.headers["content-type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(photo_response.content)).getexif()


async def test_wrong_token_or_number_is_404(client: httpx.AsyncClient) -> None:
    token = (await submit(client)).json()["status_token"]
    other = (await submit(client)).json()["status_token"]
    for number, tok in (("2026-000001", other), ("2026-000404", token)):
        response = await client.get(f"/api/v1/reports/{number}", params={"token": tok})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "report_not_found"
    response = await client.get("/api/v1/reports/2026-000001/photos/1", params={"token": other})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("form", "field", "zh"),
    [
        ({"description": "太吵"}, "description", "至少需要"),
        ({"lat": "abc"}, "lat", "必须是数字"),
        ({"lat": "95"}, "lat", "超出允许范围"),
        ({"lon": ""}, "", "纬度和经度须同时填写"),
        ({"category": "不存在的类别"}, None, "未知的举报类别"),
        ({"contact_phone": "call me"}, "contact_phone", "联系电话"),
    ],
)
async def test_validation_errors_are_actionable_in_both_languages(
    client: httpx.AsyncClient, form: dict[str, str], field: str | None, zh: str
) -> None:
    response = await submit(client, **form)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert zh in error["message"] and error["messages"]["en"]
    if field is not None:
        assert any(f["field"] == field for f in error["details"]["fields"])
    english = await client.post("/api/v1/reports", data={**FORM, **form}, headers={"Accept-Language": "en-US"})
    assert english.json()["error"]["message"] == error["messages"]["en"]


async def test_missing_fields_and_malformed_requests(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/reports", data={"description": "只有描述，没有类别和地址"})
    assert response.status_code == 422
    assert "举报类别为必填项" in response.json()["error"]["message"]
    response = await client.post("/api/v1/reports", content=b"\x00\x01garbage",
                                 headers={"Content-Type": "multipart/form-data; boundary=zzz"})
    assert response.status_code in (400, 422)
    assert "error" in response.json()


async def test_photo_refusals_say_what_is_accepted(client: httpx.AsyncClient, services: Services) -> None:
    response = await submit(client, [("notes.jpg", b"this is a text file", "image/jpeg")])
    assert response.status_code == 422
    error = response.json()["error"]
    assert "JPEG" in error["message"] and "notes.jpg" in error["message"]
    assert "JPEG" in error["messages"]["en"]

    big = b"\xff\xd8" + b"0" * (services.settings.max_photo_bytes + 10)
    response = await submit(client, [("huge.jpg", big, "image/jpeg")])
    assert response.status_code == 422 and response.json()["error"]["code"] == "photo_too_large"

    six = [(f"{i}.jpg", imaging.jpeg(64, 48), "image/jpeg") for i in range(6)]
    response = await submit(client, six)
    assert response.status_code == 422 and response.json()["error"]["code"] == "too_many_photos"

    # Nothing was stored by any refused request.
    staff = await services.complaints.search(ReportFilters())
    assert staff.total == 0


async def test_staff_auth_401_vs_403(client: httpx.AsyncClient, staff_tokens: dict[str, str]) -> None:
    await submit(client)
    response = await client.get("/api/v1/staff/reports")
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "not_authenticated"
    response = await client.get("/api/v1/staff/reports", headers=bearer("not-a-real-token"))
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_token"

    viewer = bearer(staff_tokens["viewer"])
    assert (await client.get("/api/v1/staff/reports", headers=viewer)).json()["total"] == 1
    for method, path, body in (
        ("PATCH", "/api/v1/staff/reports/2026-000001", {"priority": "high"}),
        ("POST", "/api/v1/staff/reports/2026-000001/transition", {"to": "accepted"}),
        ("POST", "/api/v1/staff/reports/2026-000001/notes", {"text": "x"}),
        ("POST", "/api/v1/staff/reports/2026-000001/merge", {"into": "2026-000002"}),
    ):
        response = await client.request(method, path, json=body, headers=viewer)
        assert response.status_code == 403, (method, path)
        assert response.json()["error"]["code"] == "forbidden"
    detail = (await client.get("/api/v1/staff/reports/2026-000001", headers=viewer)).json()
    assert detail["priority"] == "normal" and len(detail["events"]) == 1


async def test_triage_end_to_end(client: httpx.AsyncClient, staff_tokens: dict[str, str]) -> None:
    created = (await submit(client, [("a.jpg", imaging.jpeg(gps=(30.2741, 120.1551)), "image/jpeg")])).json()
    number, token = created["tracking_number"], created["status_token"]
    second = (await submit(client, lat="30.2745")).json()["tracking_number"]
    triager = bearer(staff_tokens["triager"])

    listing = (await client.get("/api/v1/staff/reports", params={"status": "submitted", "q": "渣土车"},
                                headers=triager)).json()
    assert listing["total"] == 2 and listing["items"][0]["tracking_number"] == second

    response = await client.patch(f"/api/v1/staff/reports/{number}",
                                  json={"priority": "urgent", "assignee": "triager1", "note": "先处理"},
                                  headers=triager)
    assert response.status_code == 200 and response.json()["priority"] == "urgent"
    bad = await client.patch(f"/api/v1/staff/reports/{number}", json={"priority": "asap"}, headers=triager)
    assert bad.status_code == 422

    illegal = await client.post(f"/api/v1/staff/reports/{number}/transition", json={"to": "closed"}, headers=triager)
    assert illegal.status_code == 409
    assert illegal.json()["error"]["details"]["allowed"] == ["accepted", "rejected"]

    accepted = await client.post(f"/api/v1/staff/reports/{number}/transition",
                                 json={"to": "accepted", "note": "内部备注", "public_message": "已受理，三日内核查"},
                                 headers=triager)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    await client.post(f"/api/v1/staff/reports/{number}/notes", json={"text": "仅内部可见"}, headers=triager)
    await client.post(f"/api/v1/staff/reports/{number}/notes", json={"text": "已派人到场", "public": True},
                      headers=triager)
    extended = await client.post(f"/api/v1/staff/reports/{number}/extend",
                                 json={"days": 10, "reason": "需会同环保部门"}, headers=triager)
    assert extended.json()["extension_days"] == 10

    detail = (await client.get(f"/api/v1/staff/reports/{number}", headers=triager)).json()
    assert [d["tracking_number"] for d in (await client.get(
        f"/api/v1/staff/reports/{second}", headers=triager)).json()["duplicate_candidates"]] == [number]
    assert detail["photos"][0]["gps_lat"] is not None
    assert "仅内部可见" in {e["note"] for e in detail["events"]}
    original = await client.get(f"/api/v1/staff/reports/{number}/photos/1/original", headers=triager)
    assert original.status_code == 200 and original.content[:2] == b"\xff\xd8"

    merged = await client.post(f"/api/v1/staff/reports/{second}/merge", json={"into": number}, headers=triager)
    assert merged.status_code == 200 and merged.json()["merged_reports"] == [second]

    public = (await client.get(f"/api/v1/reports/{number}", params={"token": token})).json()
    assert [h["message"] for h in public["history"] if h["message"]] == [
        "已受理，三日内核查", "已派人到场", "需会同环保部门"]
    assert "内部备注" not in str(public) and "仅内部可见" not in str(public) and "先处理" not in str(public)


async def test_staff_filters_overdue_and_dates(
    client: httpx.AsyncClient, staff_tokens: dict[str, str], clock
) -> None:
    from datetime import timedelta

    await submit(client)
    clock.advance(timedelta(days=20))
    await submit(client)
    viewer = bearer(staff_tokens["viewer"])
    overdue = (await client.get("/api/v1/staff/reports/overdue", headers=viewer)).json()
    assert [r["tracking_number"] for r in overdue] == ["2026-000001"]
    listing = (await client.get("/api/v1/staff/reports", params={"overdue": "true"}, headers=viewer)).json()
    assert listing["total"] == 1 and listing["items"][0]["overdue"] is True
    recent = (await client.get("/api/v1/staff/reports",
                               params={"created_from": (clock.now() - timedelta(days=1)).isoformat()},
                               headers=viewer)).json()
    assert [r["tracking_number"] for r in recent["items"]] == ["2026-000002"]
    bad = await client.get("/api/v1/staff/reports", params={"sort": "drop table"}, headers=viewer)
    assert bad.status_code == 422
