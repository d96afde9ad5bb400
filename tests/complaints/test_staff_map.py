"""The staff map's GeoJSON (GET /api/v1/staff/reports.geojson) on both databases: the list's filters,
open reports by default, department scoping (a scoped triager never sees another department's
report, not even in the counts), reports without coordinates left out and counted, the overdue flag
from the deadline rules, and nothing of the reporter."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import httpx
import pytest

from civicdesk.container import Services
from complaints.schemas import Channel, ReportInput
from core.clock import FrozenClock
from tests.support import bearer

WAGES = "县人力资源和社会保障局"  # the default department of 拖欠农民工工资
ENFORCEMENT = "县住建局执法大队"  # of 施工扬尘 and 夜间施工噪声
URL = "/api/v1/staff/reports.geojson"


async def submit(services: Services, category: str, text: str, point: tuple[float, float] | None) -> str:
    data = ReportInput(category=category, description=text, address="城北路 8 号工地", channel=Channel.WEB,
                       lat=point[0] if point else None, lon=point[1] if point else None,
                       contact_name="王秘密", contact_phone="13800138000")
    return (await services.complaints.submit(data)).tracking_number


@pytest.fixture
async def accounts(services: Services) -> dict[str, str]:
    tokens = {}
    for name, departments in (("wages", [WAGES]), ("bureau", [])):
        tokens[name] = (await services.accounts.create(name, "triager", password="correct horse battery",
                                                       departments=departments)).token
    return tokens


@pytest.fixture
async def reports(services: Services, clock: FrozenClock) -> dict[str, str]:
    numbers = {
        "wages": await submit(services, "unpaid_wages", "包工头拖欠十二名工人三个月工资", (30.2741, 120.1551)),
        "wages_no_place": await submit(services, "unpaid_wages", "工资被拖欠半年，地址不清楚", None),
    }
    clock.advance(timedelta(days=10))
    numbers["dust"] = await submit(services, "dust", "渣土车没有覆盖，沿路撒落", (30.2800, 120.1600))
    numbers["noise_no_place"] = await submit(services, "night_noise", "凌晨两点还在浇筑混凝土", None)
    numbers["noise"] = await submit(services, "night_noise", "夜里电锯声音刺耳", (30.2700, 120.1500))
    return numbers


async def geojson(client: httpx.AsyncClient, token: str, **params: object) -> dict:
    response = await client.get(URL, params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    return response.json()


def ids(body: dict) -> set[str]:
    return {f["id"] for f in body["features"]}


async def test_points_counts_and_nothing_of_the_reporter(client: httpx.AsyncClient, services: Services,
                                                         accounts: dict[str, str], reports: dict[str, str]) -> None:
    body = await geojson(client, accounts["bureau"])
    assert body["type"] == "FeatureCollection"
    assert ids(body) == {reports["wages"], reports["dust"], reports["noise"]}
    assert (body["total"], body["shown"], body["without_place"], body["truncated"]) == (5, 3, 2, False)
    assert [f["id"] for f in body["features"]][0] == reports["noise"]  # newest first
    feature = next(f for f in body["features"] if f["id"] == reports["wages"])
    assert feature["geometry"] == {"type": "Point", "coordinates": [120.1551, 30.2741]}  # [lon, lat], exact
    props = feature["properties"]
    assert props["url"] == f"http://testserver/staff/reports/{reports['wages']}"
    assert (props["category_code"], props["category_zh"], props["status"], props["department"]) == (
        "unpaid_wages", "拖欠农民工工资", "submitted", WAGES)
    assert props["due_at"] == "2026-03-25T10:00:00+08:00" and props["overdue"] is False
    text = (await client.get(URL, headers=bearer(accounts["bureau"]))).text
    for secret in ("王秘密", "13800138000", "包工头", "渣土车", "token"):
        assert secret not in text
    assert (await client.get(URL)).status_code == 401


async def test_a_scoped_triager_sees_only_its_departments(client: httpx.AsyncClient, accounts: dict[str, str],
                                                          reports: dict[str, str]) -> None:
    mine = await geojson(client, accounts["wages"])
    assert ids(mine) == {reports["wages"]}
    assert (mine["total"], mine["without_place"]) == (2, 1)  # other departments' reports are not even counted
    for params in ({"department": ENFORCEMENT}, {"category": "dust"}, {"q": reports["dust"]},
                   {"status": ["submitted", "accepted"]}, {"overdue": "false"}):
        body = await geojson(client, accounts["wages"], **params)
        assert reports["dust"] not in ids(body) and reports["noise"] not in ids(body)
        text = (await client.get(URL, params=params, headers=bearer(accounts["wages"]))).text
        assert reports["dust"] not in text and reports["noise_no_place"] not in text


async def test_the_list_filters_apply_and_open_is_the_default(client: httpx.AsyncClient, services: Services,
                                                              accounts: dict[str, str],
                                                              reports: dict[str, str]) -> None:
    token = accounts["bureau"]
    assert ids(await geojson(client, token, category="night_noise")) == {reports["noise"]}
    assert ids(await geojson(client, token, category="施工扬尘")) == {reports["dust"]}
    assert ids(await geojson(client, token, department=WAGES)) == {reports["wages"]}
    assert ids(await geojson(client, token, q="2026-")) == ids(await geojson(client, token))
    early = await geojson(client, token, created_to="2026-03-15T00:00:00+08:00")
    assert ids(early) == {reports["wages"]} and early["without_place"] == 1
    await services.complaints.transition(reports["dust"], "bureau", "rejected", public_message="不属于本局职责")
    await services.complaints.update_triage(reports["noise"], "bureau", _priority("urgent"))
    # A decided report leaves the map of open reports; naming its status shows it again.
    assert reports["dust"] not in ids(await geojson(client, token))
    assert ids(await geojson(client, token, status="rejected")) == {reports["dust"]}
    assert ids(await geojson(client, token, status=["open", "rejected"])) == {
        reports["wages"], reports["dust"], reports["noise"]}
    assert ids(await geojson(client, token, priority="urgent")) == {reports["noise"]}
    # The list takes the same `open` and gives the same reports (with those without a place).
    listed = (await client.get("/api/v1/staff/reports", params={"status": "open"}, headers=bearer(token))).json()
    assert listed["total"] == (await geojson(client, token))["total"] == 4


async def test_overdue_follows_the_deadline_rules(client: httpx.AsyncClient, clock: FrozenClock,
                                                  accounts: dict[str, str], reports: dict[str, str]) -> None:
    token = accounts["bureau"]
    assert (await geojson(client, token))["overdue"] == 0
    clock.advance(timedelta(days=6))  # the first two are 16 days old: past the 15-day acceptance deadline
    body = await geojson(client, token)
    flags = {f["id"]: f["properties"]["overdue"] for f in body["features"]}
    assert flags == {reports["wages"]: True, reports["dust"]: False, reports["noise"]: False}
    assert body["overdue"] == 2  # with the one without a place
    late = await geojson(client, token, overdue="true")
    assert ids(late) == {reports["wages"]} and (late["total"], late["without_place"]) == (2, 1)
    assert ids(await geojson(client, token, overdue="false")) == {reports["dust"], reports["noise"]}


async def test_truncation_is_said(services: Services, reports: dict[str, str]) -> None:
    from complaints.schemas import ReportFilters

    found = await services.complaints.map_reports(ReportFilters(status=["open"]), limit=2)
    assert [p.tracking_number for p in found.points] == [reports["noise"], reports["dust"]]
    assert found.truncated and (found.total, found.without_place, found.overdue) == (5, 2, 0)
    counts = await services.complaints.map_reports(ReportFilters(status=["open"]), limit=0)
    assert counts.points == [] and (counts.total, counts.without_place) == (5, 2)


def _priority(value: str):  # noqa: ANN202
    from complaints.schemas import TriageUpdate

    return TriageUpdate(priority=value)


async def test_the_console_map_page_and_its_source_are_scoped(client: httpx.AsyncClient, services: Services,
                                                              accounts: dict[str, str],
                                                              reports: dict[str, str]) -> None:
    from tests.web.test_console import sign_in

    await sign_in(client, "wages")
    page = await client.get("/staff/map")
    assert page.status_code == 200
    assert "符合条件的举报 2 件" in page.text and "没有位置 1 件（不在地图上）" in page.text
    assert reports["wages"] in page.text and reports["wages_no_place"] in page.text  # the list under the map
    assert reports["dust"] not in page.text and reports["noise_no_place"] not in page.text
    assert 'data-source="/staff/map.geojson?status=open"' in page.text
    assert 'href="/staff/map"' in page.text  # the console navigation links the map
    shown = re.sub(r"<[^>]*>", " ", page.text)  # the words on the page, not codes in attributes
    for english in ("Overdue", "Legend", "Open the report", "submitted", "urgent", "Map"):
        assert english not in shown, english
    for english in ("Overdue", "Zoom in", "Close", "Loading"):  # the script's words (JSON in an attribute)
        assert english not in html.unescape(page.text.split("data-labels=", 1)[1].split("role=", 1)[0]), english
    source = await client.get("/staff/map.geojson", params={"status": "open"})
    assert source.headers["content-type"].startswith("application/geo+json")
    assert {f["id"] for f in source.json()["features"]} == {reports["wages"]}
    assert reports["dust"] not in source.text
    # The list's filter form: the same parameters, here "every status" and a category.
    await services.complaints.transition(reports["wages"], "bureau", "rejected", public_message="不属于本局职责")
    assert (await client.get("/staff/map.geojson")).json()["features"] == []  # open by default
    every = (await client.get("/staff/map.geojson", params={"status": "", "category": "unpaid_wages"})).json()
    assert [f["id"] for f in every["features"]] == [reports["wages"]]
    english = await client.get("/staff/map", params={"lang": "en", "status": ""})
    assert "2 reports match" in english.text and "Not accepted" in english.text and "举报地图" not in english.text
    listing = await client.get("/staff/reports", params={"status": "open"})
    assert reports["wages_no_place"] in listing.text and reports["wages"] not in listing.text
    assert 'href="/staff/map?status=open' in listing.text
