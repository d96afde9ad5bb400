"""Open-data feeds (GeoJSON and CSV) in process, on SQLite and PostgreSQL: every public report with its
coarsened place and workflow dates, filters and paging, and nothing of the reporter, the
description, photos, tokens, internal notes or the exact point."""

from __future__ import annotations

import csv
import io
import json

import httpx

from civicdesk.container import Services
from complaints.open_data import HEADER
from complaints.schemas import Channel, PhotoUpload, ReportInput
from tests import imaging

SECRETS = {"name": "李四", "phone": "13900139000", "description": "工地夜里偷偷倒渣土，车牌浙A12345",
           "note": "内部备注：施工方负责人王某", "house": "66号"}


async def _report(services: Services, category: str = "dust", *, lat: float | None = 30.27412,
                  lon: float | None = 120.15513, description: str = SECRETS["description"]) -> tuple[str, str]:
    receipt = await services.complaints.submit(ReportInput(
        category=category, description=description, address=f"城关镇人民路{SECRETS['house']}", lat=lat, lon=lon,
        contact_name=SECRETS["name"], contact_phone=SECRETS["phone"], channel=Channel.WEB,
    ), [PhotoUpload(imaging.jpeg(), "a.jpg")])
    return receipt.tracking_number, receipt.status_token


async def test_feeds_carry_public_reports_and_nothing_private(client: httpx.AsyncClient, services: Services) -> None:
    first, token = await _report(services)
    await services.complaints.transition(first, "zhang", "accepted", note=SECRETS["note"],
                                         public_message="已受理，将于三日内到场核查")
    await services.complaints.add_note(first, "zhang", SECRETS["note"] + "（二）")
    second, _ = await _report(services, "night_noise", lat=None, lon=None, description="=HYPERLINK(\"http://x\")")

    geo = await client.get("/api/v1/feeds/reports.geojson")
    assert geo.status_code == 200 and geo.headers["content-type"].startswith("application/geo+json")
    body = geo.json()
    assert body["type"] == "FeatureCollection" and body["total"] == 2
    features = {f["id"]: f for f in body["features"]}
    assert list(features) == [second, first]  # newest first
    point = features[first]
    assert point["geometry"] == {"type": "Point", "coordinates": [120.155, 30.275]}  # [lon, lat], ~1 km cell
    props = point["properties"]
    assert props["area"] == "城关镇人民路" and props["status"] == "accepted" and props["open"] == "open"
    assert props["category_code"] == "dust" and props["department"]
    assert props["status_notes"] == "已受理，将于三日内到场核查"
    assert props["received_at"].endswith("+08:00") and props["due_at"].endswith("+08:00")
    assert features[second]["geometry"] is None

    sheet = await client.get("/api/v1/feeds/reports.csv")
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    assert sheet.headers["x-total-count"] == "2"
    rows = list(csv.DictReader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == HEADER and [r["tracking_number"] for r in rows] == [second, first]
    assert rows[1]["lat"] == "30.275" and rows[1]["status_notes"] == props["status_notes"]

    for content in (json.dumps(body, ensure_ascii=False), sheet.content.decode("utf-8-sig")):
        for what, secret in [*SECRETS.items(), ("token", token), ("lat", "30.27412"), ("lon", "120.15513"),
                             ("formula from the description", "HYPERLINK"), ("photo", ".jpg")]:
            assert secret not in content, what


async def test_filters_paging_and_bad_input(client: httpx.AsyncClient, services: Services) -> None:
    numbers = [(await _report(services, "dust" if i % 2 else "night_noise"))[0] for i in range(5)]
    for number in numbers[:2]:
        await services.complaints.transition(number, "zhang", "rejected", public_message="经核查不属实")

    async def ids(**params: object) -> list[str]:
        response = await client.get("/api/v1/feeds/reports.geojson", params=params)
        assert response.status_code == 200, response.text
        return [f["id"] for f in response.json()["features"]]

    assert await ids(status="closed") == numbers[1::-1]
    assert await ids(status="open") == numbers[:1:-1]
    assert await ids(status="open,closed") == numbers[::-1]
    assert set(await ids(category="dust")) == {numbers[1], numbers[3]}
    assert await ids(per_page=2, page=2) == [numbers[2], numbers[1]]
    assert await ids(**{"from": "2026-03-11"}) == []
    assert await ids(**{"from": "2026-03-10", "to": "2026-03-10"}) == numbers[::-1]
    page = (await client.get("/api/v1/feeds/reports.geojson", params={"per_page": 2})).json()
    assert page["total"] == 5 and len(page["features"]) == 2

    for params in ({"status": "pending"}, {"from": "yesterday"}, {"per_page": 1001}, {"page": 0},
                   {"to": "2026-03-10\x00"}):
        for fmt in ("geojson", "csv"):
            response = await client.get(f"/api/v1/feeds/reports.{fmt}", params=params)
            assert response.status_code == 422, (params, response.text)
            assert response.json()["error"]
    unknown = await client.get("/api/v1/feeds/reports.csv", params={"category": "no_such"})
    assert unknown.status_code == 422 and "no_such" in unknown.text
