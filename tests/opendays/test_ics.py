"""The iCalendar feed and single-event files, parsed back with the icalendar library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from icalendar import Calendar

from civicdesk.container import Services
from opendays.schemas import EventFields

from .support import ENDS, STARTS, event_input, published_event


async def parse(client: httpx.AsyncClient, url: str) -> Calendar:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


async def test_feed_field_by_field(client: httpx.AsyncClient, services: Services) -> None:
    event = await published_event(services)
    await services.opendays.create(event_input(title="还没发布的草稿"), "triager1")
    no_geo = await published_event(services, title="老旧小区改造现场", site_name="幸福里小区", address="幸福路 1 号",
                                    lat=None, lon=None, starts_at=STARTS + timedelta(days=1),
                                    ends_at=ENDS + timedelta(days=1), safety_gear_provided=False)
    cal = await parse(client, "/open-days.ics")

    assert cal["VERSION"] == "2.0" and "Civic Desk" in str(cal["PRODID"])
    assert cal["METHOD"] == "PUBLISH" and cal["X-WR-TIMEZONE"] == "Asia/Shanghai"
    [timezone] = cal.walk("VTIMEZONE")
    assert timezone["TZID"] == "Asia/Shanghai"
    assert [sub.decoded("TZOFFSETTO") for sub in timezone.walk("STANDARD")] == [timedelta(hours=8)]

    vevents = {str(v["UID"]): v for v in cal.walk("VEVENT")}
    assert set(vevents) == {event.uid, no_geo.uid}  # the draft is not in the feed
    first = vevents[event.uid]
    assert str(first["SUMMARY"]) == "城南保障房项目工地开放日"
    start, end = first.decoded("DTSTART"), first.decoded("DTEND")
    assert start == STARTS and end == ENDS
    assert first["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert first["DTEND"].params["TZID"] == "Asia/Shanghai"
    assert (start.hour, start.minute) == (9, 0)
    assert str(first["LOCATION"]) == "城南保障性住房二期，城关镇南环路 88 号"
    assert (first["GEO"].latitude, first["GEO"].longitude) == (30.2741, 120.1551)
    assert str(first["URL"]) == f"http://testserver/open-days/{event.id}"  # the portal page
    assert str(first["STATUS"]) == "CONFIRMED"
    assert int(first["SEQUENCE"]) == 1
    assert first.decoded("DTSTAMP") == datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    description = str(first["DESCRIPTION"])
    for text in ("参观主体结构施工", "请携带身份证", "年满 16 周岁", "现场提供安全帽", "轮椅", "0571-8888 1234"):
        assert text in description

    second = vevents[no_geo.uid]
    assert "GEO" not in second and str(second["LOCATION"]) == "幸福里小区，幸福路 1 号"
    assert "请自备安全帽" in str(second["DESCRIPTION"])

    english = await parse(client, "/open-days.ics?lang=en")
    assert "Bring your ID card" in str(english.walk("VEVENT")[0]["DESCRIPTION"])


async def test_uids_are_stable_and_cancelled_events_show_as_cancelled(
    client: httpx.AsyncClient, services: Services
) -> None:
    event = await published_event(services)
    before = (await parse(client, "/open-days.ics")).walk("VEVENT")[0]
    await services.opendays.update(event.id, EventFields(title="城南保障房二期开放日（改期）",
                                                         starts_at=STARTS + timedelta(days=2),
                                                         ends_at=ENDS + timedelta(days=2)), "triager1")
    await services.opendays.cancel(event.id, "暴雨红色预警", "triager1")
    after = (await parse(client, "/open-days.ics")).walk("VEVENT")[0]
    assert str(after["UID"]) == str(before["UID"]) == event.uid
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert str(after["STATUS"]) == "CANCELLED"
    assert after.decoded("DTSTART") == STARTS + timedelta(days=2)
    assert "暴雨红色预警" in str(after["DESCRIPTION"])

    single = await client.get(f"/open-days/{event.id}.ics")
    assert single.headers["content-disposition"] == f'attachment; filename="openday-{event.id}.ics"'
    [only] = Calendar.from_ical(single.content).walk("VEVENT")
    assert str(only["UID"]) == event.uid and str(only["STATUS"]) == "CANCELLED"
    assert (await client.get("/open-days/999.ics")).status_code == 404


async def test_single_event_file_for_a_draft_is_not_found(client: httpx.AsyncClient, services: Services) -> None:
    draft = await services.opendays.create(event_input(), "triager1")
    response = await client.get(f"/open-days/{draft.id}.ics")
    assert response.status_code == 404 and response.json()["error"]["code"] == "event_not_found"
    empty = Calendar.from_ical((await client.get("/open-days.ics")).content)
    assert empty.walk("VEVENT") == []
