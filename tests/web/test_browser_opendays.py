"""Open days and policy questions in a real browser."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from icalendar import Calendar

from core.kit.bureau_time import DEFAULT_TZ as SHANGHAI
from tests.web.conftest import sign_in


def test_admin_publishes_an_open_day_and_a_citizen_registers(browser, site, page) -> None:  # noqa: ANN001
    start = (datetime.now(SHANGHAI) + timedelta(days=10)).replace(hour=9, minute=30, second=0, microsecond=0)
    sign_in(page, site.url, "admin")
    page.click("a[href='/staff/open-days']")
    page.click("a[href='/staff/open-days/new']")
    form = "#event-form"
    page.fill(f"{form} input[name=title]", "城东安置房项目工地开放日")
    page.fill(f"{form} input[name=site_name]", "城东安置房二期")
    page.fill(f"{form} input[name=address]", "城东新区纬三路 88 号")
    page.fill(f"{form} input[name=starts_at]", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill(f"{form} input[name=ends_at]", (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill(f"{form} input[name=capacity]", "2")
    page.fill(f"{form} input[name=audience]", "人大代表、政协委员、居民代表")
    page.click(f"{form} button[type=submit]")
    assert "草稿" in page.inner_text("#event-status") or "draft" in page.inner_text("#event-status").lower()
    page.click("#publish")
    event_url = page.url.split("?")[0]
    event_id = int(event_url.rsplit("/", 1)[1])
    assert "已发布" in page.inner_text("#event-status")

    citizen = page.context.browser.new_context(locale="zh-CN").new_page()
    citizen.goto(f"{site.url}/open-days")
    citizen.click(f"a[href='/open-days/{event_id}']")
    assert "剩余 2 个名额" in citizen.inner_text("#seats")
    citizen.fill("#register input[name=name]", "王小明")
    citizen.fill("#register input[name=phone]", "13812345678")
    citizen.select_option("#register select[name=party_size]", "2")
    citizen.click("#register button[type=submit]")
    code = citizen.inner_text("#check-in-code").strip()
    assert "已确认" in citizen.inner_text("#reg-status") or "confirmed" in citizen.inner_text("#reg-status")
    assert len(code) >= 4
    manage_url = citizen.url

    # The event is now full; the staff page shows the registration with the phone masked.
    page.goto(event_url)
    table = page.inner_text("#registrations")
    assert "王小明" in table and "13812345678" not in table and code in table
    # Check-in opens on the day (2 hours before the start): ten days early it is refused, clearly.
    page.fill("form[action$='/check-in'] input[name=code]", code)
    page.click("form[action$='/check-in'] button[type=submit]")
    assert "签到于" in page.inner_text(".alert.error")
    assert "已确认" in page.inner_text("#registrations")

    # The calendar feed carries the event.
    feed = Calendar.from_ical(httpx.get(f"{site.url}/open-days.ics").content)
    titles = [str(c.get("summary")) for c in feed.walk("VEVENT")]
    assert "城东安置房项目工地开放日" in titles
    citizen.goto(manage_url)
    citizen.context.close()


def test_citizen_asks_a_policy_question(browser, site, page) -> None:  # noqa: ANN001
    page.goto(f"{site.url}/")
    page.click("a.action[href='/ask']")
    page.fill("#ask-form textarea[name=q]", "工资被拖欠了该去哪里投诉？")
    page.click("#ask-form button[type=submit]")
    answer = page.inner_text("#answer")
    assert "《" in answer and "》" in answer  # quoted with a citation
    page.click("#answer button[value=true]")
    assert page.locator("#answer button[value=true]").count() == 0  # vote recorded once

    page.fill("#ask-form textarea[name=q]", "火车票怎么改签？")
    page.click("#ask-form button[type=submit]")
    assert "没有找到可靠的依据" in page.inner_text("#answer")
