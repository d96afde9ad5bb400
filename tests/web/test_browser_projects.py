"""Projects and companies in Chromium, on a phone (390x844) and a desktop (1280x900): a company page
with its record and a watch listing made through the confirmed form, and a report page's nearby
projects (the map of reports is test_browser_map.py)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.live import LiveServer

from .conftest import (ARTIFACTS, DESKTOP, PASSWORDS, PHONE, SITE, assert_fits, device_context, seedless_map_site,
                       sign_in)
from .tiles import TileServer

WAGES = "县人力资源和社会保障局"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, tiles: TileServer) -> Iterator[LiveServer]:
    with seedless_map_site(tmp_path_factory, "projects", tiles, roles=("admin", "triager")) as live:
        live.env["TOKEN"] = live.staff("api.admin", "admin", PASSWORDS["admin"])
        yield live


def _api(site: LiveServer, method: str, path: str, **kw: object) -> dict:
    response = httpx.request(method, f"{site.url}{path}", headers={"Authorization": f"Bearer {site.env['TOKEN']}"},
                             timeout=30, **kw)
    assert response.status_code < 300, response.text
    return response.json()


def _report(site: LiveServer, category: str, text: str, lat: float, lon: float) -> str:
    created = httpx.post(f"{site.url}/api/v1/reports", data={
        "category": category, "description": text, "address": "城北路 8 号工地", "lat": str(lat), "lon": str(lon)},
        timeout=30)
    assert created.status_code == 201, created.text
    return created.json()["tracking_number"]


@pytest.fixture(scope="module")
def seeded(site: LiveServer) -> dict[str, object]:
    builder = _api(site, "POST", "/api/v1/staff/companies",
                   json={"name": "城北置业有限公司（长名称用于检查手机换行）", "uscc": "91440300708461136T"})
    contractor = _api(site, "POST", "/api/v1/staff/companies", json={"name": "华建施工有限公司", "uscc": "914403001922038216"})
    project = _api(site, "POST", "/api/v1/staff/projects", json={
        "name": "城北安置房二期", "address": "城北路 8 号", "lat": SITE[0], "lon": SITE[1],
        "permit_number": "330100202603100101", "builder_id": builder["id"], "contractor_id": contractor["id"]})
    numbers = [
        _report(site, "拖欠农民工工资", "包工头拖欠十二名工人三个月工资", SITE[0] + 0.0008, SITE[1]),
        _report(site, "施工扬尘", "渣土车没有覆盖，沿路撒落", SITE[0], SITE[1] + 0.0009),
        _report(site, "夜间施工噪声", "凌晨一点还在浇筑混凝土", SITE[0] - 0.0006, SITE[1] - 0.0004),
    ]
    for number in numbers[:2]:
        _api(site, "PUT", f"/api/v1/staff/reports/{number}/project", json={"project_id": project["id"]})
    _api(site, "POST", f"/api/v1/staff/reports/{numbers[1]}/transition",
         json={"to": "rejected", "public_message": "经核查不属于本局职责"})
    return {"builder": builder, "project": project, "numbers": numbers}


def test_company_page_on_a_phone_and_a_desktop(browser, site, seeded) -> None:  # noqa: ANN001
    company_id = seeded["builder"]["id"]  # type: ignore[index]
    for name, viewport in (("company-phone", PHONE), ("company-desktop", DESKTOP)):
        context = device_context(browser, viewport)
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, site.url, "triager")
        page.click("nav >> text=企业")
        page.wait_for_url(f"{site.url}/staff/companies")
        assert_fits(page, f"{name} list")
        with page.expect_navigation():
            page.click(f"tr[data-company='{company_id}'] a")
        record = page.inner_text("#record")
        assert "关联举报" in record and "查实" in record and "不予受理" in record and "上限" in record
        assert_fits(page, name)
        if viewport is PHONE:
            questions: list[str] = []
            page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
            page.fill("form[action$='/listings'] textarea[name=reason]", "三个月内两次扬尘举报，现场整改不到位")
            page.fill("form[action$='/listings'] input[name=until]", "2026-12-31")
            with page.expect_navigation():
                page.click("form[action$='/listings'] button[type=submit]")
            assert questions and "列入所选名单" in questions[0]
            assert "重点关注名单（至 2026-12-31）" in page.inner_text(".listings")
            assert_fits(page, f"{name} listed")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        context.close()


def test_report_page_suggests_the_nearby_project(browser, site, seeded) -> None:  # noqa: ANN001
    number = seeded["numbers"][2]  # type: ignore[index]
    context = device_context(browser, PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, site.url, "triager")
    page.goto(f"{site.url}/staff/reports/{number}")
    section = page.inner_text("#project")
    assert "尚未关联项目" in section and "城北安置房二期" in section and "米" in section
    with page.expect_navigation():
        page.click("#project ul.suggestions button")
    assert "由 triager" in page.inner_text("#project")
    assert_fits(page, "report-project-phone")
    page.locator("#project").screenshot(path=str(ARTIFACTS / "report-project-phone.png"))
    context.close()
