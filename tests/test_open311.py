"""Open311 GeoReport v2 in process (httpx over ASGI), on SQLite and PostgreSQL: services and their
definitions, filing with a key (channel open311, into triage, contact kept for staff), the
status mapping through the workflow, filters and the 90-day window, merged duplicates, and every
error as the spec's list (400/403/404, never a 500). The real clients are in test_open311_live.py."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from civicdesk.container import Services
from complaints.schemas import ReportFilters
from core.clock import FrozenClock
from tests import imaging

BASE = "/open311/v2"
SECRET_BITS = ("13800138000", "张三", "zhangsan@example.cn", "晚上十一点还在打桩", "30.27412", "120.15513",
               "88号", "photos.example.cn")
NO_ATTRIBUTES: dict[str, Any] = {"attribute[happening_now]": None, "attribute[noise_source]": None}


def _rows(response: httpx.Response, fmt: str) -> list[dict[str, Any]]:
    """The answer's items as dicts, from either format (XML: one level of elements)."""
    if fmt == "json":
        return response.json()
    assert response.headers["content-type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)
    return [{child.tag: child.text for child in item} for item in root]


def _error(response: httpx.Response, status: int, fmt: str = "json") -> str:
    assert response.status_code == status, response.text
    rows = _rows(response, fmt)
    assert len(rows) == 1 and int(rows[0]["code"]) == status
    return rows[0]["description"]


@pytest.fixture
async def key(services: Services) -> str:
    return (await services.client_keys.add("12345平台")).key


async def _file(client: httpx.AsyncClient, key: str, fmt: str = "json", **fields: Any) -> httpx.Response:
    data = {"api_key": key, "service_code": "night_noise", "lat": "30.27412", "long": "120.15513",
            "address_string": "城关镇人民路88号", "description": "晚上十一点还在打桩，吵得睡不着",
            "attribute[happening_now]": "yes", "attribute[noise_source]": "piling", "first_name": "三",
            "last_name": "张", "phone": "13800138000", "email": "zhangsan@example.cn",
            "media_url": "https://photos.example.cn/a.jpg", **fields}
    return await client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in data.items() if v is not None})


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_services_come_from_the_categories(client: httpx.AsyncClient, services: Services, fmt: str) -> None:
    response = await client.get(f"{BASE}/services.{fmt}")
    assert response.status_code == 200
    rows = {r["service_code"]: r for r in _rows(response, fmt)}
    assert list(rows) == [c.code for c in await services.complaints.categories()]
    noise = rows["night_noise"]
    assert noise["service_name"] == "夜间施工噪声" and noise["group"] == "工地环境" and "噪声" in noise["keywords"]
    assert str(noise["metadata"]).lower() == "true" and str(rows["quality"]["metadata"]).lower() == "false"
    assert noise["type"] == "realtime"
    english = _rows(await client.get(f"{BASE}/services.{fmt}?lang=en"), fmt)
    assert {r["service_code"]: r["service_name"] for r in english}["dust"] == "Construction dust"

    definition = await client.get(f"{BASE}/services/safety_hazard.{fmt}")
    assert definition.status_code == 200
    if fmt == "json":
        attributes = definition.json()["attributes"]
        assert [a["code"] for a in attributes] == ["hazard_kind", "immediate_danger"]
        assert attributes[0]["datatype"] == "multivaluelist" and attributes[0]["required"] is True
        assert {"key": "crane", "name": "塔吊/起重机械"} in attributes[0]["values"]
    else:
        root = ElementTree.fromstring(definition.content)
        assert root.tag == "service_definition" and root.findtext("service_code") == "safety_hazard"
        assert [a.findtext("code") for a in root.iter("attribute")] == ["hazard_kind", "immediate_danger"]
        assert "crane" in [v.findtext("key") for v in root.iter("value")]


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_a_filed_request_enters_triage_and_its_contact_stays_private(
    client: httpx.AsyncClient, services: Services, key: str, fmt: str
) -> None:
    created = await _file(client, key, fmt)
    assert created.status_code == 201, created.text
    row = _rows(created, fmt)[0]
    number, token = row["service_request_id"], row["token"]
    assert "2026-03-25 10:00" in row["service_notice"]  # acceptance decided within 15 days

    staff = await services.complaints.detail(number)
    assert staff.channel == "open311" and staff.status == "submitted"
    assert staff.reporter.name == "张三" and staff.reporter.phone == "13800138000"
    assert "现在是否正在施工：是" in staff.description and "噪声来源：打桩" in staff.description
    note = next(e.note for e in staff.events if e.kind == "note")
    assert "12345平台" in note and "zhangsan@example.cn" in note and "https://photos.example.cn/a.jpg" in note
    triage = await services.complaints.search(ReportFilters(status=["submitted"]))
    assert number in [r.tracking_number for r in triage.items]

    for url in (f"{BASE}/requests/{number}.{fmt}", f"{BASE}/requests.{fmt}",
                f"{BASE}/requests.{fmt}?service_request_id={number}"):
        response = await client.get(url)
        assert response.status_code == 200
        for secret in (*SECRET_BITS, token):
            assert secret not in response.text, (url, secret)
        public = _rows(response, fmt)[0]
        assert public["service_request_id"] == number and public["status"] == "open"
        assert public["address"] == "城关镇人民路" and float(public["lat"]) == 30.275 and float(public["long"]) == 120.155
        assert public["requested_datetime"] == "2026-03-10T10:00:00+08:00"
        assert public["expected_datetime"] == "2026-03-25T10:00:00+08:00"
        assert public["agency_responsible"] == "县住建局执法大队"
    by_token = await client.get(f"{BASE}/tokens/{token}.{fmt}")
    assert _rows(by_token, fmt) == [{"service_request_id": number, "token": token}]
    # The token is also the report's status token: the client follows it like any reporter.
    assert (await client.get(f"/api/v1/reports/{number}", params={"token": token})).status_code == 200


async def test_status_follows_the_workflow(client: httpx.AsyncClient, services: Services, clock: FrozenClock,
                                          key: str) -> None:
    number = (await _file(client, key)).json()[0]["service_request_id"]

    async def public() -> dict[str, Any]:
        return (await client.get(f"{BASE}/requests/{number}.json")).json()[0]

    complaints = services.complaints
    clock.advance(timedelta(days=1))
    await complaints.transition(number, "triager1", "accepted", note="内部：去过现场", public_message="已受理，将派员核查")
    after = await public()
    assert after["status"] == "open" and after["status_notes"] == "已受理，将派员核查"
    assert after["expected_datetime"] == "2026-05-10T10:00:00+08:00"  # 60 days from acceptance
    assert after["updated_datetime"] == "2026-03-11T10:00:00+08:00"
    await complaints.extend_deadline(number, "triager1", 10, "需要协调夜间执法")
    assert (await public())["expected_datetime"] == "2026-05-20T10:00:00+08:00"
    await complaints.add_note(number, "triager1", "内部备注不公开", public=False)
    assert (await public())["status_notes"] == "需要协调夜间执法"
    await complaints.transition(number, "triager1", "assigned")
    await complaints.transition(number, "triager1", "in_progress")
    await complaints.transition(number, "triager1", "resolved", public_message="已责令停止夜间打桩",
                                public_outcome="责令整改，处罚款")
    done = await public()
    assert done["status"] == "closed" and done["expected_datetime"] is None
    assert done["status_notes"] == "已责令停止夜间打桩" and done["service_notice"] == "已办结"
    assert "内部" not in json.dumps(done, ensure_ascii=False)
    closed = (await client.get(f"{BASE}/requests.json", params={"status": "closed"})).json()
    assert [r["service_request_id"] for r in closed] == [number]
    assert (await client.get(f"{BASE}/requests.json", params={"status": "open"})).json() == []


async def test_filters_window_and_cap(client: httpx.AsyncClient, services: Services, clock: FrozenClock,
                                      key: str) -> None:
    old = (await _file(client, key, service_code="dust", **NO_ATTRIBUTES)).json()[0]
    clock.advance(timedelta(days=100))
    numbers = [(await _file(client, key)).json()[0]["service_request_id"] for _ in range(3)]

    async def ids(**params: Any) -> list[str]:
        response = await client.get(f"{BASE}/requests.json", params=params)
        assert response.status_code == 200, response.text
        return [r["service_request_id"] for r in response.json()]

    assert await ids() == numbers[::-1]  # newest first; the 100-day-old one is outside the default window
    assert await ids(service_request_id=f"{old['service_request_id']},{numbers[0]}") == [numbers[0],
                                                                                          old["service_request_id"]]
    assert await ids(start_date="2026-03-01", end_date="2026-03-31") == [old["service_request_id"]]
    assert await ids(start_date="2026-03-01T00:00:00Z", service_code="dust") == [old["service_request_id"]]
    assert await ids(service_code="dust") == []
    assert await ids(service_code="night_noise,dust", page_size=2) == numbers[::-1][:2]
    assert await ids(service_code="night_noise,dust", page_size=2, page=2) == numbers[:1]
    assert await ids(status="open,closed") == numbers[::-1]


async def test_a_merged_duplicate_follows_its_primary(client: httpx.AsyncClient, services: Services, key: str) -> None:
    first = (await _file(client, key)).json()[0]["service_request_id"]
    second = (await _file(client, key)).json()[0]["service_request_id"]
    await services.complaints.transition(first, "triager1", "accepted", public_message="已受理")
    await services.complaints.merge(second, first, "triager1")
    row = (await client.get(f"{BASE}/requests/{second}.json")).json()[0]
    assert row["status"] == "open" and row["status_notes"] == f"已与 {first} 合并办理。已受理"
    assert [r["service_request_id"] for r in (await client.get(f"{BASE}/requests.json")).json()] == [first]


async def test_photos_can_be_sent_with_the_request(client: httpx.AsyncClient, services: Services, key: str) -> None:
    response = await client.post(f"{BASE}/requests.json", data={
        "api_key": key, "service_code": "dust", "address_string": "城关镇人民路", "description": "工地扬尘很大没有洒水"},
        files={"media": ("site.jpg", imaging.jpeg(), "image/jpeg")})
    assert response.status_code == 201, response.text
    number = response.json()[0]["service_request_id"]
    assert (await services.complaints.detail(number)).photo_count == 1
    bad = await client.post(f"{BASE}/requests.json", data={
        "api_key": key, "service_code": "dust", "address_string": "城关镇人民路", "description": "工地扬尘很大没有洒水"},
        files={"media": ("site.jpg", b"not an image at all", "image/jpeg")})
    assert bad.status_code == 400 and bad.json()[0]["code"] == 400


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_errors_are_the_spec_list(client: httpx.AsyncClient, services: Services, key: str, fmt: str) -> None:
    assert "api_key" in _error(await _file(client, "not-a-key", fmt), 403, fmt)
    assert "api_key" in _error(await _file(client, None, fmt), 403, fmt)  # type: ignore[arg-type]
    assert "volcano" in _error(await _file(client, key, fmt, service_code="volcano"), 400, fmt)
    _error(await _file(client, key, fmt, service_code=None), 400, fmt)
    _error(await client.get(f"{BASE}/services/volcano.{fmt}"), 404, fmt)
    _error(await client.get(f"{BASE}/requests/2026-999999.{fmt}"), 404, fmt)
    _error(await client.get(f"{BASE}/tokens/{'x' * 30}.{fmt}"), 404, fmt)
    _error(await client.get(f"{BASE}/nothing-here.{fmt}"), 404, fmt)
    assert "位置" in _error(await _file(client, key, fmt, lat=None, long=None, address_string=None), 400, fmt)
    _error(await _file(client, key, fmt, long=None, address_string=None), 400, fmt)
    _error(await _file(client, key, fmt, lat="north"), 400, fmt)
    _error(await _file(client, key, fmt, lat="91"), 400, fmt)
    _error(await _file(client, key, fmt, description="晚上打桩\x00很吵很吵"), 400, fmt)
    _error(await _file(client, key, fmt, address_string="人民路\x00"), 400, fmt)
    _error(await _file(client, key, fmt, **{"attribute[happening_now]": "maybe"}), 400, fmt)
    _error(await _file(client, key, fmt, **{"attribute[happening_now]": None}), 400, fmt)
    _error(await _file(client, key, fmt, email="not an address"), 400, fmt)
    _error(await _file(client, key, fmt, media_url="file:///etc/passwd"), 400, fmt)
    _error(await _file(client, key, fmt, phone="call me"), 400, fmt)
    _error(await _file(client, key, fmt, service_code="dust", description="短", **NO_ATTRIBUTES), 400, fmt)
    for params in ({"start_date": "last week"}, {"end_date": "2026-02-30"}, {"start_date": "2026-01-01\x00"},
                   {"start_date": "2025-01-01", "end_date": "2026-01-01"}, {"status": "pending"},
                   {"service_code": "volcano"}, {"page_size": "5000"}, {"start_date": "2026-03-02",
                                                                        "end_date": "2026-03-01"}):
        _error(await client.get(f"{BASE}/requests.{fmt}", params=params), 400, fmt)
    assert "英文" not in _error(await client.get(f"{BASE}/requests.{fmt}?status=pending&lang=en"), 400, fmt)


async def test_keys_work_and_stop_at_once(client: httpx.AsyncClient, services: Services, key: str) -> None:
    assert (await _file(client, key)).status_code == 201
    [info] = await services.client_keys.list()
    assert info.name == "12345平台" and info.last_used_at is not None and key.startswith(info.prefix)
    await services.client_keys.revoke("12345平台")
    _error(await _file(client, key), 403)
    with pytest.raises(Exception, match="exists"):
        await services.client_keys.add("12345平台")
    configured = Services(**{**services.__dict__, "client_keys": type(services.client_keys)(
        services.db, services.clock, ["env-key-1", "env-key-2"])})
    from civicdesk.app import create_app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services=configured)),
                                 base_url="http://testserver") as other:
        assert (await _file(other, "env-key-2")).status_code == 201
        _error(await _file(other, key), 403)


async def test_the_discovery_document_points_at_the_v2_endpoint(client: httpx.AsyncClient,
                                                                services: Services) -> None:
    """The spec's discovery: where the endpoint is, its formats, whom to ask for a key."""
    as_json = (await client.get("/open311/discovery.json")).json()
    endpoint = as_json["endpoints"][0]
    assert endpoint["url"] == f"{services.settings.public_base_url}/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["formats"] == ["text/xml", "application/json"] and endpoint["type"] == "production"
    assert services.settings.bureau_name in as_json["contact"] and "api_key" in as_json["key_service"]
    english = (await client.get("/open311/discovery.json", headers={"Accept-Language": "en"})).json()
    assert english["key_service"].startswith("POSTing requests needs an api_key")

    root = ElementTree.fromstring((await client.get("/open311/discovery.xml")).content)
    assert root.tag == "discovery" and root.findtext("changeset") == as_json["changeset"]
    xml_endpoint = root.find("endpoints/endpoint")
    assert xml_endpoint is not None and xml_endpoint.findtext("url") == endpoint["url"]
    assert [f.text for f in xml_endpoint.findall("formats/format")] == endpoint["formats"]
    unknown = await client.get("/open311/discovery.yaml")
    assert "'xml' or 'json'" in _error(unknown, 400, "xml")  # the spec's error list, not a 500
