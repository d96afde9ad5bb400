"""A citizen on a phone (390x844) and a desktop: every portal page fits the screen, the receipt
keeps the number in view with copy and save, the map picks the place (tiles from a real tile
server on loopback, or none), the form checks photos and text before uploading."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from core.kit.bureau_time import DEFAULT_TZ as SHANGHAI
from tests import imaging
from tests.live import LiveServer, live_server, server_env
from tests.web.conftest import ARTIFACTS, LEAFLET_EN, LEAFLET_ZH, PASSWORDS, leaflet_texts
from tests.web.tiles import TileServer, tile_server

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def tiles() -> Iterator[TileServer]:
    with tile_server() as server:
        yield server


@pytest.fixture(scope="module")
def citizen_site(tmp_path_factory: pytest.TempPathFactory, tiles: TileServer) -> Iterator[LiveServer]:
    """No CIVICDESK_PUBLIC_BASE_URL: `civicdesk serve` derives it from its host and port."""
    tmp_path = tmp_path_factory.mktemp("citizen")
    env = server_env(tmp_path / "var", f"sqlite+aiosqlite:///{tmp_path}/web.db",
                     CIVICDESK_MAP_TILES_URL=tiles.url, CIVICDESK_MAP_TILES_ATTRIBUTION="© 测试瓦片",
                     CIVICDESK_BUREAU_PHONE="0571-87654321", CIVICDESK_BUREAU_ADDRESS="城关镇府前街 1 号")
    with live_server(env) as live:
        yield live


@pytest.fixture
def phone(browser, request: pytest.FixtureRequest) -> Iterator[object]:  # noqa: ANN001
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def shoot(page, name: str) -> None:  # noqa: ANN001
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def assert_fits(page, name: str) -> None:  # noqa: ANN001
    """No horizontal scroll: the document is no wider than the viewport."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]")
    assert max(widths[:2]) <= widths[2], f"{name}: {widths[:2]} wider than the {widths[2]} px screen"
    shoot(page, name)


def in_first_screen(page, selector: str) -> bool:  # noqa: ANN001
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return bool(box and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= size["width"]
                and box["y"] + box["height"] <= size["height"])


def fill_report(page, site: LiveServer, description: str, photo: Path | None = None,  # noqa: ANN001
                category: str = "night_noise") -> None:
    page.goto(f"{site.url}/report")
    page.select_option("select[name=category]", category)
    page.fill("textarea[name=description]", description)
    page.fill("input[name=address]", "城关镇人民路 18 号在建工地东门")
    if photo:
        page.set_input_files("input[name=photos]", str(photo))


def open_day(site: LiveServer) -> int:
    token = site.staff("odadmin", "admin", "odadmin password 1")
    start = (datetime.now(SHANGHAI) + timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    headers = {"Authorization": f"Bearer {token}"}
    event = httpx.post(f"{site.url}/api/v1/staff/open-days", headers=headers, json={
        "title": "城东安置房项目工地开放日（二期主体结构施工现场，含塔吊与临时用电安全讲解）",
        "site_name": "城东安置房二期", "address": "城东新区纬三路 88 号", "capacity": 10,
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
        "description": "参观路线：" + "项目部—钢筋加工区—主体结构—临时用电配电房—" * 6}).json()
    assert httpx.post(f"{site.url}/api/v1/staff/open-days/{event['id']}/publish", headers=headers).status_code == 200
    return event["id"]


def test_every_portal_page_fits_a_phone_and_a_desktop(browser, citizen_site, phone, tmp_path) -> None:  # noqa: ANN001
    site = citizen_site
    event_id = open_day(site)
    photo = tmp_path / "night.jpg"
    photo.write_bytes(imaging.jpeg(1200, 900))
    long_word = "施工噪声" * 40 + "https://example.org/" + "x" * 200  # one unbreakable run
    for viewport, suffix in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page = phone if suffix == "phone" else browser.new_context(locale="zh-CN", viewport=DESKTOP).new_page()
        for path, name in (("/", "home"), ("/ask", "ask"), ("/report", "report"), ("/status", "status-form"),
                           ("/open-days", "open-days"), (f"/open-days/{event_id}", "open-day"),
                           ("/no-such-page", "error-404"), ("/open-days/999", "error-open-day"),
                           ("/ask?q=工地夜间施工噪声扰民怎么办", "ask-answer")):
            page.goto(site.url + path)
            assert_fits(page, f"fit-{name}-{suffix}")
        # A refused form (too short) keeps its text and still fits.
        fill_report(page, site, "吵" + long_word)
        page.fill("input[name=address]", "")
        page.evaluate("document.querySelector('#report-form').noValidate = true")
        page.click("#report-form button[type=submit]")
        assert "地址为必填项" in page.inner_text(".alert.error")
        assert_fits(page, f"fit-report-refused-{suffix}")
        # The receipt: number and token in the first screen, nothing wider than the screen.
        fill_report(page, site, "夜里十二点还在打桩，" + long_word, photo)
        page.click("#report-form button[type=submit]")
        assert in_first_screen(page, "#tracking-number"), "the tracking number is off the first screen"
        assert in_first_screen(page, "#status-token"), "the token is off the first screen"
        assert in_first_screen(page, "#status-link")
        assert_fits(page, f"fit-receipt-{suffix}")
        with page.expect_navigation():  # measured on the status page, not while it loads
            page.click("#status-link")
        assert_fits(page, f"fit-status-{suffix}")
        page.goto(f"{site.url}/open-days/{event_id}")
        page.fill("#register input[name=name]", "王小明" + suffix)
        page.fill("#register input[name=phone]", "1381234567" + ("1" if suffix == "phone" else "2"))
        page.click("#register button[type=submit]")
        page.wait_for_selector("#check-in-code")
        assert_fits(page, f"fit-registration-{suffix}")
        if suffix == "desktop":
            page.context.close()


def test_receipt_copies_and_saves_with_links_to_this_server(browser, citizen_site, tmp_path) -> None:  # noqa: ANN001
    site = citizen_site
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True,
                                  permissions=["clipboard-read", "clipboard-write"], accept_downloads=True)
    page = context.new_page()
    fill_report(page, site, "凌晨两点还在浇筑混凝土，噪声很大")
    page.click("#report-form button[type=submit]")
    number = page.inner_text("#tracking-number").strip()
    token = page.inner_text("#status-token").strip()
    assert re.fullmatch(r"\d{4}-\d{6}", number)
    page.click("[data-copy='#tracking-number']")
    assert page.evaluate("navigator.clipboard.readText()") == number
    assert page.inner_text("[data-copy='#tracking-number']") == "已复制"
    page.click("[data-copy='#status-token']")
    assert page.evaluate("navigator.clipboard.readText()") == token
    page.click("#copy-link")
    link = page.evaluate("navigator.clipboard.readText()")
    # serve derived the public URL from its own address: the link leads back here.
    assert link == f"{site.url}/status/{number}?token={token}"
    with page.expect_download() as download:
        page.click("#save-receipt")
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert number in saved and token in saved and link in saved
    assert download.value.suggested_filename == f"civicdesk-{number}.txt"
    shoot(page, "receipt-copied-phone")
    # The API's links point here too (they said port 8000 before).
    api = httpx.post(f"{site.url}/api/v1/reports", data={"category": "dust", "description": "工地扬尘没有洒水",
                                                          "address": "城西路 3 号"}).json()
    assert api["status_url"].startswith(f"{site.url}/api/v1/reports/{api['tracking_number']}?token=")
    context.close()


def test_map_sets_drags_and_locates_the_point(browser, citizen_site, tiles) -> None:  # noqa: ANN001
    site = citizen_site
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True,
                                  geolocation={"latitude": 30.28, "longitude": 120.16}, permissions=["geolocation"])
    page = context.new_page()
    before = len(tiles.requests)
    fill_report(page, site, "夜间施工，电锯声音刺耳")
    page.wait_for_selector("#map .leaflet-tile-loaded")  # tiles came from the loopback tile server
    assert len(tiles.requests) > before and all(r.startswith("/tiles/") for r in tiles.requests[before:])
    assert "© 测试瓦片" in page.inner_text("#map .leaflet-control-attribution")
    assert page.inner_text("#map-status") == ""
    # A tap sets the point...
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
    lat, lon = float(page.input_value("#lat")), float(page.input_value("#lon"))
    assert lat > 30.2741 and lon > 120.1551  # up and right of the centre
    assert "已标出位置" in page.inner_text("#map-status")
    # ... dragging the marker adjusts it ...
    marker = page.locator("#map .leaflet-marker-icon").bounding_box()
    page.mouse.move(marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] - 4)
    page.mouse.down()
    page.mouse.move(marker["x"] - 60, marker["y"] + 60, steps=8)
    page.mouse.up()
    dragged = float(page.input_value("#lat")), float(page.input_value("#lon"))
    assert dragged[0] < lat and dragged[1] < lon
    # ... and "use my location" takes the device's position.
    page.click("[data-locate]")
    page.wait_for_function("() => document.getElementById('lat').value === '30.280000'")
    assert page.input_value("#lon") == "120.160000"
    shoot(page, "map-located-phone")
    page.click("#report-form button[type=submit]")
    number = page.inner_text("#tracking-number").strip()
    token = page.inner_text("#status-token").strip()
    api = httpx.get(f"{site.url}/api/v1/reports/{number}", params={"token": token}).json()
    assert (api["lat"], api["lon"]) == (30.28, 120.16)
    # The status page shows the point on the map, read-only.
    page.click("#status-link")
    page.wait_for_selector("#map .leaflet-marker-icon")
    assert page.locator("#map .leaflet-marker-draggable").count() == 0
    shoot(page, "map-status-phone")
    context.close()


def test_the_maps_leaflet_texts_are_in_the_pages_language(browser, citizen_site, phone) -> None:  # noqa: ANN001
    """Leaflet's own texts (zoom buttons, the library credit, the marker's alt) come from the page's
    catalog: Chinese by default, English once the visitor chose it, on the form and the status page."""
    site = citizen_site

    def mark(page) -> None:  # noqa: ANN001
        page.wait_for_selector("#map .leaflet-tile-loaded")
        box = page.locator("#map").bounding_box()
        page.locator("#map").click(position={"x": box["width"] / 2, "y": box["height"] / 2})  # scrolls to it

    fill_report(phone, site, "夜间施工，电锯声音刺耳")
    mark(phone)
    assert leaflet_texts(phone, "#map") == LEAFLET_ZH
    assert "Leaflet 地图库" in phone.inner_text("#map .leaflet-control-attribution")
    assert phone.get_attribute("#map .leaflet-marker-icon", "alt") == "标出的位置"
    shoot(phone, "map-texts-zh-phone")
    phone.click("a.lang")  # English, kept for the next pages by the language cookie
    phone.wait_for_url("**/report?lang=en")
    fill_report(phone, site, "Night work with a circular saw")
    mark(phone)
    assert leaflet_texts(phone, "#map") == LEAFLET_EN
    assert phone.get_attribute("#map .leaflet-marker-icon", "alt") == "The marked place"
    phone.click("#report-form button[type=submit]")
    phone.click("#status-link")
    phone.wait_for_selector("#map .leaflet-marker-icon")
    assert leaflet_texts(phone, "#map") == LEAFLET_EN
    shoot(phone, "map-texts-en-status-phone")


def test_location_denied_and_tiles_down_say_so_and_the_form_still_works(browser, citizen_site, tiles) -> None:  # noqa: ANN001
    site = citizen_site
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)  # no permission
    page = context.new_page()
    tiles.down = True
    try:
        fill_report(page, site, "渣土车夜间倾倒建筑垃圾")
        page.wait_for_function("() => document.getElementById('map-status').textContent.includes('地图暂时无法加载')")
        page.click("[data-locate]")
        page.wait_for_function("() => document.getElementById('map-status').textContent.includes('没有允许本网站使用位置')")
        shoot(page, "map-unavailable-denied-phone")
        button = page.locator("#report-form button[type=submit]")
        where = button.bounding_box()
        page.fill("#lat", "30.2")
        page.fill("#lon", "120.1")
        with page.expect_response(lambda r: "/tiles/16/" in r.url and r.status == 503):
            page.locator("#lat").focus()  # the change pans the map to zoom-16 tiles that fail again
        page.wait_for_timeout(500)  # the tile layer's error handlers run
        # The denial stays said and the form stays put: the tiles' failures once replaced it with the
        # map's message, a line shorter, and the button moved between a tap's press and release.
        assert "没有允许本网站使用位置" in page.inner_text("#map-status")
        assert button.bounding_box() == where
        button.click()
        receipt = page.wait_for_selector("#tracking-number")
        assert receipt is not None and re.fullmatch(r"\d{4}-\d{6}", receipt.inner_text().strip())
    finally:
        tiles.down = False
        context.close()


def test_gcj02_tiles_shift_the_point_for_display_only(browser, citizen_site, phone) -> None:  # noqa: ANN001
    phone.goto(f"{citizen_site.url}/report")
    # Tiananmen: WGS-84 39.908692,116.397477 is GCJ-02 39.910090,116.403719 (published reference).
    gcj = phone.evaluate("civicdeskDatum.wgsToGcj(39.908692, 116.397477)")
    assert abs(gcj[0] - 39.910090) < 2e-5 and abs(gcj[1] - 116.403719) < 2e-5
    back = phone.evaluate("civicdeskDatum.gcjToWgs(...civicdeskDatum.wgsToGcj(39.908692, 116.397477))")
    assert abs(back[0] - 39.908692) < 1e-7 and abs(back[1] - 116.397477) < 1e-7
    assert phone.evaluate("civicdeskDatum.wgsToGcj(48.85, 2.35)") == [48.85, 2.35]  # outside China: unchanged


def test_the_form_checks_photos_and_text_before_uploading(browser, citizen_site, phone, tmp_path) -> None:  # noqa: ANN001
    site = citizen_site
    big = tmp_path / "huge.jpg"
    big.write_bytes(imaging.jpeg(64, 64) + b"\0" * int(14.6 * 1024 * 1024))
    text = tmp_path / "notes.txt"
    text.write_text("not a photo")
    fill_report(phone, site, "夜间施工")
    phone.set_input_files("input[name=photos]", [str(big), str(text)])
    errors = phone.inner_text("#photos-errors")
    assert "“huge.jpg”有 14.61 MB，超过每张 10 MB 的上限" in errors
    assert "“notes.txt”不是 JPEG、PNG、WebP 或 HEIC 照片" in errors
    assert phone.evaluate("document.querySelector('#photos').validity.valid") is False
    # The live counter, and no submission past the limit.
    phone.fill("textarea[name=description]", "噪" * 5003)
    assert phone.inner_text("#description-counter") == "5003 / 5000 字"
    assert "over" in phone.get_attribute("#description-counter", "class")
    assert "不能超过 5000 个字符（现为 5003 个）" in phone.evaluate(
        "document.querySelector('#description').validationMessage")
    shoot(phone, "form-checks-phone")
    phone.set_input_files("input[name=photos]", [])
    phone.fill("textarea[name=description]", "噪" * 20)
    assert phone.evaluate("document.querySelector('#report-form').checkValidity()") is True


def test_the_server_says_the_real_size_and_the_limit(citizen_site, tmp_path) -> None:  # noqa: ANN001
    """Without the browser's checks (an old browser, a script): the server's messages are true too."""
    site = citizen_site
    with httpx.Client(base_url=site.url) as client:
        client.get("/report")
        csrf = client.cookies["cd_csrf"]
        form = {"csrf_token": csrf, "category": "dust", "address": "城西路 3 号", "description": "扬尘很大，没有洒水降尘"}
        photo = imaging.jpeg(64, 64) + b"\0" * int(14.6 * 1024 * 1024)
        refused = client.post("/report", data=form, files={"photos": ("big.jpg", photo, "image/jpeg")})
        assert refused.status_code == 422
        assert "照片“big.jpg”太大（14.61 MB）" in refused.text and "单张不超过 10 MB" in refused.text
        api = client.post("/api/v1/reports", data=form, files={"photos": ("big.jpg", photo, "image/jpeg")})
        assert api.status_code == 422 and "14.61 MB" in api.json()["error"]["message"]
        long = client.post("/report", data={**form, "description": "尘" * 5001})
        assert long.status_code == 422 and "问题描述不能超过 5000 个字符（现为 5001 个）" in long.text
        for number in ("12345", "0571-87654321", "(0571) 8765 4321", "+86 138 0013 8000", "95598"):
            ok = client.post("/report", data={**form, "contact_phone": number})
            assert ok.status_code == 201, (number, ok.text[-500:])
        bad = client.post("/report", data={**form, "contact_phone": "call me maybe"})
        assert bad.status_code == 422 and "12345 这类服务号码" in bad.text


def test_web_pages_get_html_errors_and_the_api_stays_json(browser, citizen_site, phone) -> None:  # noqa: ANN001
    site = citizen_site
    for path, lang, expected in (("/no-such-page", "zh", "找不到这个页面"), ("/no-such-page?lang=en", "en", "This page does not exist"),
                                 ("/open-days/999?lang=zh", "zh", "找不到编号为 999 的开放日活动"),
                                 ("/open-days/registrations/1?token=wrong-token-000", "zh", "找不到该报名")):
        response = phone.goto(site.url + path)
        assert response.status == 404 and response.headers["content-type"].startswith("text/html"), path
        assert expected in phone.inner_text("#error-message"), path
        assert phone.locator("a.button[href='/']").count() == 1
    response = phone.goto(f"{site.url}/open-days/registrations/abc")  # not a number: 404, the route does not match
    assert response.headers["content-type"].startswith("text/html")
    shoot(phone, "error-404-phone")
    api = httpx.get(f"{site.url}/api/v1/open-days/999")
    assert api.status_code == 404 and api.json()["error"]["code"]
    assert httpx.get(f"{site.url}/api/v1/nothing-here").json()["error"]["code"] == "http_404"
    favicon = httpx.get(f"{site.url}/favicon.ico")
    assert favicon.status_code == 200 and favicon.headers["content-type"] == "image/x-icon"
    assert favicon.content[:4] == b"\0\0\1\0"  # an ICO file
    assert phone.evaluate("document.querySelector('link[rel=icon]').href").endswith("/favicon.ico")


def test_reporter_adds_information_rates_and_asks_for_reopening(browser, citizen_site, phone, tmp_path) -> None:  # noqa: ANN001
    site = citizen_site
    token_api = site.staff("fu-triager", "triager", PASSWORDS["triager"])
    api = {"Authorization": f"Bearer {token_api}"}
    photo = tmp_path / "later.jpg"
    photo.write_bytes(imaging.jpeg(800, 600))
    fill_report(phone, site, "塔吊作业时下方没有设置警戒区", category="safety_hazard")
    phone.click("#report-form button[type=submit]")
    number = phone.inner_text("#tracking-number").strip()
    with phone.expect_navigation():
        phone.click("#status-link")
    status_url = phone.url
    # 1. Add information while it is open: text and a photo; staff are alerted.
    assert phone.locator("#rate-form").count() == 0
    phone.fill("#supplement-form textarea[name=text]", "今天下午三点又看到工人在吊物下方通行")
    phone.set_input_files("#supplement-photos", str(photo))
    phone.click("#supplement-form button[type=submit]")
    assert "补充内容已提交" in phone.inner_text("#followup-done")
    assert "今天下午三点又看到工人在吊物下方通行" in phone.inner_text("#history")
    assert "群众补充" in phone.inner_text("#history")
    assert phone.locator(".photos img").count() == 1
    assert_fits(phone, "followup-supplemented-phone")

    staff = browser.new_context(locale="zh-CN", viewport=DESKTOP).new_page()
    staff.goto(f"{site.url}/staff/login")
    staff.fill("input[name=username]", "fu-triager")
    staff.fill("input[name=password]", PASSWORDS["triager"])
    staff.click("button[type=submit]")
    staff.wait_for_url(f"{site.url}/staff")
    assert int(staff.inner_text("#attention-tile .num")) >= 1
    staff.click("#attention-tile")
    assert number in staff.inner_text("table.list") and "新补充" in staff.inner_text("table.list")
    staff.goto(f"{site.url}/staff/reports/{number}")
    assert "举报人补充了情况或照片" in staff.inner_text("#attention")
    staff.click("#mark-seen button")
    assert staff.locator("#attention").count() == 0
    for to in ("accepted", "assigned", "in_progress", "resolved"):
        moved = httpx.post(f"{site.url}/api/v1/staff/reports/{number}/transition", headers=api,
                           json={"to": to, "public_message": "已设置警戒区并约谈项目经理" if to == "resolved" else None})
        assert moved.status_code == 200, moved.text

    # 2. 回访: the reporter rates the resolution 不满意 and asks for reopening.
    phone.goto(status_url)
    assert phone.locator("#supplement-form").count() == 0
    phone.check("#rate-form input[value=dissatisfied]")
    phone.fill("#rate-form textarea[name=comment]", "警戒区只放了两天")
    phone.click("#rate-form button[type=submit]")
    assert "感谢您的评价" in phone.inner_text("#followup-done")
    assert "不满意" in phone.inner_text("#my-rating")
    phone.fill("#reopen-form textarea[name=reason]", "短")  # too short: the browser asks for more first
    assert phone.evaluate("document.querySelector('#reopen-form').checkValidity()") is False
    phone.fill("#reopen-form textarea[name=reason]", "警戒区已经撤掉，吊物下方又有人通行")
    phone.click("#reopen-form button[type=submit]")
    assert "已收到您的重新办理申请" in phone.inner_text("#followup-done")
    assert "工作人员审核后会在这里答复" in phone.inner_text("#reopen-state")
    assert_fits(phone, "followup-reopen-requested-phone")

    # 3. Staff see the request and accept it through the workflow (resolved -> reopened).
    staff.goto(f"{site.url}/staff/reports/{number}")
    assert "申请重新办理" in staff.inner_text("#attention")
    assert "警戒区已经撤掉，吊物下方又有人通行" in staff.inner_text(".timeline")
    staff.select_option("form[action$='/transition'] select[name=to]", "reopened")
    staff.fill("form[action$='/transition'] textarea[name=public_message]", "已安排执法人员明天复查")
    staff.click("form[action$='/transition'] button[type=submit]")
    assert "重新办理" in staff.inner_text("h1") and staff.locator("#attention").count() == 0
    staff.goto(f"{site.url}/staff")
    rates = staff.inner_text("#followup-categories")
    assert "施工安全隐患" in rates and "100%" in rates  # reopened 1 of 1 resolved
    shoot(staff, "followup-dashboard-desktop")
    staff.context.close()

    phone.goto(status_url)
    assert "您的申请已通过" in phone.inner_text("#followup")
    assert "已安排执法人员明天复查" in phone.inner_text("#history")
    assert phone.locator("#supplement-form").count() == 1  # open again: more information welcome
    assert_fits(phone, "followup-reopened-phone")
