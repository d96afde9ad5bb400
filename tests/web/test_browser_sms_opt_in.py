"""The SMS opt-in box on a phone (390x844): shown on the report form and the open-day registration,
refused with the reason (and kept ticked) without a mobile number, and with one the number is kept
as an SMS contact that asked to be told."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import httpx

from core.kit.bureau_time import DEFAULT_TZ as SHANGHAI
from tests.live import LiveServer
from tests.web.conftest import PHONE, assert_fits, device_context


def sms_contacts(site: LiveServer, subject: str) -> list[tuple[str, int]]:
    path = site.env["CIVICDESK_DATABASE_URL"].removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as db:
        return db.execute("SELECT address, notify FROM notify_contacts WHERE channel = 'sms' AND subject = ?",
                          (subject,)).fetchall()


def published_open_day(site: LiveServer) -> int:
    token = site.staff("smsadmin", "admin", "smsadmin password 1")
    start = (datetime.now(SHANGHAI) + timedelta(days=9)).replace(hour=9, minute=0, second=0, microsecond=0)
    headers = {"Authorization": f"Bearer {token}"}
    event = httpx.post(f"{site.url}/api/v1/staff/open-days", headers=headers, json={
        "title": "老旧小区加装电梯工地开放日", "site_name": "城北小区", "address": "城北路 6 号", "capacity": 5,
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}).json()
    assert httpx.post(f"{site.url}/api/v1/staff/open-days/{event['id']}/publish", headers=headers).status_code == 200
    return event["id"]


def test_the_sms_box_is_shown_and_works_on_a_phone(browser, site) -> None:  # noqa: ANN001
    context = device_context(browser, PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{site.url}/report")
    box = page.locator("#report-form input[name=notify_sms]")
    assert box.is_visible() and "通过短信通知我" in page.inner_text("#report-form")
    page.select_option("select[name=category]", "dust")
    page.fill("textarea[name=description]", "工地裸土没有覆盖，风一吹全是灰")
    page.fill("input[name=address]", "城关镇人民路 18 号")
    page.locator("#report-form label.check", has=page.locator("input[name=notify_sms]")).tap()  # tapping the label
    assert box.is_checked()
    page.click("#report-form button[type=submit]")
    assert "短信通知需要填写手机号码" in page.inner_text("body")
    box = page.locator("#report-form input[name=notify_sms]")
    assert box.is_checked()  # kept after the error
    assert_fits(page, "sms-opt-in-error-phone")
    page.fill("input[name=contact_phone]", "139 0013 9001")
    page.click("#report-form button[type=submit]")
    assert page.locator("#tracking-number").is_visible()
    assert ("13900139001", 1) in sms_contacts(site, "report")
    # An SMS carries no link: the number and 查询码 typed at /status lead here, where SMS can be stopped.
    number, code = page.inner_text("#tracking-number"), page.inner_text("#status-token")
    page.goto(f"{site.url}/status")
    page.fill("input[name=number]", number)
    page.fill("input[name=token]", code)
    page.click("main button[type=submit]")
    page.locator("#stop-sms").tap()
    page.locator("#sms-stopped").wait_for()
    assert page.locator("#sms-stopped").is_visible() and not page.locator("#stop-sms").count()
    assert_fits(page, "sms-stopped-status-phone")

    event_id = published_open_day(site)
    page.goto(f"{site.url}/open-days/{event_id}")
    box = page.locator("#register input[name=notify_sms]")
    assert box.is_visible()
    page.fill("#register input[name=name]", "赵六")
    page.fill("#register input[name=phone]", "+86 139-0013-9002")
    box.check()
    assert_fits(page, "sms-opt-in-registration-phone")
    page.click("#register button[type=submit]")
    assert page.locator("#check-in-code").is_visible()
    assert ("13900139002", 1) in sms_contacts(site, "registration")
    registration = page.url
    page.goto(f"{site.url}/open-days/lookup")
    assert_fits(page, "registration-lookup-phone")
    page.goto(registration)
    page.locator("#stop-sms").tap()
    page.locator("#sms-stopped").wait_for()
    assert page.locator("#sms-stopped").is_visible() and "停止" in page.inner_text("#sms-updates")
    assert_fits(page, "sms-stopped-registration-phone")
    context.close()
