"""Whole scenarios in a real browser: a citizen, a triager, a viewer; and the security rules."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests import imaging
from tests.live import LiveServer
from tests.web.conftest import sign_in

XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">'


def citizen_submits(page, site: LiveServer, tmp_path: Path, description: str) -> tuple[str, str]:  # noqa: ANN001
    photo = tmp_path / "site.jpg"
    photo.write_bytes(imaging.jpeg(800, 600, gps=(30.27, 120.15)))
    page.goto(f"{site.url}/")
    page.click("a.action[href='/report']")
    page.select_option("select[name=category]", "dust")
    page.fill("textarea[name=description]", description)
    page.fill("input[name=address]", "城关镇人民路 18 号在建工地")
    page.fill("input[name=lat]", "30.2741")
    page.fill("input[name=lon]", "120.1551")
    page.set_input_files("input[name=photos]", str(photo))
    page.click("#report-form button[type=submit]")
    number = page.inner_text("#tracking-number").strip()
    token = page.inner_text("#status-token").strip()
    assert re.fullmatch(r"\d{4}-\d{6}", number)
    return number, token


def test_citizen_reports_with_a_photo_and_opens_the_status_page(browser, site, page, tmp_path) -> None:  # noqa: ANN001
    number, _ = citizen_submits(page, site, tmp_path, "工地夜间未覆盖裸土，扬尘很大，附近居民窗户全是灰")
    page.click("#status-link")
    assert page.inner_text("h1").startswith(number)
    assert "已提交，待受理" in page.inner_text("#status")
    # The photo on the status page is the public copy and it loads.
    page.wait_for_function("() => { const img = document.querySelector('.photos img');"
                           " return img && img.complete && img.naturalWidth > 0; }")
    assert page.eval_on_selector(".photos img", "img => img.naturalWidth") == 800


def test_triager_accepts_with_a_message_the_reporter_then_reads(browser, site, page, tmp_path) -> None:  # noqa: ANN001
    number, token = citizen_submits(page, site, tmp_path, "塔吊下方没有安全网，工人高空作业不系安全带")
    other, _ = citizen_submits(page, site, tmp_path, "另一处工地：夜里十二点还在打桩")
    sign_in(page, site.url, "triager")
    page.click("a[href='/staff/reports']")
    page.fill("input[name=q]", "安全网")
    page.click("form.filters button[type=submit]")
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 1 and number in rows.first.inner_text() and other not in page.inner_text("table.list")
    page.click(f"a[href='/staff/reports/{number}']")
    page.select_option("form[action$='/transition'] select[name=to]", "accepted")
    page.fill("form[action$='/transition'] textarea[name=public_message]", "已受理，执法人员三日内到现场核查")
    page.fill("form[action$='/transition'] textarea[name=note]", "内部：先联系项目经理")
    page.click("form[action$='/transition'] button[type=submit]")
    assert "已受理" in page.inner_text("h1")
    assert "内部：先联系项目经理" in page.inner_text(".timeline")

    reporter = page.context.browser.new_context(locale="zh-CN").new_page()
    reporter.goto(f"{site.url}/status?number={number}&token={token}")
    history = reporter.inner_text("#history")
    assert "已受理，执法人员三日内到现场核查" in history
    assert "内部" not in reporter.content()
    reporter.context.close()
    page.goto(f"{site.url}/staff/reports/{number}")  # the screenshot shows the triaged report


def test_viewer_sees_but_cannot_change(browser, site, page, tmp_path) -> None:  # noqa: ANN001
    number, _ = citizen_submits(page, site, tmp_path, "拖欠农民工工资三个月，项目部不给说法")
    sign_in(page, site.url, "viewer")
    page.goto(f"{site.url}/staff/reports/{number}")
    assert page.locator("form[action$='/transition']").count() == 0
    assert page.locator("form[action$='/triage']").count() == 0
    # Even a hand-made post with a valid CSRF token is refused for a viewer.
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "cd_csrf")
    response = page.request.post(f"{site.url}/staff/reports/{number}/transition",
                                 form={"to": "accepted", "csrf_token": csrf})
    assert response.status == 403
    page.goto(f"{site.url}/staff/reports/{number}")
    assert "已提交，待受理" in page.inner_text("h1")
    assert page.goto(f"{site.url}/staff/accounts").status == 403


def test_script_in_a_report_is_text_everywhere(browser, site, page, tmp_path) -> None:  # noqa: ANN001
    number, token = citizen_submits(page, site, tmp_path, "危险！" + XSS)
    page.goto(f"{site.url}/status/{number}?token={token}")
    assert XSS in page.inner_text(".description")
    assert page.evaluate("window.__pwned") is None
    sign_in(page, site.url, "triager")
    for path in ("/staff/reports", f"/staff/reports/{number}"):
        page.goto(site.url + path)
        assert page.evaluate("window.__pwned") is None
    assert "<script>window.__pwned" in page.inner_text(".description")
    api = httpx.get(f"{site.url}/api/v1/reports/{number}", params={"token": token}).json()
    assert api["description"].endswith(XSS)  # stored as given; escaped only when shown


def test_csrf_cookies_sessions_and_tokens(browser, site, page, tmp_path) -> None:  # noqa: ANN001
    number, token = citizen_submits(page, site, tmp_path, "建筑垃圾随意倾倒在河边")
    # A staff page without a session goes to sign-in, remembering where it was going.
    page.goto(f"{site.url}/staff/reports/{number}")
    assert page.url.startswith(f"{site.url}/staff/login?next=/staff/reports/{number}")
    sign_in(page, site.url, "triager")
    cookies = {c["name"]: c for c in page.context.cookies()}
    session, csrf = cookies["cd_staff"], cookies["cd_csrf"]
    assert session["httpOnly"] and session["sameSite"] == "Lax" and session["path"] == "/staff"
    assert csrf["httpOnly"] and csrf["sameSite"] == "Strict"
    assert not session["secure"]  # plain http on loopback; Secure is set behind https (tested below)

    # A form post without its CSRF token is refused and changes nothing.
    response = page.request.post(f"{site.url}/staff/reports/{number}/transition", form={"to": "accepted"})
    assert response.status == 403
    page.goto(f"{site.url}/staff/reports/{number}")
    assert "已提交，待受理" in page.inner_text("h1")

    # Behind an https proxy the cookies are Secure.
    with httpx.Client(base_url=site.url, headers={"X-Forwarded-Proto": "https"}) as client:
        login_page = client.get("/staff/login")
        assert "secure" in login_page.headers["set-cookie"].lower()

    # Another reporter's report cannot be read without its token.
    stranger = page.context.browser.new_context(locale="zh-CN").new_page()
    stranger.goto(f"{site.url}/status/{number}?token=not-the-right-token")
    assert "找不到该举报" in stranger.inner_text(".alert")
    assert httpx.get(f"{site.url}/status/{number}").status_code == 404
    stranger.context.close()

    # Signing out ends the session on the server: the old cookie no longer works.
    page.click("form[action='/staff/logout'] button")
    replay = httpx.get(f"{site.url}/staff", cookies={"cd_staff": session["value"]}, follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"].startswith("/staff/login")


def test_repeated_failed_sign_ins_are_throttled(browser, site, page) -> None:  # noqa: ANN001
    site.staff("locked", "viewer", "locked password 1")
    for _ in range(5):
        page.goto(f"{site.url}/staff/login")
        page.fill("input[name=username]", "locked")
        page.fill("input[name=password]", "wrong password")
        page.click("button[type=submit]")
        assert "用户名或密码不正确" in page.inner_text(".alert")
    page.goto(f"{site.url}/staff/login")
    page.fill("input[name=username]", "locked")
    page.fill("input[name=password]", "locked password 1")  # right, but too late
    page.click("button[type=submit]")
    assert "尝试次数过多" in page.inner_text(".alert")


def test_the_api_documentation_renders_the_openapi_document(browser, site, page) -> None:  # noqa: ANN001
    """/docs is Swagger UI 5 from this server: it renders FastAPI's OpenAPI 3.1 document (4.x said
    "Unable to render this definition"), with the submission's form fields, and the CSP lets it run."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{site.url}/docs")
    operation = page.locator("#operations-reports-submit_report_api_v1_reports_post")
    operation.locator(".opblock-summary").click()
    text = operation.inner_text()
    for field in ("category", "description", "lat", "notify_sms", "photos", "multipart/form-data"):
        assert field in text
    assert "Unable to render" not in page.inner_text("body")
    assert errors == []
