"""The open days HTTP API end to end: staff set events up, residents register on the web."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx

from civicdesk.container import Services
from core.clock import FrozenClock
from tests.support import bearer

from .support import ENDS, STARTS, event_input, telegram

STAFF = "/api/v1/staff/open-days"
PUBLIC = "/api/v1/open-days"


def event_body(**overrides: object) -> dict[str, object]:
    return event_input(**overrides).model_dump(mode="json", exclude_none=True)


async def create_published(client: httpx.AsyncClient, token: str, **overrides: object) -> dict:
    created = await client.post(STAFF, json=event_body(**overrides), headers=bearer(token))
    assert created.status_code == 201, created.text
    published = await client.post(f"{STAFF}/{created.json()['id']}/publish", headers=bearer(token))
    assert published.status_code == 200, published.text
    return published.json()


async def test_staff_publish_and_residents_see_seats(client: httpx.AsyncClient, staff_tokens: dict[str, str]) -> None:
    viewer, triager = staff_tokens["viewer"], staff_tokens["triager"]
    assert (await client.post(STAFF, json=event_body())).status_code == 401
    refused = await client.post(STAFF, json=event_body(), headers=bearer(viewer))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    bad = await client.post(STAFF, json={**event_body(), "capacity": 0, "colour": "red"}, headers=bearer(triager))
    assert bad.status_code == 422
    assert "名额" in bad.json()["error"]["message"]

    draft = (await client.post(STAFF, json=event_body(), headers=bearer(triager))).json()
    assert draft["status"] == "draft"
    assert (await client.get(f"{PUBLIC}/{draft['id']}")).status_code == 404
    assert (await client.get(PUBLIC)).json() == []
    listed = (await client.get(STAFF, params={"status": "draft"}, headers=bearer(viewer))).json()
    assert [e["id"] for e in listed] == [draft["id"]]

    edited = await client.patch(f"{STAFF}/{draft['id']}", json={"capacity": 30, "audience": "居民代表"},
                                headers=bearer(triager))
    assert edited.status_code == 200 and edited.json()["capacity"] == 30
    published = await client.post(f"{STAFF}/{draft['id']}/publish", headers=bearer(triager))
    assert published.json()["status"] == "published"

    events = (await client.get(PUBLIC)).json()
    assert [(e["id"], e["seats_left"], e["registration_open"]) for e in events] == [(draft["id"], 30, True)]
    one = (await client.get(f"{PUBLIC}/{draft['id']}", params={"lang": "en"})).json()
    assert one["status_label"] == "published" and one["starts_at"] == "2026-03-20T09:00:00+08:00"
    assert one["requirements"] == {"requires_id": True, "requires_verified_phone": False, "min_age": 16,
                                   "safety_gear_provided": True,
                                   "accessibility_notes": "工地道路不平，轮椅使用者请提前联系"}


async def test_web_registration_lifecycle(client: httpx.AsyncClient, staff_tokens: dict[str, str],
                                          services: Services, clock: FrozenClock) -> None:
    triager = staff_tokens["triager"]
    event = await create_published(client, triager, capacity=2)
    url = f"{PUBLIC}/{event['id']}/registrations"
    response = await client.post(url, json={"name": "李四", "phone": "138 0013 8000", "party_size": 2})
    assert response.status_code == 201, response.text
    mine = response.json()
    assert mine["status"] == "confirmed" and mine["phone_masked"] == "138****8000"
    assert mine["manage_url"] == f"http://testserver/open-days/registrations/{mine['id']}?token={mine['manage_token']}"
    waiting = (await client.post(url, json={"name": "王五", "phone": "13900000000"})).json()
    assert waiting["status"] == "waitlisted" and waiting["waitlist_position"] == 1
    assert (await client.get(PUBLIC, params={"available": "true"})).json() == []

    view = await client.get(f"{PUBLIC}/registrations/{mine['id']}", params={"token": mine["manage_token"]})
    assert view.status_code == 200 and "13800138000" not in view.text
    wrong = await client.get(f"{PUBLIC}/registrations/{mine['id']}", params={"token": waiting["manage_token"]})
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "registration_not_found"

    # Staff see masked phones in lists and the CSV, the full number only in the detail view.
    listed = await client.get(f"{STAFF}/{event['id']}/registrations", headers=bearer(staff_tokens["viewer"]))
    assert [r["phone_masked"] for r in listed.json()] == ["138****8000", "139****0000"]
    assert "13800138000" not in listed.text
    detail = await client.get(f"{STAFF}/{event['id']}/registrations/{mine['id']}", headers=bearer(triager))
    assert detail.json()["phone"] == "13800138000"
    exported = await client.get(f"{STAFF}/{event['id']}/registrations.csv", headers=bearer(triager))
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in exported.headers["content-disposition"]
    assert exported.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["李四", "王五"] and "13800138000" not in exported.text

    cancelled = await client.post(f"{PUBLIC}/registrations/{mine['id']}/cancel", params={"token": mine["manage_token"]})
    assert cancelled.json()["status"] == "cancelled"
    promoted = await client.get(f"{PUBLIC}/registrations/{waiting['id']}", params={"token": waiting["manage_token"]})
    assert promoted.json()["status"] == "confirmed"

    # On the day: check-in by code, minutes, then feedback through the token.
    clock.set(STARTS - timedelta(minutes=10))
    checked = await client.post(f"{STAFF}/{event['id']}/check-in", json={"code": waiting["check_in_code"]},
                                headers=bearer(triager))
    assert checked.status_code == 200 and checked.json()["status"] == "attended"
    twice = await client.post(f"{STAFF}/{event['id']}/check-in", json={"code": waiting["check_in_code"]},
                              headers=bearer(triager))
    assert twice.status_code == 409 and "已于" in twice.json()["error"]["message"]
    clock.set(ENDS + timedelta(hours=1))
    noted = await client.put(f"{STAFF}/{event['id']}/minutes", json={"text": "代表建议增设围挡喷淋。"},
                             headers=bearer(triager))
    assert noted.json()["minutes"] == "代表建议增设围挡喷淋。"
    feedback_url = f"{PUBLIC}/registrations/{waiting['id']}/feedback"
    bad = await client.post(feedback_url, params={"token": waiting["manage_token"]}, json={"rating": 9})
    assert bad.status_code == 422 and "评分" in bad.json()["error"]["message"]
    given = await client.post(feedback_url, params={"token": waiting["manage_token"]},
                              json={"rating": 5, "comment": "讲解很专业"})
    assert given.status_code == 200 and given.json()["feedback"]["rating"] == 5
    listed_feedback = (await client.get(f"{STAFF}/{event['id']}/feedback", headers=bearer(triager))).json()
    assert [(f["name"], f["rating"], f["comment"]) for f in listed_feedback] == [("王五", 5, "讲解很专业")]
    feedback_csv = await client.get(f"{STAFF}/{event['id']}/feedback.csv", headers=bearer(triager))
    assert "讲解很专业" in feedback_csv.content.decode("utf-8-sig")
    summary = (await client.get(f"{STAFF}/{event['id']}", headers=bearer(triager))).json()
    assert (summary["attended"], summary["feedback_count"], summary["average_rating"]) == (1, 1, 5.0)


async def test_refusals_are_clear(client: httpx.AsyncClient, staff_tokens: dict[str, str], clock: FrozenClock) -> None:
    triager = staff_tokens["triager"]
    event = await create_published(client, triager, registration_opens_at=STARTS - timedelta(days=3))
    url = f"{PUBLIC}/{event['id']}/registrations"
    early = await client.post(url, json={"name": "早到的人"})
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "registration_not_open"
    assert early.json()["error"]["message"] == "报名尚未开始，将于 2026-03-17 09:00 开放"

    clock.set(STARTS - timedelta(days=2))
    too_many = await client.post(url, json={"name": "大家庭", "party_size": 4}, params={"lang": "en"})
    assert too_many.status_code == 422
    assert too_many.json()["error"]["message"] == "At most 3 people per registration (you included); got 4"
    missing = await client.post(url, json={"party_size": 1})
    assert missing.status_code == 422 and missing.json()["error"]["message"] == "姓名为必填项"
    first = await client.post(url, json={"name": "李四", "phone": "13800138000"})
    assert first.status_code == 201
    twice = await client.post(url, json={"name": "李四", "phone": "+8613800138000"})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_registered"

    cancelled = await client.post(f"{STAFF}/{event['id']}/cancel", json={"reason": "大风天气，暂停开放"},
                                  headers=bearer(triager))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    closed = await client.post(url, json={"name": "晚到的人"})
    assert closed.status_code == 409 and "大风天气" in closed.json()["error"]["message"]
    public = (await client.get(f"{PUBLIC}/{event['id']}")).json()
    assert public["status"] == "cancelled" and public["cancel_reason"] == "大风天气，暂停开放"
    assert public["registration_open"] is False
    assert (await client.get(f"{PUBLIC}/999")).status_code == 404


async def test_telegram_registrations_show_up_for_staff(client: httpx.AsyncClient, staff_tokens: dict[str, str],
                                                        services: Services) -> None:
    event = await create_published(client, staff_tokens["triager"])
    await services.opendays.register(event["id"], telegram(7, name="赵六", phone="13700001234"))
    rows = (await client.get(f"{STAFF}/{event['id']}/registrations", params={"status": "confirmed"},
                             headers=bearer(staff_tokens["viewer"]))).json()
    assert [(r["name"], r["channel"], r["phone_masked"]) for r in rows] == [("赵六", "telegram", "137****1234")]
