"""The staff console and portal over HTTP (no browser): every console feature, roles, language,
headers. The browser tests play whole scenarios; these pin down each page's behaviour."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
import pytest

from civicdesk.container import Services
from complaints.schemas import Channel, ReportFilters, ReportInput, TriageUpdate
from core.clock import FrozenClock
from core.kit.bureau_time import DEFAULT_TZ as SHANGHAI
from opendays.schemas import EventInput, RegistrationInput

PASSWORD = "correct horse battery"  # the staff_tokens fixture's password


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    await client.get("/staff/login")
    response = await client.post("/staff/login", data={"username": username, "password": PASSWORD,
                                                       "csrf_token": client.cookies["cd_csrf"], "next": "/staff"})
    assert response.status_code == 303 and response.headers["location"] == "/staff"


def form(client: httpx.AsyncClient, **values: str) -> dict[str, str]:
    return {"csrf_token": client.cookies["cd_csrf"], **values}


async def report(services: Services, description: str = "夜间施工噪声扰民，凌晨一点还在浇筑混凝土") -> str:
    data = ReportInput(category="night_noise", description=description, address="城南工地", channel=Channel.WEB)
    return (await services.complaints.submit(data)).tracking_number


async def test_dashboard_and_csv_export(client: httpx.AsyncClient, services: Services, staff_tokens) -> None:  # noqa: ANN001
    number = await report(services)
    await report(services, "第二份举报：渣土车沿路撒漏")
    await sign_in(client, "viewer1")
    page = await client.get("/staff")
    assert page.status_code == 200 and "<svg" in page.text and "夜间施工噪声" in page.text
    exported = await client.get("/staff/reports.csv", params={"q": "凌晨"})
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    text = exported.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert len(rows) == 2 and rows[1][0] == number


async def test_list_filters_sort_and_pages(client: httpx.AsyncClient, services: Services, clock: FrozenClock,
                                           staff_tokens) -> None:  # noqa: ANN001
    for i in range(30):
        await report(services, f"第{i:02d}号工地夜间施工")
        clock.advance(timedelta(minutes=1))
    await sign_in(client, "viewer1")
    first = await client.get("/staff/reports")
    assert "2026-000030" in first.text and "2026-000005" not in first.text and "第 1 页，共 2 页" in first.text
    second = await client.get("/staff/reports", params={"page": "2"})
    assert "2026-000005" in second.text and "2026-000030" not in second.text
    ascending = await client.get("/staff/reports", params={"sort": "tracking_number"})
    assert ascending.text.index("2026-000001") < ascending.text.index("2026-000002")
    clock.advance(timedelta(days=20))
    expired = await client.get("/staff/reports")  # sessions last 12 hours
    assert expired.status_code == 303 and expired.headers["location"].startswith("/staff/login")
    await sign_in(client, "viewer1")
    overdue = await client.get("/staff/reports", params={"overdue": "1"})
    assert 'class="overdue"' in overdue.text
    nothing = await client.get("/staff/reports", params={"q": "不存在的内容"})
    assert "没有符合条件的举报" in nothing.text
    # Junk in the filters is ignored, not an error page.
    junk = await client.get("/staff/reports", params={"created_from": "yesterday", "sort": "drop", "page": "x"})
    assert junk.status_code == 200


async def test_triage_forms_and_errors_in_the_page(client: httpx.AsyncClient, services: Services,
                                                   staff_tokens) -> None:  # noqa: ANN001
    number = await report(services)
    await sign_in(client, "triager1")
    response = await client.post(f"/staff/reports/{number}/transition", data=form(client, to="closed"))
    assert response.status_code == 303 and "error=" in response.headers["location"]
    page = await client.get(response.headers["location"])
    assert "不能从" in page.text
    await client.post(f"/staff/reports/{number}/triage",
                      data=form(client, category="night_noise", department="县住建局执法大队", priority="high",
                                assignee="triager1"))
    await client.post(f"/staff/reports/{number}/notes", data=form(client, text="已电话联系项目经理"))
    await client.post(f"/staff/reports/{number}/notes", data=form(client, text="我们已安排夜查", public="true"))
    detail = await services.complaints.detail(number)
    assert detail.priority == "high" and detail.assignee == "triager1"
    assert [e.kind for e in detail.events][-2:] == ["note", "reply"]


async def test_roles_on_pages(client: httpx.AsyncClient, services: Services, staff_tokens) -> None:  # noqa: ANN001
    number = await report(services)
    await sign_in(client, "viewer1")
    page = await client.get(f"/staff/reports/{number}")
    assert 'action="/staff/reports/' not in page.text  # no forms for a viewer
    refused = await client.post(f"/staff/reports/{number}/notes", data=form(client, text="x"))
    assert refused.status_code == 403
    assert (await client.get("/staff/accounts")).status_code == 403
    assert (await client.get("/staff/open-days/new")).status_code == 403


async def test_admin_manages_accounts(client: httpx.AsyncClient, services: Services, staff_tokens) -> None:  # noqa: ANN001
    await sign_in(client, "admin1")
    created = await client.post("/staff/accounts", data=form(client, username="li.si", role="triager",
                                                              display_name="李四", password="a long password"))
    assert created.status_code == 200 and "只显示这一次" in created.text
    token = created.text.split('<code class="token">')[1].split("</code>")[0]
    assert (await services.accounts.by_token(token)).username == "li.si"
    duplicate = await client.post("/staff/accounts", data=form(client, username="li.si", role="viewer"))
    assert "已存在" in (await client.get(duplicate.headers["location"])).text
    await client.post("/staff/accounts/li.si/active", data=form(client, active="false"))
    assert await services.accounts.by_token(token) is None
    itself = await client.post("/staff/accounts/admin1/active", data=form(client, active="false"))
    assert "error=" in itself.headers["location"]


async def test_open_day_console(client: httpx.AsyncClient, services: Services, clock: FrozenClock,
                                staff_tokens) -> None:  # noqa: ANN001
    start = clock.now() + timedelta(days=7)
    event = await services.opendays.create(EventInput(
        title="保障房工地开放日", site_name="城西保障房", address="城西路 1 号", starts_at=start,
        ends_at=start + timedelta(hours=2), capacity=10), "admin1")
    await services.opendays.publish(event.id, "admin1")
    reg = await services.opendays.register(event.id, RegistrationInput(name="赵六", phone="13900001111"))
    await sign_in(client, "triager1")
    page = await client.get(f"/staff/open-days/{event.id}")
    assert "139****1111" in page.text and "13900001111" not in page.text
    detail = await client.get(f"/staff/open-days/{event.id}/registrations/{reg.id}")
    assert "13900001111" in detail.text  # the one place the full number is shown
    edit = await client.get(f"/staff/open-days/{event.id}", params={"edit": "1"})
    assert 'name="starts_at"' in edit.text
    await client.post(f"/staff/open-days/{event.id}/edit", data=form(
        client, title="保障房工地开放日（改期）", site_name="城西保障房", address="城西路 1 号",
        starts_at=(start + timedelta(days=1)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M"),
        ends_at=(start + timedelta(days=1, hours=2)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M"),
        capacity="10", requires_id="true"))
    assert (await services.opendays.staff_event(event.id)).title.endswith("（改期）")
    bad = await client.post(f"/staff/open-days/{event.id}/edit", data=form(client, title="x", capacity="0"))
    assert bad.status_code == 422 and "alert error" in bad.text
    exported = await client.get(f"/staff/open-days/{event.id}/registrations.csv")
    assert exported.content.startswith("\ufeff".encode()) and "赵六".encode() in exported.content
    early = await client.post(f"/staff/open-days/{event.id}/minutes", data=form(client, text="居民关注夜间施工时间"))
    assert "活动开始后才能记录纪要" in (await client.get(early.headers["location"])).text
    cancelled = await client.post(f"/staff/open-days/{event.id}/cancel", data=form(client, reason="暴雨预警"))
    assert cancelled.status_code == 303
    out = await services.opendays.staff_event(event.id)
    assert out.status == "cancelled" and out.cancel_reason == "暴雨预警"


async def test_knowledge_console_upload_and_delete(client: httpx.AsyncClient, services: Services,
                                                   staff_tokens) -> None:  # noqa: ANN001
    await sign_in(client, "triager1")
    guide = "# 县住建局物业服务指南\n\n## 一、物业投诉\n\n小区物业服务不到位的，可以向县住建局物业管理科投诉，电话 0000-1234533。\n"
    uploaded = await client.post("/staff/knowledge/upload", data=form(client),
                                 files={"document": ("物业指南.md", guide.encode(), "text/markdown")})
    assert uploaded.status_code == 303 and "error" not in uploaded.headers["location"]
    page = await client.get("/staff/knowledge")
    assert 'data-state="queued"' in page.text and "物业指南.md" in page.text  # returned at once, queued
    assert services.knowledge.run_job()  # what the server's job runner does in the background
    jobs = (await client.get("/staff/knowledge/jobs.json")).json()
    assert jobs[0]["filename"] == "物业指南.md" and jobs[0]["state"] == "ready"
    page = await client.get("/staff/knowledge")
    assert "县住建局物业服务指南" in page.text and 'data-state="ready"' in page.text
    wrong = await client.post("/staff/knowledge/upload", data=form(client),
                              files={"document": ("virus.exe", b"MZ\x90\x00", "application/octet-stream")})
    assert "error=" in wrong.headers["location"]
    doc = next(d for d in services.knowledge.index.documents() if d.title == "县住建局物业服务指南")
    await client.post(f"/staff/knowledge/{doc.id}/delete", data=form(client))
    assert all(d.title != "县住建局物业服务指南" for d in services.knowledge.index.documents())


async def test_portal_language_headers_and_missing_csrf(client: httpx.AsyncClient) -> None:
    home = await client.get("/")
    assert "政策咨询" in home.text
    assert "工作人员在 15 日内决定是否受理" in home.text and "受理后 60 日内办结" in home.text  # not "None"
    assert home.headers["x-frame-options"] == "DENY" and "default-src 'self'" in home.headers["content-security-policy"]
    english = await client.get("/", params={"lang": "en"})
    assert "Ask a policy question" in english.text
    assert "Ask a policy question" in (await client.get("/report")).text  # remembered by cookie
    no_token = await client.post("/report", data={"category": "dust", "description": "没有令牌的表单提交"})
    assert no_token.status_code == 403
    api = await client.get("/api/v1/categories")
    assert "content-security-policy" not in api.headers  # JSON needs no page headers


@pytest.mark.parametrize("path", ["/staff", "/staff/reports", "/staff/open-days", "/staff/knowledge"])
async def test_staff_pages_need_a_session(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login?next=")


async def test_portal_report_errors_keep_the_text_and_say_what_to_fix(client: httpx.AsyncClient,
                                                                      services: Services) -> None:
    await client.get("/report")
    response = await client.post("/report", data=form(client, category="dust", description="太短",
                                                      address="人民路工地"),
                                 files={"photos": ("notes.txt", b"plain text, not a photo", "text/plain")})
    assert response.status_code == 422
    assert "问题描述至少需要 5 个字符" in response.text and "请重新选择" in response.text
    assert 'value="人民路工地"' in response.text  # what the citizen typed is kept
    bad_photo = await client.post("/report", data=form(client, category="dust", description="工地扬尘很严重，没人管",
                                                       address="人民路工地"),
                                  files={"photos": ("notes.jpg", b"plain text, not a photo", "image/jpeg")})
    assert bad_photo.status_code == 422 and "仅支持 JPEG" in bad_photo.text
    assert (await services.complaints.search(ReportFilters())).total == 0


async def test_open_day_form_errors_are_worded_in_the_pages_language(client: httpx.AsyncClient,
                                                                      services: Services, clock: FrozenClock) -> None:
    """Open-day fields carry their own labels: a blank name on a Chinese form says 姓名, not `name`."""
    start = clock.now() + timedelta(days=7)
    event = await services.opendays.create(EventInput(
        title="保障房工地开放日", site_name="城西保障房", address="城西路 1 号", starts_at=start,
        ends_at=start + timedelta(hours=2), capacity=10), "admin1")
    await services.opendays.publish(event.id, "admin1")
    await client.get(f"/open-days/{event.id}")
    blank = await client.post(f"/open-days/{event.id}/register", data=form(client, name="  ", party_size="1"))
    assert blank.status_code == 422 and "姓名至少需要 1 个字符" in blank.text and "name至少" not in blank.text
    english = await client.post(f"/open-days/{event.id}/register?lang=en", data=form(client, name="", party_size="1"))
    assert english.status_code == 422 and "name needs at least 1 characters" in english.text


async def test_console_triage_errors_are_worded_not_a_500(client: httpx.AsyncClient, services: Services,
                                                           staff_tokens) -> None:  # noqa: ANN001
    number = await report(services)
    await sign_in(client, "triager1")
    response = await client.post(f"/staff/reports/{number}/triage", data=form(client, department="部" * 200))
    assert response.status_code == 303
    shown = await client.get(response.headers["location"])
    assert "承办部门不能超过 120 个字符" in shown.text


async def test_temporary_password_forces_a_change_then_self_service(client: httpx.AsyncClient,
                                                                    services: Services, staff_tokens) -> None:  # noqa: ANN001
    await sign_in(client, "admin1")
    created = await client.post("/staff/accounts", data=form(client, username="zhao", role="triager"))
    assert created.status_code == 200 and 'id="temporary-password"' in created.text
    temporary = created.text.split('id="temporary-password">')[1].split("</code>")[0]
    page = await client.get("/staff/accounts")
    assert "办理员" in page.text and ">triager<" not in page.text and "data-confirm=" in page.text

    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as zhao:  # noqa: SLF001
        await zhao.get("/staff/login")
        login = await zhao.post("/staff/login", data=form(zhao, username="zhao", password=temporary, next="/staff"))
        assert login.headers["location"] == "/staff/password"
        # Every other page sends the account to the password form until it is changed.
        assert (await zhao.get("/staff/reports")).headers["location"] == "/staff/password"
        form_page = await zhao.get("/staff/password")
        assert "临时密码" in form_page.text
        mismatch = await zhao.post("/staff/password", data=form(zhao, current=temporary, new="a fresh secret 1",
                                                               repeat="a fresh secret 2"))
        assert mismatch.status_code == 400 and "不一致" in mismatch.text
        common = await zhao.post("/staff/password", data=form(zhao, current=temporary, new="1234567890",
                                                             repeat="1234567890"))
        assert common.status_code == 400 and "属于最常见的密码之一" in common.text
        done = await zhao.post("/staff/password", data=form(zhao, current=temporary, new="a fresh secret 1",
                                                           repeat="a fresh secret 1"))
        assert done.headers["location"] == "/staff?msg=password_changed"
        assert "密码已修改" in (await zhao.get("/staff?msg=password_changed")).text
        assert (await zhao.get("/staff/reports")).status_code == 200

        # An admin's reset ends zhao's session and forces another change.
        reset = await client.post("/staff/accounts/zhao/password", data=form(client))
        assert reset.status_code == 200 and 'id="temporary-password"' in reset.text
        assert (await zhao.get("/staff/reports")).headers["location"].startswith("/staff/login")
    assert (await services.accounts.by_password("zhao", "a fresh secret 1")) is None


async def test_admin_scopes_accounts_and_manages_departments_in_the_console(
        client: httpx.AsyncClient, services: Services, staff_tokens) -> None:  # noqa: ANN001
    await sign_in(client, "admin1")
    added = await client.post("/staff/departments", data=form(client, name="县 审计局", contact="0571-8888",
                                                             telegram_chat_id="-1001"))
    assert added.headers["location"] == "/staff/departments?msg=saved"
    page = await client.get("/staff/departments")
    assert "县 审计局" in page.text and "data-confirm=" in page.text and "举报类别默认承办部门" in page.text
    twin = await client.post("/staff/departments", data=form(client, name="县审计局"))
    assert "已存在" in (await client.get(twin.headers["location"])).text
    routed = await client.post("/staff/categories/quality/department", data=form(client, department="县 审计局"))
    assert routed.status_code == 303
    assert {c.code: c.default_department for c in await services.complaints.categories()}["quality"] == "县 审计局"

    created = await client.post("/staff/accounts", data=form(client, username="shenji", role="triager",
                                                              department="县 审计局"))
    assert created.status_code == 200
    shenji = next(u for u in await services.accounts.list() if u.username == "shenji")
    assert shenji.departments == ("县 审计局",)
    await client.post("/staff/accounts/shenji/departments",
                      data=form(client, department=["县 审计局", "县住建局执法大队"]))
    shenji = next(u for u in await services.accounts.list() if u.username == "shenji")
    assert set(shenji.departments) == {"县 审计局", "县住建局执法大队"}
    await client.post("/staff/accounts/shenji/departments", data=form(client))
    shenji = next(u for u in await services.accounts.list() if u.username == "shenji")
    assert shenji.departments == () and shenji.scope.whole_bureau


async def test_console_report_page_speaks_chinese_and_transfers(client: httpx.AsyncClient, services: Services,
                                                                staff_tokens) -> None:  # noqa: ANN001
    number = await report(services)
    await services.complaints.update_triage(number, "triager1", TriageUpdate(priority="urgent"))
    await services.complaints.add_note(number, "triager1", "内部：先联系城管", public=False)
    await sign_in(client, "triager1")
    page = await client.get(f"/staff/reports/{number}")
    for english in (">urgent<", ">normal<", "→ urgent", " · web<", "<strong>reporter</strong>"):
        assert english not in page.text, english
    assert "紧急" in page.text and "普通 → 紧急" in page.text and "网页" in page.text and "举报人" in page.text
    assert "内部备注：内部：先联系城管" in page.text
    assert 'data-confirm="确定将举报' in page.text  # the transfer form asks first
    moved = await client.post(f"/staff/reports/{number}/transfer",
                              data=form(client, department="县城市管理局", reason="渣土归城管"))
    assert moved.headers["location"] == f"/staff/reports/{number}?msg=transferred"
    shown = await client.get(moved.headers["location"])
    assert "已转办" in shown.text and "渣土归城管" in shown.text
    listing = await client.get("/staff/reports")
    assert ">urgent<" not in listing.text and "紧急" in listing.text


async def test_check_in_names_the_visitor_and_cancelling_asks_first(client: httpx.AsyncClient, services: Services,
                                                                    clock: FrozenClock, staff_tokens) -> None:  # noqa: ANN001
    start = clock.now() + timedelta(hours=1)
    event = await services.opendays.create(EventInput(
        title="安置房工地开放日", site_name="城东安置房", address="城东路 9 号", starts_at=start,
        ends_at=start + timedelta(hours=2), capacity=10), "admin1")
    await services.opendays.publish(event.id, "admin1")
    reg = await services.opendays.register(event.id, RegistrationInput(name="钱七 <b>", phone="13900002222",
                                                                       party_size=2))
    await sign_in(client, "triager1")
    page = await client.get(f"/staff/open-days/{event.id}")
    assert 'data-confirm="确定取消开放日“安置房工地开放日”吗？' in page.text
    assert ">web<" not in page.text and "网页" in page.text
    form_page = await client.get(f"/staff/open-days/{event.id}", params={"edit": "1"})
    assert "活动介绍" in form_page.text and "问题描述" not in form_page.text
    checked = await client.post(f"/staff/open-days/{event.id}/check-in", data=form(client, code=reg.check_in_code))
    shown = await client.get(checked.headers["location"])
    assert "已签到：钱七 &lt;b&gt;（2 人）。" in shown.text and "已保存" not in shown.text
