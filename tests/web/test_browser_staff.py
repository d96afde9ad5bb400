"""Console scenarios in Chromium: destructive actions ask first, a department-scoped triager sees
only its department, and transfers (转办)."""

from __future__ import annotations

import httpx

from .conftest import PASSWORDS, sign_in

WAGES = "县人力资源和社会保障局"


def _report(base: str, category: str, description: str) -> str:
    response = httpx.post(f"{base}/api/v1/reports", data={"category": category, "description": description,
                                                          "address": "城北工地"}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["tracking_number"]


def test_deactivating_an_account_asks_first(browser, site, page) -> None:  # noqa: ANN001
    site.staff("temp.worker", "viewer", "temp worker password")
    sign_in(page, site.url, "admin")
    page.goto(f"{site.url}/staff/accounts")
    row = page.locator("tr[data-user='temp.worker']")
    assert "查看员" in row.inner_text() and "viewer" not in row.inner_text()
    questions: list[str] = []

    def dismiss(dialog) -> None:  # noqa: ANN001
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    row.locator("form[action$='/active'] button").click()
    page.wait_for_timeout(300)
    assert questions and "temp.worker" in questions[0] and "停用" in questions[0]
    assert "启用中" in page.locator("tr[data-user='temp.worker']").inner_text()  # nothing happened

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("tr[data-user='temp.worker'] form[action$='/active'] button").click()
    assert "已停用" in page.locator("tr[data-user='temp.worker']").inner_text()


def test_scoped_triager_sees_its_department_and_transfers(browser, site, page) -> None:  # noqa: ANN001
    result = site.cli("staff", "add", "wages.clerk", "--role", "triager", "--department", WAGES, "--password-stdin",
                      stdin=PASSWORDS["triager"] + "\n")
    assert result.returncode == 0, result.stderr
    wages = _report(site.url, "拖欠农民工工资", "包工头拖欠我们十二个人三个月工资，电话也不接")
    dust = _report(site.url, "施工扬尘", "渣土车没有覆盖，沿路撒落，尘土飞扬")

    page.goto(f"{site.url}/staff/login")
    page.fill("input[name=username]", "wages.clerk")
    page.fill("input[name=password]", PASSWORDS["triager"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.url}/staff")
    page.goto(f"{site.url}/staff/reports")
    listing = page.inner_text("main")
    assert wages in listing and dust not in listing and "只能看到以下部门的举报" in listing
    assert page.goto(f"{site.url}/staff/reports/{dust}").status == 404

    page.goto(f"{site.url}/staff/reports/{wages}")
    page.select_option("#transfer + form select[name=department]", "县住建局执法大队")
    page.fill("#transfer + form input[name=reason]", "经核实主要是扬尘问题")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#transfer + form button[type=submit]")
    assert "已转办至其他部门" in page.inner_text(".alert.ok")
    assert page.locator(f"a[href='/staff/reports/{wages}']").count() == 0
