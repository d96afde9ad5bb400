"""Public results (行政执法公示) in Chromium: staff publish an outcome while resolving in the console;
the public page fits a phone (390x844) and a desktop, filters by category, speaks English, and
shows nothing of the reporter."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.live import LiveServer, live_server, server_env

from .conftest import ARTIFACTS, PASSWORDS, sign_in

PHONE = {"width": 390, "height": 844}
SECRET_NAME, SECRET_PHONE = "司马保密", "13811112222"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server that seeds no policy documents: these pages need none, and embedding the sample
    guide at start-up is what makes a server slow to come up on a busy machine."""
    tmp_path = tmp_path_factory.mktemp("results")
    (tmp_path / "no-seed").mkdir()
    env = server_env(tmp_path / "var", f"sqlite+aiosqlite:///{tmp_path}/web.db",
                     CIVICDESK_KNOWLEDGE_SEED_DIR=str(tmp_path / "no-seed"))
    with live_server(env) as live:
        live.staff("triager", "triager", PASSWORDS["triager"])
        yield live


def _resolved_by_api(base: str, token: str, category: str, description: str, outcome: str | None) -> str:
    created = httpx.post(f"{base}/api/v1/reports", data={
        "category": category, "description": description, "address": "城关镇解放路 12 号阳光花园3栋",
        "contact_name": SECRET_NAME, "contact_phone": SECRET_PHONE}, timeout=30)
    assert created.status_code == 201, created.text
    number = created.json()["tracking_number"]
    auth = {"Authorization": f"Bearer {token}"}
    for step in ("accepted", "assigned", "in_progress"):
        body = {"to": step, "note": "内部：已联系施工单位负责人"}
        if step == "assigned":
            body["public_message"] = "已交承办部门"
        moved = httpx.post(f"{base}/api/v1/staff/reports/{number}/transition", json=body, headers=auth, timeout=30)
        assert moved.status_code == 200, moved.text
    body = {"to": "resolved", "public_message": "已办结", "public_outcome": outcome}
    done = httpx.post(f"{base}/api/v1/staff/reports/{number}/transition", json=body, headers=auth, timeout=30)
    assert done.status_code == 200, done.text
    return number


def _assert_fits(page, name: str) -> None:  # noqa: ANN001
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]")
    assert max(widths[:2]) <= widths[2], f"{name}: {widths[:2]} wider than the {widths[2]} px screen"


def test_results_published_in_the_console_show_on_a_phone(browser, site, page) -> None:  # noqa: ANN001
    token = site.staff("results.clerk", "triager", PASSWORDS["triager"])
    wages = _resolved_by_api(site.url, token, "拖欠农民工工资", "包工头拖欠十二名工人三个月工资", "已督促总包单位足额支付工资 36 万元")
    dust = _resolved_by_api(site.url, token, "施工扬尘", "渣土车没有覆盖，沿路撒落", None)
    _resolved_by_api(site.url, token, "夜间施工噪声", "凌晨一点还在浇筑混凝土，吵得睡不着", None)

    # The console: the last step and the outcome text for the public page.
    sign_in(page, site.url, "triager")
    page.goto(f"{site.url}/staff/reports/{dust}")
    page.fill("#public-outcome + form textarea[name=text]", "已责令施工单位覆盖裸土、冲洗车辆")
    with page.expect_navigation():
        page.click("#public-outcome + form button[type=submit]")
    assert "已责令施工单位覆盖裸土" in page.input_value("#public-outcome + form textarea[name=text]")

    for name, viewport in (("results-phone", PHONE), ("results-desktop", {"width": 1280, "height": 900})):
        context = browser.new_context(locale="zh-CN", viewport=viewport, is_mobile=viewport is PHONE,
                                      has_touch=viewport is PHONE, device_scale_factor=2 if viewport is PHONE else 1)
        phone = context.new_page()
        phone.set_default_timeout(15_000)
        phone.goto(f"{site.url}/")
        with phone.expect_navigation():
            phone.click("nav >> text=办理结果公示")
        assert phone.url.endswith("/results")
        text = phone.inner_text("main")
        assert "已督促总包单位足额支付工资 36 万元" in text and "已责令施工单位覆盖裸土、冲洗车辆" in text
        assert "城关镇解放路" in text and "阳光花园" not in text and "12 号" not in text
        for secret in (SECRET_NAME, SECRET_PHONE, "包工头拖欠", "内部：", "已交承办部门"):
            assert secret not in phone.content()
        assert phone.locator("#month-tiles .tile").count() == 5
        assert phone.locator("#cases > li").count() == 3
        _assert_fits(phone, name)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

        phone.select_option("select[name=category]", "unpaid_wages")
        with phone.expect_navigation():
            phone.click("#results-filters button[type=submit]")
        assert phone.locator("#cases > li").count() == 1 and wages in phone.inner_text("#cases")
        _assert_fits(phone, name + "-filtered")
        phone.goto(f"{site.url}/results?lang=en")
        assert "Results of reports handled" in phone.inner_text("h1") and "Resolved in time" in phone.inner_text("main")
        _assert_fits(phone, name + "-en")
        phone.screenshot(path=str(ARTIFACTS / f"{name}-en.png"), full_page=True)
        context.close()
