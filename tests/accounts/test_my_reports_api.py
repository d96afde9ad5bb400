"""'My reports' by a verified mobile number through the API (issue 11 item 4), on SQLite and
PostgreSQL: the code sent by SMS, the same answer for a number with reports and one without, the
fifth wrong code locks, expiry on the project's clock, and 429 with Retry-After per number and
per client."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from accounts.phone_codes import PendingCode
from civicdesk.container import Services
from core.clock import FrozenClock
from core.ratelimit import MemoryRateLimiter
from tests.imaging import jpeg

from .codes import codes_sent, sms_code

MOBILE = "13800138000"
OTHER = "13900139000"


async def report(client: httpx.AsyncClient, phone: str | None, **extra: object) -> dict:
    form = {"category": "dust", "description": "工地扬尘很大，没有洒水", "address": "城东工地", **extra}
    if phone:
        form["contact_phone"] = phone
    response = await client.post("/api/v1/reports", data=form)
    assert response.status_code == 201, response.text
    return response.json()


async def verified_token(client: httpx.AsyncClient, services: Services, phone: str) -> str:
    sent = await client.post("/api/v1/phone-codes", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    code = await sms_code(services, phone.replace(" ", "").replace("-", "").removeprefix("+86"))
    checked = await client.post("/api/v1/phone-codes/verify", json={"phone": phone, "code": code})
    assert checked.status_code == 200, checked.text
    return checked.json()["token"]


async def test_a_verified_number_sees_its_reports(client: httpx.AsyncClient, services: Services) -> None:
    mine = [await report(client, "+86 138-0013-8000"), await report(client, MOBILE)]
    await report(client, OTHER)
    await report(client, MOBILE, anonymous="true")  # anonymous: no number kept, not listed
    assert (await client.get("/api/v1/my/reports")).status_code == 401

    token = await verified_token(client, services, "138 0013 8000")
    listed = await client.get("/api/v1/my/reports", headers={"X-Phone-Token": token})
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["phone"] == "138****8000"
    assert [r["tracking_number"] for r in body["reports"]] == [m["tracking_number"] for m in reversed(mine)]
    first = body["reports"][0]
    assert first["status"] == "submitted" and first["status_label"]
    assert first["status_url"] == f"http://testserver/my-reports/{first['tracking_number']}"
    one = await client.get(first["api_url"].removeprefix("http://testserver"), headers={"X-Phone-Token": token})
    assert one.status_code == 200 and one.json()["tracking_number"] == first["tracking_number"]
    # someone else's report is not found through this number
    others = await client.get("/api/v1/my/reports/2026-000003", headers={"X-Phone-Token": token})
    assert others.status_code == 404
    # a proof for another purpose, a tampered one and an expired one are refused
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]
    assert (await client.get("/api/v1/my/reports", headers={"X-Phone-Token": tampered})).status_code == 401
    services.clock.advance(timedelta(minutes=31))  # type: ignore[attr-defined]
    expired = await client.get("/api/v1/my/reports", headers={"X-Phone-Token": token})
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "phone_not_verified"


async def test_a_verified_number_reads_its_reports_photos(client: httpx.AsyncClient, services: Services) -> None:
    photo = jpeg(gps=(30.2741, 120.1551))
    assert b"Exif" in photo  # what the public copy must not carry
    files = [("photos", ("site.jpg", photo, "image/jpeg"))]
    form = {"category": "dust", "description": "工地扬尘很大，没有洒水", "address": "城东工地", "contact_phone": MOBILE}
    created = await client.post("/api/v1/reports", data=form, files=files)
    assert created.status_code == 201, created.text
    number = created.json()["tracking_number"]
    other = await client.post("/api/v1/reports", data={**form, "contact_phone": OTHER}, files=files)
    url = f"/api/v1/my/reports/{number}/photos/1"
    assert (await client.get(url)).status_code == 401

    token = await verified_token(client, services, MOBILE)
    got = await client.get(url, headers={"X-Phone-Token": token})
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    # the public copy, re-encoded without metadata: not the bytes sent, no GPS
    assert got.content.startswith(b"\xff\xd8") and got.content != photo and b"Exif" not in got.content
    assert (await client.get(url.replace("/1", "/2"), headers={"X-Phone-Token": token})).status_code == 404
    theirs = f"/api/v1/my/reports/{other.json()['tracking_number']}/photos/1"
    assert (await client.get(theirs, headers={"X-Phone-Token": token})).status_code == 404


async def test_the_answer_does_not_tell_whether_a_number_has_reports(client: httpx.AsyncClient,
                                                                      services: Services) -> None:
    await report(client, MOBILE)
    with_reports = await client.post("/api/v1/phone-codes", json={"phone": MOBILE})
    without = await client.post("/api/v1/phone-codes", json={"phone": OTHER})
    assert with_reports.status_code == without.status_code == 202
    assert with_reports.json() == without.json()
    assert await codes_sent(services) == 2
    token = await verified_token(client, services, OTHER)
    empty = await client.get("/api/v1/my/reports", headers={"X-Phone-Token": token})
    assert empty.status_code == 200 and empty.json()["reports"] == []


async def test_codes_are_stored_hashed(client: httpx.AsyncClient, services: Services) -> None:
    await client.post("/api/v1/phone-codes", json={"phone": MOBILE})
    code = await sms_code(services, MOBILE)
    async with services.db.session() as session:
        [row] = list(await session.scalars(select(PendingCode)))
    assert code not in row.code_hash and MOBILE not in row.phone_hash and row.attempts == 0


async def test_five_wrong_codes_lock_it(client: httpx.AsyncClient, services: Services) -> None:
    await client.post("/api/v1/phone-codes", json={"phone": MOBILE})
    code = await sms_code(services, MOBILE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    answers = [await client.post("/api/v1/phone-codes/verify", json={"phone": MOBILE, "code": wrong})
               for _ in range(5)]
    assert [a.status_code for a in answers] == [422] * 5
    assert [a.json()["error"]["code"] for a in answers] == ["code_wrong"] * 4 + ["code_locked"]
    assert "还可再试 4 次" in answers[0].json()["error"]["messages"]["zh"]
    assert "1 tries left" in answers[3].json()["error"]["messages"]["en"]
    right = await client.post("/api/v1/phone-codes/verify", json={"phone": MOBILE, "code": code})
    assert right.status_code == 422 and right.json()["error"]["code"] == "code_locked"
    # a new code works again
    assert (await verified_token(client, services, MOBILE))


async def test_codes_expire_after_ten_minutes(client: httpx.AsyncClient, services: Services) -> None:
    clock: FrozenClock = services.clock  # type: ignore[assignment]
    await client.post("/api/v1/phone-codes", json={"phone": MOBILE})
    code = await sms_code(services, MOBILE)
    clock.advance(timedelta(minutes=10))
    late = await client.post("/api/v1/phone-codes/verify", json={"phone": MOBILE, "code": code})
    assert late.status_code == 422 and late.json()["error"]["code"] == "code_expired"
    assert "过期" in late.json()["error"]["messages"]["zh"]
    # a code is used once
    await client.post("/api/v1/phone-codes", json={"phone": MOBILE})
    code = await sms_code(services, MOBILE)
    clock.advance(timedelta(minutes=9, seconds=59))
    assert (await client.post("/api/v1/phone-codes/verify", json={"phone": MOBILE, "code": code})).status_code == 200
    again = await client.post("/api/v1/phone-codes/verify", json={"phone": MOBILE, "code": code})
    assert again.status_code == 422 and again.json()["error"]["code"] == "code_none"


@pytest.mark.parametrize("body", [{"phone": "12345"}, {"phone": "0571-87654321"}, {"phone": "x" * 41},
                                  {"phone": MOBILE, "purpose": "other"}, {"phone": MOBILE, "extra": 1}])
async def test_bad_requests_are_422(client: httpx.AsyncClient, body: dict) -> None:
    response = await client.post("/api/v1/phone-codes", json=body)
    assert response.status_code == 422, response.text


async def test_bad_codes_are_422(client: httpx.AsyncClient) -> None:
    for code in ("12345", "abcdef", "1234567"):
        response = await client.post("/api/v1/phone-codes/verify", json={"phone": MOBILE, "code": code})
        assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_code"


async def test_codes_are_limited_per_number_and_per_client(client: httpx.AsyncClient, services: Services) -> None:
    services.phone_codes.limiter = MemoryRateLimiter()
    services.phone_codes.limits = type(services.phone_codes.limits)(per_number=2, per_client=3)
    codes = [(await client.post("/api/v1/phone-codes", json={"phone": MOBILE})).status_code for _ in range(2)]
    refused = await client.post("/api/v1/phone-codes", json={"phone": MOBILE})
    assert codes == [202, 202] and refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert "每个手机号" in refused.json()["error"]["messages"]["zh"]
    # the client's third try (the refused one) counted; a fourth number is refused for the address
    refused_client = await client.post("/api/v1/phone-codes", json={"phone": OTHER})
    assert refused_client.status_code == 429 and "one address" in refused_client.json()["error"]["messages"]["en"]
    assert await codes_sent(services) == 2
