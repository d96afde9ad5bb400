"""Department-scoped accounts over the API: a scoped triager cannot read, list, export or change
another department's report (it is a 404, as if it did not exist), and transfers (转办)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from civicdesk.container import Services
from complaints.schemas import Channel, ReportInput
from core.outbox import OutboxMessage
from tests.support import bearer

WAGES = "县人力资源和社会保障局"  # the default department of 拖欠农民工工资
ENFORCEMENT = "县住建局执法大队"  # of 施工扬尘 and 夜间施工噪声


async def submit(services: Services, category: str, text: str) -> str:
    data = ReportInput(category=category, description=text, address="城北工地", channel=Channel.WEB)
    return (await services.complaints.submit(data)).tracking_number


@pytest.fixture
async def scoped(services: Services) -> dict[str, str]:
    """A wages triager, an enforcement viewer and a whole-bureau triager, with their API tokens."""
    tokens = {}
    for name, role, departments in (("wages", "triager", [WAGES]), ("enforce", "viewer", [ENFORCEMENT]),
                                    ("bureau", "triager", [])):
        account = await services.accounts.create(name, role, password="correct horse battery",
                                                 departments=departments)
        tokens[name] = account.token
    return tokens


async def test_scoped_triager_sees_only_its_departments(client: httpx.AsyncClient, services: Services,
                                                        scoped: dict[str, str]) -> None:
    wages = await submit(services, "unpaid_wages", "包工头拖欠十二名工人三个月工资")
    dust = await submit(services, "dust", "渣土车没有覆盖，沿路撒落")
    me = (await client.get("/api/v1/staff/me", headers=bearer(scoped["wages"]))).json()
    assert me["departments"] == [WAGES]

    listed = (await client.get("/api/v1/staff/reports", headers=bearer(scoped["wages"]))).json()
    assert [r["tracking_number"] for r in listed["items"]] == [wages] and listed["total"] == 1
    # Asking for the other department by filter still shows nothing of it.
    other = (await client.get("/api/v1/staff/reports", params={"department": ENFORCEMENT},
                              headers=bearer(scoped["wages"]))).json()
    assert other["total"] == 0

    hidden = await client.get(f"/api/v1/staff/reports/{dust}", headers=bearer(scoped["wages"]))
    missing = await client.get("/api/v1/staff/reports/2026-999999", headers=bearer(scoped["wages"]))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "report_not_found"

    for method, path, body in (
        ("PATCH", f"/api/v1/staff/reports/{dust}", {"priority": "high"}),
        ("POST", f"/api/v1/staff/reports/{dust}/transition", {"to": "accepted"}),
        ("POST", f"/api/v1/staff/reports/{dust}/notes", {"text": "看一下"}),
        ("POST", f"/api/v1/staff/reports/{dust}/extend", {"days": 5, "reason": "需要现场核查"}),
        ("POST", f"/api/v1/staff/reports/{dust}/transfer", {"department": WAGES, "reason": "涉及工资"}),
        ("POST", f"/api/v1/staff/reports/{wages}/merge", {"into": dust}),
        ("GET", f"/api/v1/staff/reports/{dust}/photos/1", None),
    ):
        response = await client.request(method, path, json=body, headers=bearer(scoped["wages"]))
        assert response.status_code == 404, (method, path, response.text)
    untouched = await services.complaints.detail(dust)
    assert untouched.priority == "normal" and untouched.status == "submitted" and len(untouched.events) == 1

    # Its own department's report it works on as usual; the whole bureau sees both.
    ok = await client.patch(f"/api/v1/staff/reports/{wages}", json={"priority": "high"},
                            headers=bearer(scoped["wages"]))
    assert ok.status_code == 200 and ok.json()["priority"] == "high"
    everything = (await client.get("/api/v1/staff/reports", headers=bearer(scoped["bureau"]))).json()
    assert everything["total"] == 2
    overdue = await client.get("/api/v1/staff/reports/overdue", headers=bearer(scoped["enforce"]))
    assert overdue.status_code == 200


async def test_scoped_dashboard_and_csv_count_only_their_reports(client: httpx.AsyncClient, services: Services,
                                                                  scoped: dict[str, str]) -> None:
    from tests.web.test_console import form

    await submit(services, "unpaid_wages", "包工头拖欠十二名工人三个月工资")
    await submit(services, "dust", "渣土车没有覆盖，沿路撒落")
    await submit(services, "night_noise", "凌晨两点还在浇筑混凝土")
    await client.get("/staff/login")
    signed = await client.post("/staff/login", data=form(client, username="enforce",
                                                         password="correct horse battery", next="/staff"))
    assert signed.status_code == 303
    board = await services.complaints.dashboard((await services.accounts.by_token(scoped["enforce"])).scope)
    assert board.total == 2 and board.by_department == {ENFORCEMENT: 2}
    page = await client.get("/staff")
    assert WAGES not in page.text and "拖欠农民工工资" not in page.text
    exported = (await client.get("/staff/reports.csv")).content.decode("utf-8")
    assert exported.count("\n") == 3 and "包工头" not in exported
    listing = await client.get("/staff/reports")
    assert "包工头" not in listing.text and "只能看到以下部门的举报" in listing.text
    wages_number = (await services.complaints.search(_wages_filter())).items[0].tracking_number
    assert (await client.get(f"/staff/reports/{wages_number}")).status_code == 404


def _wages_filter():  # noqa: ANN202
    from complaints.schemas import ReportFilters

    return ReportFilters(department=WAGES)


async def test_transfer_needs_a_reason_is_audited_and_tells_the_receiving_department(
        client: httpx.AsyncClient, services: Services, scoped: dict[str, str], staff_tokens: dict[str, str]) -> None:
    number = await submit(services, "dust", "渣土车没有覆盖，沿路撒落，而且工人说被拖欠工资")
    departments = {d.name: d for d in await services.departments.list()}
    await services.departments.update(departments[WAGES].id, telegram_chat_id="-100200300")
    enforce_triager = (await services.accounts.create("enforce2", "triager", password="correct horse battery",
                                                      departments=[ENFORCEMENT])).token
    no_reason = await client.post(f"/api/v1/staff/reports/{number}/transfer", json={"department": WAGES, "reason": ""},
                                  headers=bearer(enforce_triager))
    assert no_reason.status_code == 422
    unknown = await client.post(f"/api/v1/staff/reports/{number}/transfer",
                                json={"department": "县不存在局", "reason": "试试"}, headers=bearer(enforce_triager))
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_department"
    # Moving it out of one's departments by PATCH is refused: that is a transfer, with a reason.
    patched = await client.patch(f"/api/v1/staff/reports/{number}", json={"department": WAGES},
                                 headers=bearer(enforce_triager))
    assert patched.status_code == 403 and patched.json()["error"]["code"] == "transfer_required"

    moved = await client.post(f"/api/v1/staff/reports/{number}/transfer",
                              json={"department": " 县人力资源和社会保障局 ", "reason": "主要是欠薪问题"},
                              headers=bearer(enforce_triager))
    assert moved.status_code == 200 and moved.json()["department"] == WAGES
    event = moved.json()["events"][-1]
    assert (event["kind"], event["actor"], event["from_value"], event["to_value"], event["note"]) == (
        "transfer", "enforce2", ENFORCEMENT, WAGES, "主要是欠薪问题")
    assert (await client.get(f"/api/v1/staff/reports/{number}", headers=bearer(enforce_triager))).status_code == 404
    assert (await client.get(f"/api/v1/staff/reports/{number}", headers=bearer(scoped["wages"]))).status_code == 200
    async with services.db.session() as session:
        alert = (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "staff_alert"))).one()
    assert alert.channel == "telegram" and alert.recipient == "-100200300"
    assert alert.payload["alert"] == "transfer" and alert.payload["tracking_number"] == number
    # The reporter is not told about internal routing.
    assert "主要是欠薪问题" not in str((await client.get(f"/api/v1/reports/{number}")).json())


async def test_admins_manage_departments_and_category_routing(client: httpx.AsyncClient, services: Services,
                                                              staff_tokens: dict[str, str]) -> None:
    admin, viewer = bearer(staff_tokens["admin"]), bearer(staff_tokens["viewer"])
    created = await client.post("/api/v1/staff/departments", json={"name": "县  人社局", "contact": "0571-1234"},
                                headers=admin)
    assert created.status_code == 201 and created.json()["name"] == "县 人社局"
    variant = await client.post("/api/v1/staff/departments", json={"name": "县人社局"}, headers=admin)
    assert variant.status_code == 409
    refused = await client.post("/api/v1/staff/departments", json={"name": "县审计局"}, headers=viewer)
    assert refused.status_code == 403
    bad_chat = await client.patch(f"/api/v1/staff/departments/{created.json()['id']}",
                                  json={"telegram_chat_id": "my group"}, headers=admin)
    assert bad_chat.status_code == 422
    routed = await client.put("/api/v1/staff/categories/dust/department", json={"department": "县人社局"},
                              headers=admin)
    assert routed.status_code == 200 and routed.json()["default_department"] == "县 人社局"
    number = await submit(services, "dust", "渣土车没有覆盖，沿路撒落")
    assert (await services.complaints.detail(number)).department == "县 人社局"
    # Deactivated: no new routing to it.
    await client.patch(f"/api/v1/staff/departments/{created.json()['id']}", json={"active": False}, headers=admin)
    again = await client.patch(f"/api/v1/staff/reports/{number}", json={"department": "县人社局"},
                               headers=bearer(staff_tokens["triager"]))
    assert again.status_code == 200  # unchanged department: nothing to refuse
    other = await submit(services, "night_noise", "凌晨两点还在浇筑混凝土")
    refused_route = await client.patch(f"/api/v1/staff/reports/{other}", json={"department": "县人社局"},
                                       headers=bearer(staff_tokens["triager"]))
    assert refused_route.status_code == 422 and refused_route.json()["error"]["code"] == "unknown_department"
    listed = (await client.get("/api/v1/staff/departments", headers=viewer)).json()
    assert {"县 人社局", WAGES, ENFORCEMENT} <= {d["name"] for d in listed}
