"""Open311 with real GeoReport v2 clients from PyPI against a running `civicdesk serve`, on SQLite
and PostgreSQL: `georeport` reads services, definitions and requests in XML and in JSON;
civicbot's `Open311Client` files requests (georeport cannot) with a key made by
`civicdesk open311 keys add` while the server runs, and is refused at once after `revoke`. A
request filed as XML is read back through the XML client. Staff move the report through the
workflow over the staff API in between."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import requests
import xmltodict
from civicbot.http import HttpError, HttpTransport, RateLimiter
from civicbot.open311 import CONFIRM_TOKEN, Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport

from tests.live import LiveServer, served_backend
from tests.support import bearer

ENV_KEY = "configured-open311-key-0001"
PRIVATE = ("13900139000", "李四", "lisi@example.cn", "脚手架", "30.27412", "120.15513", "66号",
           "photos.example.cn")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with served_backend(request.param, tmp_path_factory.mktemp(f"open311-{request.param}"),
                        CIVICDESK_OPEN311_API_KEYS=f"other-key,{ENV_KEY}") as live:
        live.env["STAFF_TOKEN"] = live.staff("o311-admin", "admin", "open311 admin password 1")
        yield live


def _poster(server: LiveServer) -> Open311Client:
    endpoint = Endpoint(id="civicdesk", name="Civic Desk", base_url=f"{server.url}/open311/v2", write=True)
    return Open311Client(endpoint, HttpTransport(timeout=30, rate_limiter=RateLimiter(min_interval=0)))


def _transition(server: LiveServer, number: str, to: str, message: str | None = None) -> None:
    response = httpx.post(f"{server.url}/api/v1/staff/reports/{number}/transition", timeout=30,
                          headers=bearer(server.env["STAFF_TOKEN"]), json={"to": to, "public_message": message})
    assert response.status_code == 200, response.text


def _one(value: object) -> dict:
    """xmltodict gives a dict for a single element and a list for several."""
    return value[0] if isinstance(value, list) else value  # type: ignore[return-value]


@pytest.mark.slow
def test_real_clients_file_and_follow_a_request(server: LiveServer) -> None:
    added = server.cli("open311", "keys", "add", "city-12345")
    assert added.returncode == 0, added.stderr
    key = added.stdout.split()[-1]
    poster = _poster(server)

    # civicbot checks the payload against the live service list and definition before sending.
    prepared = poster.create_request(
        "safety_hazard", dry_run=False, confirm=CONFIRM_TOKEN, api_key=key, validate_remote=True,
        lat=30.27412, lng=120.15513, address_string="城关镇解放路66号", description="脚手架摇摇欲坠，下面就是人行道",
        attributes={"hazard_kind": ["scaffolding", "edges"], "immediate_danger": "yes"}, first_name="四",
        last_name="李", phone="13900139000", email="lisi@example.cn", media_url="https://photos.example.cn/1.jpg")
    [created] = prepared.response
    number, token = created["service_request_id"], created["token"]
    assert poster.get_token(token) == [{"service_request_id": number, "token": token}]

    json_client, xml_client = (GeoReport(f"{server.url}/open311/v2", output_format=f) for f in ("json", "xml"))
    for client in (json_client, xml_client):
        services = {s["service_code"]: s for s in client.get_service_list()}
        assert services["safety_hazard"]["group"] == "安全与质量"
        definition = client.get_service_definition("safety_hazard")
        attributes = definition["attributes"]
        attributes = attributes["attribute"] if isinstance(attributes, dict) else attributes  # XML nesting
        assert [a["code"] for a in attributes] == ["hazard_kind", "immediate_danger"]
        one = client.get_service_request(number)
        listed = _one(client.get_service_requests(service_request_id=number))
        for row in (one, listed):
            assert row["service_request_id"] == number and row["status"] == "open"
            assert row["address"] == "城关镇解放路" and float(row["lat"]) == 30.275
            assert row["agency_responsible"] == "县住建局质量安全监督站"
            assert row["expected_datetime"].endswith("+08:00")
            text = str(row)
            assert not [p for p in (*PRIVATE, token) if p in text]

    _transition(server, number, "accepted", "已受理，质量安全监督站将派员检查")
    for client in (json_client, xml_client):
        row = client.get_service_request(number)
        assert row["status"] == "open" and row["status_notes"] == "已受理，质量安全监督站将派员检查"
    for to in ("assigned", "in_progress"):
        _transition(server, number, to)
    _transition(server, number, "resolved", "已责令加固脚手架并设置防护")
    for client in (json_client, xml_client):
        row = _one(client.get_service_requests(status="closed", service_code="safety_hazard"))
        assert row["service_request_id"] == number and row["status"] == "closed"
        assert row["status_notes"] == "已责令加固脚手架并设置防护" and not row["expected_datetime"]
    assert json_client.get_service_requests(status="open") == []

    # Filed as XML by hand (the form the spec shows), read back by the XML client.
    response = requests.post(f"{server.url}/open311/v2/requests.xml", timeout=30, data={
        "api_key": ENV_KEY, "service_code": "dust", "address_string": "城关镇人民路", "description": "渣土车不盖篷布，一路扬尘"})
    assert response.status_code == 201 and response.headers["content-type"].startswith("text/xml")
    xml_number = xmltodict.parse(response.content)["service_requests"]["request"]["service_request_id"]
    assert xml_client.get_service_request(xml_number)["service_code"] == "dust"

    # Errors reach the clients as HTTP errors with the spec's list.
    with pytest.raises(requests.HTTPError) as missing:
        xml_client.get_service_definition("volcano")
    assert missing.value.response.status_code == 404
    assert xmltodict.parse(missing.value.response.content)["errors"]["error"]["code"] == "404"
    revoked = server.cli("open311", "keys", "revoke", "city-12345")
    assert revoked.returncode == 0, revoked.stderr
    listing = server.cli("open311", "keys", "list").stdout
    assert "city-12345" in listing and "revoked" in listing and key not in listing
    with pytest.raises(HttpError) as refused:
        poster.create_request("dust", dry_run=False, confirm=CONFIRM_TOKEN, api_key=key,
                              address_string="城关镇人民路", description="又有渣土车不盖篷布")
    assert refused.value.status == 403
