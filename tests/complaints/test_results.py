"""Public results (行政执法公示): the address-coarsening rule, the outcome staff publish when
resolving, the page and the JSON with their filters and monthly figures, and the proof that no
reporter data and no internal note ever appears there. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from civicdesk.container import Services
from complaints.publication import coarse_address, coarse_point
from complaints.schemas import Channel, ReportInput
from complaints.service import ChannelUser
from core.clock import FrozenClock


@pytest.mark.parametrize(("address", "coarse"), [
    ("城关镇人民路 88 号", "城关镇人民路"),
    ("浙江省杭州市西湖区文三路478号华星时代广场A座1203室", "浙江省杭州市西湖区文三路"),
    ("人民路八十八号", "人民路"),
    ("中山二路工地", "中山二路"),  # a Chinese numeral in a road's name stays
    ("文三路与学院路交叉口东北角", "文三路与学院路"),
    ("城关镇幸福小区南门", "城关镇"),  # a housing estate is finer than street level
    ("城关镇工业园区3号", "城关镇"),
    ("滨江区长河街道江南大道1000号", "滨江区长河街道江南大道"),
    ("XX县城关镇东风村5组", "XX县城关镇东风村"),
    ("解放大街（近超市）", "解放大街"),
    ("某某超市旁", ""),  # no level at all: nothing, it could be a building's name
    ("万达广场", ""),
    ("", ""),
])
def test_addresses_are_kept_to_street_level(address: str, coarse: str) -> None:
    assert coarse_address(address) == coarse


def test_points_move_to_the_centre_of_a_kilometre_cell() -> None:
    assert coarse_point(30.27412, 120.15513) == (30.275, 120.155)
    assert coarse_point(30.27999, 120.15001) == (30.275, 120.155)
    assert coarse_point(None, 120.1) is None


SECRETS = {
    "name": "欧阳秘密人",
    "phone": "13987654321",
    "description": "独一无二的举报描述文字",
    "house": "幸福小区7栋",
    "note": "内部意见绝不外传",
    "reply": "给举报人的私下答复",
    "channel_id": "987654321",
    "transfer": "转办理由保密",
}


async def _resolved(services: Services, clock: FrozenClock, category: str = "dust", outcome: str | None = None,
                    late: bool = False, telegram: bool = False) -> str:
    number = (await services.complaints.submit(ReportInput(
        category=category, description=SECRETS["description"], address=f"城关镇人民路 88 号{SECRETS['house']}",
        lat=30.27412, lon=120.15513, contact_name=SECRETS["name"], contact_phone=SECRETS["phone"],
        channel=Channel.TELEGRAM if telegram else Channel.WEB,
        reporter_channel_id=SECRETS["channel_id"] if telegram else None,
    ))).tracking_number
    c = services.complaints
    await c.transition(number, "zhang", "accepted", note=SECRETS["note"])
    await c.add_note(number, "zhang", SECRETS["note"] + "（备注）")
    await c.add_note(number, "zhang", SECRETS["reply"], public=True)
    await c.transition(number, "zhang", "assigned")
    await c.transition(number, "zhang", "in_progress")
    if late:
        clock.advance(timedelta(days=61))
    await c.transition(number, "zhang", "resolved", note=SECRETS["note"], public_message=SECRETS["reply"],
                       public_outcome=outcome)
    return number


async def test_no_reporter_data_or_internal_note_reaches_the_results(
    client: httpx.AsyncClient, services: Services, clock: FrozenClock,
) -> None:
    published = await _resolved(services, clock, outcome="已责令施工单位覆盖裸土并洒水降尘")
    other = await _resolved(services, clock, category="unpaid_wages", telegram=True)
    await services.complaints.transfer(other, "zhang", "县住建局执法大队", SECRETS["transfer"])
    await services.complaints.rate(other, ChannelUser("telegram", SECRETS["channel_id"]), "satisfied",
                                   "评价里的私人话语")
    open_one = (await services.complaints.submit(ReportInput(
        category="dust", description="还在办理中的举报，不应公开", address="某路1号", channel=Channel.WEB,
    ))).tracking_number

    api = await client.get("/api/v1/results")
    assert api.status_code == 200
    body = api.json()
    assert [case["tracking_number"] for case in body["items"]] == [other, published]
    text = json.dumps(body, ensure_ascii=False)
    pages = [text]
    for lang in ("zh", "en"):
        page = await client.get("/results", params={"lang": lang})
        assert page.status_code == 200
        pages.append(page.text)
    for content in pages:
        for what, secret in [*SECRETS.items(), ("comment", "评价里的私人话语"), ("house number", "88")]:
            assert secret not in content, what
        assert "30.27412" not in content and "120.15513" not in content
        assert open_one not in content
    case = next(c for c in body["items"] if c["tracking_number"] == published)
    assert case["area"] == "城关镇人民路" and (case["lat"], case["lon"]) == (30.275, 120.155)
    assert case["outcome"] == "已责令施工单位覆盖裸土并洒水降尘" and case["within_deadline"] is True
    assert "已责令施工单位覆盖裸土并洒水降尘" in pages[1]
    assert set(case) == {"tracking_number", "category", "department", "area", "lat", "lon", "status", "received_at",
                         "accepted_at", "resolved_at", "within_deadline", "outcome"}


async def test_staff_publish_the_outcome_when_resolving_or_after(
    client: httpx.AsyncClient, services: Services, clock: FrozenClock, staff_tokens: dict[str, str],
) -> None:
    auth = {"Authorization": f"Bearer {staff_tokens['triager']}"}
    number = (await services.complaints.submit(ReportInput(
        category="dust", description="工地裸土没有覆盖", address="城关镇人民路", channel=Channel.WEB,
    ))).tracking_number
    early = await client.post(f"/api/v1/staff/reports/{number}/transition",
                              json={"to": "accepted", "public_outcome": "太早了"}, headers=auth)
    assert early.status_code == 422 and early.json()["error"]["code"] == "not_resolved"
    assert (await services.complaints.detail(number)).status == "submitted"  # nothing half-done
    for step in ("accepted", "assigned", "in_progress"):
        assert (await client.post(f"/api/v1/staff/reports/{number}/transition", json={"to": step},
                                  headers=auth)).status_code == 200
    too_long = await client.post(f"/api/v1/staff/reports/{number}/transition",
                                 json={"to": "resolved", "public_outcome": "长" * 1001}, headers=auth)
    assert too_long.status_code == 422
    done = await client.post(f"/api/v1/staff/reports/{number}/transition",
                             json={"to": "resolved", "public_outcome": " 已整改完毕 "}, headers=auth)
    assert done.status_code == 200 and done.json()["public_outcome"] == "已整改完毕"
    fixed = await client.put(f"/api/v1/staff/reports/{number}/public-outcome", json={"text": "已覆盖裸土"}, headers=auth)
    assert fixed.json()["public_outcome"] == "已覆盖裸土"
    assert [e["kind"] for e in fixed.json()["events"]].count("public_outcome") == 2
    assert (await client.get("/api/v1/results")).json()["items"][0]["outcome"] == "已覆盖裸土"
    withdrawn = await client.put(f"/api/v1/staff/reports/{number}/public-outcome", json={"text": ""}, headers=auth)
    assert withdrawn.json()["public_outcome"] is None
    assert (await client.get("/api/v1/results")).json()["items"][0]["outcome"] is None
    viewer = {"Authorization": f"Bearer {staff_tokens['viewer']}"}
    assert (await client.put(f"/api/v1/staff/reports/{number}/public-outcome", json={"text": "x"},
                             headers=viewer)).status_code == 403


async def test_monthly_figures_and_filters(client: httpx.AsyncClient, services: Services, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 2, 10, 2, 0, tzinfo=UTC))
    february = await _resolved(services, clock, outcome="二月办结")  # received, accepted, resolved in Feb
    await services.complaints.rate(february, (await _token(services, february)), "basically_satisfied")
    clock.set(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    late = await _resolved(services, clock, category="unpaid_wages", late=True)  # resolved in May, late
    clock.set(datetime(2026, 5, 20, 2, 0, tzinfo=UTC))
    await services.complaints.submit(ReportInput(category="dust", description="五月的新举报内容", address="城北",
                                                 channel=Channel.WEB))
    body = (await client.get("/api/v1/results")).json()
    months = {f["month"]: f for f in body["figures"]}
    assert list(months)[-1] == "2026-05" and len(months) == 12
    assert (months["2026-02"]["received"], months["2026-02"]["accepted"], months["2026-02"]["resolved"],
            months["2026-02"]["resolved_within_deadline"]) == (1, 1, 1, 1)
    assert months["2026-02"]["satisfaction"] == {"rated": 1, "satisfied": 1, "rate": 1.0}
    assert (months["2026-03"]["received"], months["2026-03"]["accepted"], months["2026-03"]["resolved"]) == (1, 1, 0)
    assert (months["2026-05"]["received"], months["2026-05"]["resolved"], months["2026-05"]["resolved_within_deadline"]) \
        == (1, 1, 0)
    assert months["2026-04"]["satisfaction"]["rate"] is None
    # Filters: category, department, month (cases resolved that month, and only that month's figures).
    dust = (await client.get("/api/v1/results", params={"category": "dust"})).json()
    assert [c["tracking_number"] for c in dust["items"]] == [february]
    wages = (await client.get("/api/v1/results", params={"department": "县人力资源和社会保障局"})).json()
    assert [c["tracking_number"] for c in wages["items"]] == [late] and wages["items"][0]["within_deadline"] is False
    may = (await client.get("/api/v1/results", params={"month": "2026-05"})).json()
    assert [c["tracking_number"] for c in may["items"]] == [late] and [f["month"] for f in may["figures"]] == ["2026-05"]
    bad = await client.get("/api/v1/results", params={"month": "2026-13"})
    assert bad.status_code == 422 and "error" in bad.json()
    paged = (await client.get("/api/v1/results", params={"per_page": 1, "page": 2})).json()
    assert paged["total"] == 2 and [c["tracking_number"] for c in paged["items"]] == [february]
    page = await client.get("/results", params={"month": "2026-02", "category": "nonsense"})
    assert page.status_code == 200 and february in page.text and "2026-02 月度数据" in page.text
    english = await client.get("/results", params={"lang": "en"})
    assert "Results of reports handled" in english.text and "Resolved in time" in english.text


async def _token(services: Services, number: str) -> str:
    """A new status token for a web report (the test did not keep the one from submission)."""
    from sqlalchemy import update

    from complaints.models import Report
    from core.ids import token_hash

    async with services.db.write_session() as session:
        await session.execute(update(Report).where(Report.tracking_number == number)
                              .values(status_token_hash=token_hash("test-token-" + number)))
    return "test-token-" + number
