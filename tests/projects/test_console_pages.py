"""The console's projects and companies pages over HTTP (no browser): forms, errors in the page's
language, confirmations before destructive actions, Chinese without English values, and a scoped
account's company page counting only its departments' reports."""

from __future__ import annotations

import re

import httpx

from civicdesk.container import Services
from complaints.schemas import Channel, ReportInput
from projects.schemas import CompanyIn, ProjectIn
from tests.web.test_console import form, sign_in

TENCENT, HUAWEI = "91440300708461136T", "914403001922038216"
SITE = (30.2741, 120.1551)


async def submit(services: Services, category: str, text: str) -> str:
    data = ReportInput(category=category, description=text, address="城北工地", lat=SITE[0] + 0.0005, lon=SITE[1],
                       channel=Channel.WEB)
    return (await services.complaints.submit(data)).tracking_number


def visible_text(html: str) -> str:
    """The page's words (no tags, scripts or attributes)."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


async def test_companies_and_projects_from_the_console(client: httpx.AsyncClient, services: Services,
                                                       staff_tokens: dict[str, str]) -> None:
    await sign_in(client, "triager1")
    wrong = await client.post("/staff/companies", data=form(client, name="城北置业有限公司", uscc="91440300708461136U"))
    shown = await client.get(wrong.headers["location"])
    assert "校验码" in shown.text and "城北置业" not in visible_text(shown.text).split("新增企业")[0]
    created = await client.post("/staff/companies", data=form(client, name="城北置业有限公司", uscc=TENCENT.lower()))
    assert created.status_code == 303 and created.headers["location"].endswith("?msg=company_saved")
    company_path = created.headers["location"].split("?")[0]
    company_id = int(company_path.rsplit("/", 1)[1])

    made = await client.post("/staff/projects", data=form(client, name="城北安置房二期", address="城北路 8 号",
                                                          lat=str(SITE[0]), lon=str(SITE[1]), status="under_construction",
                                                          builder_id=str(company_id), permit_number="3301002026"))
    project_path = made.headers["location"].split("?")[0]
    project_page = await client.get(project_path)
    assert "城北安置房二期" in project_page.text and "在建" in project_page.text and "城北置业有限公司" in project_page.text
    half = await client.post("/staff/projects", data=form(client, name="只有纬度", lat="30.1"))
    assert "经纬度" in (await client.get(half.headers["location"])).text
    bad_number = await client.post(project_path, data=form(client, name="城北安置房二期", lat="北纬30", lon="120"))
    assert "纬度" in (await client.get(bad_number.headers["location"])).text

    # A report nearby: its page suggests the project, links it, and asks before unlinking.
    number = await submit(services, "dust", "渣土车没有覆盖，沿路撒落")
    page = await client.get(f"/staff/reports/{number}")
    assert "附近 300 米内的项目" in page.text and "城北安置房二期" in page.text and "56 米" in page.text
    project_id = project_path.rsplit("/", 1)[1]
    linked = await client.post(f"/staff/reports/{number}/project", data=form(client, project_id=project_id))
    page = await client.get(linked.headers["location"])
    assert "已关联项目" in page.text and 'data-confirm="确定取消举报' in page.text and "关联项目" in page.text

    # The company page: the record with its definition, the listing form asking first.
    company = await client.get(company_path)
    text = visible_text(company.text)
    assert "关联举报" in text and "查实" in text and "上限" in text and number in text
    assert 'data-confirm="确定将“城北置业有限公司”列入所选名单吗' in company.text
    assert 'value="black"' not in company.text  # a triager is offered the watch list only
    listed = await client.post(f"{company_path}/listings", data=form(client, kind="watch", reason="两次扬尘举报属实",
                                                                     until="2026-06-30"))
    company = await client.get(listed.headers["location"])
    assert "已列入名单" in company.text and "重点关注名单（至 2026-06-30）" in company.text
    assert 'data-confirm="确定将“城北置业有限公司”移出重点关注名单吗' in company.text
    black = await client.post(f"{company_path}/listings", data=form(client, kind="black", reason="x", until="2026-06-30"))
    assert "只有管理员" in (await client.get(black.headers["location"])).text
    past = await client.post(f"{company_path}/listings", data=form(client, kind="watch", reason="x", until="2020-01-01"))
    assert "到期时间必须晚于现在" in (await client.get(past.headers["location"])).text
    listing_id = (await services.projects.company(company_id)).listings[0].id
    lifted = await client.post(f"{company_path}/listings/{listing_id}/lift", data=form(client, reason="已整改"))
    company = await client.get(lifted.headers["location"])
    assert "已解除" in company.text and "重点关注名单（至" not in company.text

    listing_page = await client.get("/staff/companies")
    assert "城北置业有限公司" in listing_page.text and TENCENT in listing_page.text
    exported = await client.get("/staff/companies.csv")
    assert exported.status_code == 200 and "城北置业有限公司" in exported.text

    # No English values on the Chinese pages (codes stay in attributes and URLs only).
    for path in ("/staff/companies", company_path, "/staff/projects", project_path, f"/staff/reports/{number}"):
        words = visible_text((await client.get(path)).text)
        for english in ("under_construction", "watch", "black", "builder", "contractor", "supervisor", "project_role",
                        "listed", "lifted", "None"):
            assert not re.search(rf"\b{english}\b", words), (path, english)
    english_page = visible_text((await client.get(f"{company_path}?lang=en")).text)
    assert "Substantiated" in english_page and "upper bound" in english_page and "查实" not in english_page


async def test_scoped_account_sees_only_its_departments_reports_on_a_company_page(
        client: httpx.AsyncClient, services: Services, staff_tokens: dict[str, str]) -> None:
    company = await services.projects.create_company(CompanyIn(name="华建施工有限公司", uscc=HUAWEI), "admin1")
    project = await services.projects.create_project(ProjectIn(name="城北安置房二期", lat=SITE[0], lon=SITE[1],
                                                               contractor_id=company.id), "admin1")
    wages = await submit(services, "unpaid_wages", "包工头拖欠十二名工人三个月工资")
    dust = await submit(services, "dust", "渣土车没有覆盖，沿路撒落")
    for number in (wages, dust):
        await services.projects.link_report(number, project.id, "admin1")
    await services.accounts.create("wages", "triager", password="correct horse battery",
                                   departments=["县人力资源和社会保障局"])
    await sign_in(client, "wages")
    page = await client.get(f"/staff/companies/{company.id}")
    assert wages in page.text and dust not in page.text and "仅统计您所在部门" in page.text
    project_page = await client.get(f"/staff/projects/{project.id}")
    assert wages in project_page.text and dust not in project_page.text
    assert (await client.get(f"/staff/reports/{dust}")).status_code == 404
    hidden = await client.post(f"/staff/reports/{dust}/project/unlink", data=form(client))
    assert hidden.status_code == 303 and "error=" in hidden.headers["location"]
    assert (await client.get(hidden.headers["location"])).status_code == 404  # the report page itself
    assert (await services.projects.report_project(dust)).project is not None
