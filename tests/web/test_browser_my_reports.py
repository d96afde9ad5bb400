"""'My reports' in Chromium on a phone (390x844): the number, the SMS code, the list; every step
fits the screen and the list is in view."""

from __future__ import annotations

import httpx

from tests import imaging
from tests.accounts.codes import live_sms_code
from tests.live import LiveServer
from tests.web.test_browser_citizen import assert_fits, in_first_screen, phone  # noqa: F401 - the fixture

MOBILE = "13700137000"


def test_my_reports_on_a_phone(site: LiveServer, phone) -> None:  # noqa: ANN001
    numbers = []
    two_photos = [imaging.jpeg(), imaging.jpeg(color=(60, 90, 160))]
    for description, photos in (("夜间施工噪音很大，凌晨两点还在浇筑混凝土", two_photos), ("工地扬尘严重，没有洒水降尘", [])):
        created = httpx.post(f"{site.url}/api/v1/reports", data={
            "category": "dust", "description": description, "address": "城关镇人民路 18 号在建工地东门",
            "contact_phone": "137-0013-7000"},
            files=[("photos", (f"{i}.jpg", p, "image/jpeg")) for i, p in enumerate(photos)])
        assert created.status_code == 201, created.text
        numbers.append(created.json()["tracking_number"])

    phone.goto(site.url + "/")
    phone.click("#my-reports-link")
    phone.wait_for_url(f"{site.url}/my-reports")
    assert_fits(phone, "my-reports-phone-step")
    phone.fill("input[name=phone]", "137 0013 7000")
    phone.click("#my-reports button[type=submit]")
    phone.wait_for_selector("#code-sent")
    assert_fits(phone, "my-reports-code-step")

    phone.fill("input[name=code]", "000000" if live_sms_code(site.env, MOBILE) != "000000" else "111111")
    phone.click("form[action='/my-reports/verify'] button[type=submit]")
    error = phone.inner_text("#my-reports-error")
    assert "验证码不正确" in error and phone.input_value("input[name=phone]") == "137 0013 7000"
    assert_fits(phone, "my-reports-wrong-code")

    phone.fill("input[name=code]", live_sms_code(site.env, MOBILE))
    phone.click("form[action='/my-reports/verify'] button[type=submit]")
    phone.wait_for_selector("#my-reports-list")
    text = phone.inner_text("#my-reports-list")
    assert all(n in text for n in numbers) and "137****7000" in phone.inner_text("#my-reports")
    assert in_first_screen(phone, f"a[href='/my-reports/{numbers[-1]}']")
    assert_fits(phone, "my-reports-list")

    phone.click(f"a[href='/my-reports/{numbers[0]}']")
    phone.wait_for_selector("#by-phone")
    assert numbers[0] in phone.inner_text("h1")
    # The report's photos, as on the status page: thumbnails that load, each a link to the photo.
    thumbs = phone.locator("#photos a img")
    assert thumbs.count() == 2
    phone.wait_for_function(
        "() => [...document.querySelectorAll('#photos img')].every((i) => i.complete && i.naturalWidth > 0)")
    assert phone.get_attribute("#photos a >> nth=1", "href") == f"/my-reports/{numbers[0]}/photos/2"
    assert_fits(phone, "my-reports-status")
    with phone.context.expect_page() as opened:
        thumbs.first.click()
    photo = opened.value
    photo.wait_for_load_state()
    assert photo.url == f"{site.url}/my-reports/{numbers[0]}/photos/1"
    assert photo.evaluate("() => document.images.length === 1 && document.images[0].naturalWidth") == 640
    photo.close()
    # A report without photos shows none.
    phone.goto(f"{site.url}/my-reports/{numbers[1]}")
    assert phone.locator("#photos").count() == 0
