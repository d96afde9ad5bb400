"""'My reports' on the portal: phone, SMS code, list; refusals are 4xx pages in both languages
that keep what was typed; the proof cookie is bound to the browser's CSRF cookie."""

from __future__ import annotations

import io
from datetime import timedelta

import httpx
from PIL import Image

from civicdesk.container import Services
from core.ratelimit import MemoryRateLimiter
from tests import imaging

from .codes import sms_code
from .test_my_reports_api import MOBILE, OTHER, report


def csrf_of(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


async def ask_code(client: httpx.AsyncClient, phone: str) -> httpx.Response:
    page = await client.get("/my-reports")
    return await client.post("/my-reports/code", data={"phone": phone, "csrf_token": csrf_of(page.text)})


async def test_a_citizen_sees_their_reports_after_the_code(client: httpx.AsyncClient, services: Services) -> None:
    mine = await report(client, "138-0013-8000")
    other = await report(client, OTHER)
    home = await client.get("/")
    assert 'href="/my-reports"' in home.text and "我的举报" in home.text
    assert 'href="/my-reports"' in (await client.get("/status")).text

    sent = await ask_code(client, "+86 13800138000")
    assert sent.status_code == 200 and 'id="code-sent"' in sent.text and 'value="+86 13800138000"' in sent.text
    code = await sms_code(services, MOBILE)
    verified = await client.post("/my-reports/verify",
                                 data={"phone": "+86 13800138000", "code": code, "csrf_token": csrf_of(sent.text)})
    assert verified.status_code == 303 and verified.headers["location"] == "/my-reports"
    cookie = verified.headers["set-cookie"]
    assert "cd_phone=" in cookie and "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    assert MOBILE not in cookie

    listed = await client.get("/my-reports")
    assert listed.status_code == 200 and "138****8000" in listed.text
    assert f'href="/my-reports/{mine["tracking_number"]}"' in listed.text
    assert other["tracking_number"] not in listed.text
    status = await client.get(f"/my-reports/{mine['tracking_number']}")
    assert status.status_code == 200 and 'id="by-phone"' in status.text and 'id="history"' in status.text
    assert 'id="sms-updates"' not in status.text  # stopping SMS takes the token (it said "stopped" here)
    missing = await client.get(f"/my-reports/{other['tracking_number']}")
    assert missing.status_code == 404 and other["tracking_number"] in missing.text  # named, but not shown

    # the proof is this browser's: the same cookie with another CSRF cookie opens nothing
    proof = client.cookies.get("cd_phone")
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as stranger:
        stranger.cookies.set("cd_phone", proof)
        elsewhere = await stranger.get("/my-reports")
        assert 'name="phone"' in elsewhere.text and "138****8000" not in elsewhere.text
        assert (await stranger.get(f"/my-reports/{mine['tracking_number']}")).status_code == 303

    signed_out = await client.post("/my-reports/sign-out", data={"csrf_token": csrf_of(listed.text)})
    assert signed_out.status_code == 303
    assert "138****8000" not in (await client.get("/my-reports")).text


async def verify_in_portal(client: httpx.AsyncClient, services: Services, phone: str) -> None:
    sent = await ask_code(client, phone)
    code = await sms_code(services, phone)
    verified = await client.post("/my-reports/verify",
                                 data={"phone": phone, "code": code, "csrf_token": csrf_of(sent.text)})
    assert verified.status_code == 303


async def test_the_report_page_shows_its_public_photo_copies(client: httpx.AsyncClient,
                                                             services: Services) -> None:
    async def with_photos(phone: str, *photos: tuple[str, bytes, str]) -> tuple[str, str]:
        created = await client.post("/api/v1/reports", files=[("photos", p) for p in photos], data={
            "category": "dust", "description": "工地扬尘很大，没有洒水", "address": "城东工地", "contact_phone": phone})
        assert created.status_code == 201, created.text
        return created.json()["tracking_number"], created.json()["status_token"]

    number, token = await with_photos(MOBILE, ("site.jpg", imaging.jpeg(gps=(30.27, 120.15)), "image/jpeg"),
                                      ("gate.png", imaging.png(), "image/png"))
    other, _ = await with_photos(OTHER, ("site.jpg", imaging.jpeg(), "image/jpeg"))
    page = f"/my-reports/{number}"
    assert (await client.get(f"{page}/photos/1")).status_code == 303  # not verified yet: to the phone step
    await verify_in_portal(client, services, MOBILE)

    status = await client.get(page)
    assert status.status_code == 200 and 'id="photos"' in status.text
    for n in (1, 2):  # the status page's thumbnails, each a link to the photo
        link = f'<a href="{page}/photos/{n}" target="_blank" rel="noopener"><img src="{page}/photos/{n}"'
        assert link in status.text
        photo = await client.get(f"{page}/photos/{n}")
        assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
        assert not Image.open(io.BytesIO(photo.content)).getexif()  # the public copy, not the upload
        by_token = await client.get(f"/api/v1/reports/{number}/photos/{n}", params={"token": token})
        assert photo.content == by_token.content
    assert (await client.get(f"{page}/photos/3")).status_code == 404
    assert (await client.get(f"/my-reports/{other}/photos/1")).status_code == 404  # another number's report
    assert (await client.get(f"{page}/photos/x")).status_code == 422
    # the status page by token shows the same thumbnails through the public API
    by_token_page = await client.get(f"/status/{number}", params={"token": token})
    assert f'<img src="/api/v1/reports/{number}/photos/2?token={token}"' in by_token_page.text


async def test_refusals_are_clear_4xx_pages_keeping_input(client: httpx.AsyncClient, services: Services) -> None:
    bad = await ask_code(client, "12345")
    assert bad.status_code == 422 and "手机号码" in bad.text and 'value="12345"' in bad.text

    sent = await ask_code(client, MOBILE)
    code = await sms_code(services, MOBILE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    form = {"phone": MOBILE, "code": wrong, "csrf_token": csrf_of(sent.text)}
    answers = [await client.post("/my-reports/verify", data=form) for _ in range(5)]
    assert [a.status_code for a in answers] == [422] * 5
    assert "验证码不正确，还可再试 4 次" in answers[0].text and f'value="{wrong}"' in answers[0].text
    assert "错误次数过多" in answers[4].text
    english = await client.post("/my-reports/verify?lang=en", data={**form, "code": code})
    assert english.status_code == 422 and "Too many wrong codes" in english.text

    await ask_code(client, MOBILE)
    fresh = await sms_code(services, MOBILE)
    services.clock.advance(timedelta(minutes=11))  # type: ignore[attr-defined]
    late = await client.post("/my-reports/verify?lang=zh", data={**form, "code": fresh})
    assert late.status_code == 422 and "已过期" in late.text

    services.phone_codes.limiter = MemoryRateLimiter()
    services.phone_codes.limits = type(services.phone_codes.limits)(per_number=1, per_client=10)
    assert (await ask_code(client, MOBILE)).status_code == 200
    limited = await ask_code(client, MOBILE)
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert "获取验证码过于频繁" in limited.text and f'value="{MOBILE}"' in limited.text


async def test_forms_need_the_csrf_token(client: httpx.AsyncClient) -> None:
    await client.get("/my-reports")
    assert (await client.post("/my-reports/code", data={"phone": MOBILE})).status_code == 403
    assert (await client.post("/my-reports/verify", data={"phone": MOBILE, "code": "123456"})).status_code == 403
