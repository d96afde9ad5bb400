"""Projects and companies over the staff API, on both databases: credit codes checked, reports
linked with the 300 m suggestions, a company's record and CSV counting only the reports the
account may see, watch and black listings with their roles, reasons, expiry and audit trail."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
import pytest

from civicdesk.container import Services
from complaints.schemas import Channel, ReportInput
from core.clock import FrozenClock
from tests.support import bearer

WAGES = "县人力资源和社会保障局"  # the default department of 拖欠农民工工资
ENFORCEMENT = "县住建局执法大队"  # of 施工扬尘
SITE = (30.2741, 120.1551)
TENCENT, HUAWEI = "91440300708461136T", "914403001922038216"


async def submit(services: Services, category: str, text: str, lat: float | None = None,
                 lon: float | None = None) -> str:
    data = ReportInput(category=category, description=text, address="城北工地", lat=lat, lon=lon,
                       channel=Channel.WEB)
    return (await services.complaints.submit(data)).tracking_number


@pytest.fixture
async def tokens(services: Services, staff_tokens: dict[str, str]) -> dict[str, str]:
    wages = await services.accounts.create("wages", "triager", password="correct horse battery",
                                           departments=[WAGES])
    return {**staff_tokens, "wages": wages.token}


async def make_company(client: httpx.AsyncClient, token: str, name: str, uscc: str) -> dict:
    response = await client.post("/api/v1/staff/companies", json={"name": name, "uscc": uscc},
                                 headers=bearer(token))
    assert response.status_code == 201, response.text
    return response.json()


async def test_company_register_checks_the_credit_code(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    created = await make_company(client, tokens["triager"], "城北建设集团", " 9144 0300 7084 6113 6t")
    assert created["uscc"] == TENCENT and created["listings"] == []
    wrong = await client.post("/api/v1/staff/companies", json={"name": "假公司", "uscc": "91440300708461136U"},
                              headers=bearer(tokens["triager"]))
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "uscc_check"
    assert "校验码" in wrong.json()["error"]["message"]
    english = await client.post("/api/v1/staff/companies?lang=en", json={"name": "x", "uscc": "123"},
                                headers=bearer(tokens["triager"]))
    assert english.status_code == 422 and "name" in english.json()["error"]["message"]
    again = await client.post("/api/v1/staff/companies", json={"name": "另一家", "uscc": TENCENT},
                              headers=bearer(tokens["triager"]))
    assert again.status_code == 409 and again.json()["error"]["code"] == "uscc_taken"
    viewer = await client.post("/api/v1/staff/companies", json={"name": "华为", "uscc": HUAWEI},
                               headers=bearer(tokens["viewer"]))
    assert viewer.status_code == 403
    edited = await client.patch(f"/api/v1/staff/companies/{created['id']}", json={"contact": "0571-88886666"},
                                headers=bearer(tokens["triager"]))
    assert edited.status_code == 200 and edited.json()["contact"] == "0571-88886666"
    detail = (await client.get(f"/api/v1/staff/companies/{created['id']}", headers=bearer(tokens["viewer"]))).json()
    assert [e["kind"] for e in detail["events"]] == ["created", "contact"]
    assert (await client.get("/api/v1/staff/companies/999", headers=bearer(tokens["viewer"]))).status_code == 404


async def test_report_linked_to_a_project_counts_in_its_companies_records(
        client: httpx.AsyncClient, services: Services, tokens: dict[str, str]) -> None:
    builder = await make_company(client, tokens["triager"], "城北置业有限公司", TENCENT)
    contractor = await make_company(client, tokens["triager"], "华建施工有限公司", HUAWEI)
    project = await client.post("/api/v1/staff/projects", headers=bearer(tokens["triager"]), json={
        "name": "城北安置房二期", "address": "城北路 8 号", "lat": SITE[0], "lon": SITE[1],
        "permit_number": "330100202603100101", "builder_id": builder["id"], "contractor_id": contractor["id"]})
    assert project.status_code == 201, project.text
    project_id = project.json()["id"]
    assert project.json()["status_label"] == "在建" and project.json()["contractor"]["name"] == "华建施工有限公司"
    far = await client.post("/api/v1/staff/projects", headers=bearer(tokens["triager"]), json={
        "name": "城南学校", "lat": SITE[0] + 0.01, "lon": SITE[1]})
    assert far.status_code == 201
    duplicate_permit = await client.post("/api/v1/staff/projects", headers=bearer(tokens["triager"]), json={
        "name": "重复许可证", "permit_number": "330100202603100101"})
    assert duplicate_permit.status_code == 409
    half_point = await client.post("/api/v1/staff/projects", headers=bearer(tokens["triager"]),
                                   json={"name": "只有纬度", "lat": 30.0})
    assert half_point.status_code == 422

    wages = await submit(services, "unpaid_wages", "包工头拖欠十二名工人三个月工资", SITE[0] + 0.001, SITE[1])
    dust = await submit(services, "dust", "渣土车没有覆盖，沿路撒落", SITE[0], SITE[1] + 0.0005)
    suggested = (await client.get(f"/api/v1/staff/reports/{wages}/project", headers=bearer(tokens["viewer"]))).json()
    assert [s["project"]["name"] for s in suggested["suggestions"]] == ["城北安置房二期"]
    assert 100 < suggested["suggestions"][0]["distance_m"] < 120 and suggested["point_from"] == "report"
    for number in (wages, dust):
        linked = await client.put(f"/api/v1/staff/reports/{number}/project", json={"project_id": project_id},
                                  headers=bearer(tokens["triager"]))
        assert linked.status_code == 200 and linked.json()["project"]["id"] == project_id
    trail = (await services.complaints.detail(wages)).events
    assert trail[-1].kind == "project" and trail[-1].to_value == "城北安置房二期"
    await services.complaints.transition(dust, "triager1", "rejected", public_message="不属于本局职责")

    # The whole bureau sees both reports in the builder's record; the wages triager only its own.
    bureau = (await client.get(f"/api/v1/staff/companies/{builder['id']}", headers=bearer(tokens["viewer"]))).json()
    assert bureau["record"]["linked"] == 2 and bureau["record"]["rejected"] == 1 and bureau["record"]["open"] == 1
    assert {r["tracking_number"] for r in bureau["reports"]} == {wages, dust}
    assert bureau["projects"][0]["roles"] == ["builder"] and "上限" in bureau["record"]["definition_zh"]
    scoped = (await client.get(f"/api/v1/staff/companies/{builder['id']}", headers=bearer(tokens["wages"]))).json()
    assert [r["tracking_number"] for r in scoped["reports"]] == [wages]
    assert scoped["record"]["linked"] == 1 and scoped["record"]["rejected"] == 0
    scoped_project = (await client.get(f"/api/v1/staff/projects/{project_id}", headers=bearer(tokens["wages"]))).json()
    assert [r["tracking_number"] for r in scoped_project["reports"]] == [wages]
    # Another department's report stays a 404 for linking, unlinking and suggestions.
    for method, body in (("GET", None), ("PUT", {"project_id": project_id}), ("DELETE", None)):
        hidden = await client.request(method, f"/api/v1/staff/reports/{dust}/project", json=body,
                                      headers=bearer(tokens["wages"]))
        assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "report_not_found"

    # Overdue: the wages report passes its 15-day acceptance deadline.
    clock = services.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(timedelta(days=16))
    late = (await client.get(f"/api/v1/staff/companies/{builder['id']}", headers=bearer(tokens["viewer"]))).json()
    assert late["record"]["overdue"] == 1 and late["record"]["overdue_share"] == 1.0

    # CSV: Excel-safe, one row per company, scoped figures.
    exported = await client.get("/api/v1/staff/companies.csv", headers=bearer(tokens["wages"]))
    assert exported.status_code == 200 and exported.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert rows[0][:2] == ["企业名称", "统一社会信用代码"]
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["城北置业有限公司"][6] == "1" and by_name["华建施工有限公司"][6] == "1"

    unlinked = await client.delete(f"/api/v1/staff/reports/{wages}/project", headers=bearer(tokens["wages"]))
    assert unlinked.status_code == 200 and unlinked.json()["project"] is None
    assert (await services.complaints.detail(wages)).events[-1].from_value == "城北安置房二期"


async def test_watch_and_black_lists(client: httpx.AsyncClient, services: Services, tokens: dict[str, str]) -> None:
    company = await make_company(client, tokens["triager"], "城北置业有限公司", TENCENT)
    path = f"/api/v1/staff/companies/{company['id']}"
    until = (services.clock.now() + timedelta(days=30)).isoformat()
    watch = await client.post(f"{path}/listings", json={"kind": "watch", "reason": "三个月内两次扬尘举报属实",
                                                         "expires_at": until}, headers=bearer(tokens["triager"]))
    assert watch.status_code == 201 and watch.json()["active"] and watch.json()["kind_label"] == "重点关注名单"
    twice = await client.post(f"{path}/listings", json={"kind": "watch", "reason": "again", "expires_at": until},
                              headers=bearer(tokens["triager"]))
    assert twice.status_code == 409
    black_by_triager = await client.post(f"{path}/listings", json={"kind": "black", "reason": "拖欠工资",
                                                                    "expires_at": until},
                                         headers=bearer(tokens["triager"]))
    assert black_by_triager.status_code == 403
    past = await client.post(f"{path}/listings", json={"kind": "black", "reason": "拖欠工资",
                                                        "expires_at": "2020-01-01T00:00:00"},
                             headers=bearer(tokens["admin"]))
    assert past.status_code == 422 and past.json()["error"]["code"] == "expiry_in_past"
    black = await client.post(f"{path}/listings", json={"kind": "black", "reason": "恶意拖欠农民工工资",
                                                         "expires_at": "2026-12-31T23:59:00"},
                              headers=bearer(tokens["admin"]))
    assert black.status_code == 201
    listed = (await client.get("/api/v1/staff/companies", params={"listed": "black"},
                               headers=bearer(tokens["viewer"]))).json()
    assert [c["name"] for c in listed["items"]] == ["城北置业有限公司"]
    assert {x["kind"] for x in listed["items"][0]["listings"]} == {"watch", "black"}

    lift_by_triager = await client.post(f"{path}/listings/{black.json()['id']}/lift", json={"reason": "已整改"},
                                        headers=bearer(tokens["triager"]))
    assert lift_by_triager.status_code == 403
    lifted = await client.post(f"{path}/listings/{black.json()['id']}/lift", json={"reason": "已结清工资"},
                               headers=bearer(tokens["admin"]))
    assert lifted.status_code == 200 and not lifted.json()["active"] and lifted.json()["lifted_by"] == "admin1"
    again = await client.post(f"{path}/listings/{black.json()['id']}/lift", json={"reason": "x"},
                              headers=bearer(tokens["admin"]))
    assert again.status_code == 409

    # The watch listing expires: it stops showing, and stays in the history and the audit trail.
    clock = services.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(timedelta(days=30))
    detail = (await client.get(path, headers=bearer(tokens["viewer"]))).json()
    assert detail["listings"] == []
    assert [x["active"] for x in detail["listing_history"]] == [False, False]
    assert [e["kind"] for e in detail["events"]] == ["created", "listed", "listed", "lifted"]
    assert detail["events"][-1]["actor"] == "admin1" and detail["events"][-1]["note"] == "已结清工资"
    none_listed = (await client.get("/api/v1/staff/companies", params={"listed": "any"},
                                    headers=bearer(tokens["viewer"]))).json()
    assert none_listed["total"] == 0
