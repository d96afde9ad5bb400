"""Alerts on staff phones, end to end over the fake Bot API (the real aiogram client on loopback):
linking a Telegram account with a one-time code from the console, and the alerts a linked account
or a department's staff chat receives through the outbox: a report raised to high or urgent, a
deadline drawing near (once per report and deadline), and the daily overdue digest. On SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from accounts.models import StaffLinkCode
from civicdesk.container import Services
from civicdesk.jobs import JobRunner
from complaints.schemas import Channel, ReportInput, TriageUpdate
from core.clock import FrozenClock
from core.outbox import OutboxMessage

from .conftest import Chat
from .fakes import FakeBotAPI, Person

WAGES = "县人力资源和社会保障局"
ENFORCEMENT = "县住建局执法大队"


async def _report(services: Services, category: str = "dust", text: str = "工地扬尘很大") -> str:
    return (await services.complaints.submit(ReportInput(
        category=category, description=text, address="城关镇人民路 88 号", channel=Channel.WEB,
        contact_name="李秘密", contact_phone="13912345678",
    ))).tracking_number


async def _link(services: Services, runtime, fake_api: FakeBotAPI, username: str, user_id: int,  # noqa: ANN001
                departments: list[str] | None = None) -> Chat:
    account = await services.accounts.create(username, "triager", password="correct horse battery",
                                             departments=departments or [])
    code = await services.links.new_code(account.identity.id)
    chat = Chat(runtime, fake_api, Person(fake_api, user_id=user_id))
    await chat.say(f"/link {code.code.lower()}")  # case does not count
    assert f"已绑定工作台账号 <b>{username}</b>" in chat.last_text()
    return chat


async def _sent(runtime, fake_api: FakeBotAPI) -> list:  # noqa: ANN001
    start = len(fake_api.calls)
    await runtime.delivery.run_once()
    return [c for c in fake_api.calls[start:] if c.method == "sendMessage"]


async def test_a_link_code_from_the_api_links_once_and_expires(
    fake_api: FakeBotAPI, services: Services, runtime, client: httpx.AsyncClient, clock: FrozenClock,  # noqa: ANN001
) -> None:
    account = await services.accounts.create("zhangsan", "viewer", password="correct horse battery")
    auth = {"Authorization": f"Bearer {account.token}"}
    made = await client.post("/api/v1/staff/me/link-code", json={"channel": "telegram"}, headers=auth)
    assert made.status_code == 201
    code = made.json()["code"]
    assert made.json()["send"] == f"/link {code}" and len(code) == 8
    async with services.db.session() as session:  # stored hashed only
        [row] = (await session.scalars(select(StaffLinkCode))).all()
        assert code not in row.code_hash and row.used_at is None

    me = Chat(runtime, fake_api, Person(fake_api, user_id=501))
    await me.say("/link")
    assert "/link 绑定码" in me.last_text()
    await me.say(f"/link {code[:4]}-{code[4:]}")
    assert "已绑定工作台账号 <b>zhangsan</b>" in me.last_text()
    links = (await client.get("/api/v1/staff/me/links", headers=auth)).json()
    assert [(link["channel"], link["address"]) for link in links] == [("telegram", "501")]

    # Single use: someone else with the same code gets nothing.
    other = Chat(runtime, fake_api, Person(fake_api, user_id=502))
    await other.say(f"/link {code}")
    assert "绑定码无效、已使用或已过期" in other.last_text()
    # Short-lived: a fresh code is dead after its minutes.
    late = (await client.post("/api/v1/staff/me/link-code", headers=auth)).json()["code"]
    clock.advance(timedelta(minutes=services.settings.staff_link_code_minutes, seconds=1))
    await other.say(f"/link {late}")
    assert "绑定码无效、已使用或已过期" in other.last_text()
    assert len((await client.get("/api/v1/staff/me/links", headers=auth)).json()) == 1

    await me.say("/unlink")
    assert "已解除与工作台账号 <b>zhangsan</b> 的绑定" in me.last_text()
    assert (await client.get("/api/v1/staff/me/links", headers=auth)).json() == []
    assert (await client.delete("/api/v1/staff/me/links/telegram", headers=auth)).status_code == 404
    await me.say("/unlink")
    assert "没有绑定工作台账号" in me.last_text()


async def test_link_in_a_group_tells_the_groups_id(fake_api: FakeBotAPI, runtime) -> None:  # noqa: ANN001
    chat = Chat(runtime, fake_api, Person(fake_api, user_id=601))
    update = chat.person.text("/link ABCD2345")
    update["message"]["chat"] = {"id": -100555, "type": "supergroup", "title": "执法大队工作群"}
    calls = await chat.send(update)
    [reply] = [c for c in calls if c.method == "sendMessage"]
    assert reply.chat_id == -100555 and "<code>-100555</code>" in reply.text and "部门" in reply.text


async def test_raised_priority_alerts_the_departments_chats_but_not_others(
    fake_api: FakeBotAPI, services: Services, runtime,  # noqa: ANN001
) -> None:
    departments = {d.name: d for d in await services.departments.list()}
    await services.departments.update(departments[ENFORCEMENT].id, telegram_chat_id="-100777")
    enforcer = await _link(services, runtime, fake_api, "enforcer", 701, [ENFORCEMENT])
    wages = await _link(services, runtime, fake_api, "wages", 702, [WAGES])
    chief = await _link(services, runtime, fake_api, "chief", 703)  # the whole bureau
    dust = await _report(services)

    await services.complaints.update_triage(dust, "chief", TriageUpdate(priority="high"))
    sent = await _sent(runtime, fake_api)
    # The department's group and its linked staff; not another department's; not who raised it.
    assert sorted(c.chat_id for c in sent) == [-100777, enforcer.id]
    message = next(c for c in sent if c.chat_id == enforcer.id)
    assert f"高优先级举报</b> <code>{dust}</code>" in message.text and "施工扬尘" in message.text
    assert "李秘密" not in message.text and "13912345678" not in message.text
    [button] = message.buttons()
    assert button["text"] == "在工作台打开" and button["url"] == f"http://testserver/staff/reports/{dust}"

    # Lowering never alerts; urgent after high does; a repeat of the same priority does not.
    await services.complaints.update_triage(dust, "enforcer", TriageUpdate(priority="urgent"))
    await services.complaints.update_triage(dust, "enforcer", TriageUpdate(priority="urgent"))
    await services.complaints.update_triage(dust, "enforcer", TriageUpdate(priority="normal"))
    sent = await _sent(runtime, fake_api)
    assert sorted(c.chat_id for c in sent) == [-100777, chief.id]
    assert all("紧急优先级举报" in c.text for c in sent)
    assert wages.id not in {c.chat_id for c in fake_api.calls if c.method == "sendMessage" and dust in c.text}


async def test_deadline_alerts_go_once_per_report_and_deadline(
    fake_api: FakeBotAPI, services: Services, runtime, clock: FrozenClock,  # noqa: ANN001
) -> None:
    chief = await _link(services, runtime, fake_api, "chief", 801)
    number = await _report(services)
    jobs = JobRunner(services)
    clock.advance(timedelta(days=11, hours=23))  # 3 days and 1 hour before the 15-day acceptance deadline
    await jobs.run_once()
    assert await _sent(runtime, fake_api) == []
    clock.advance(timedelta(hours=2))
    await jobs.run_once()
    [alert] = await _sent(runtime, fake_api)
    assert alert.chat_id == chief.id and f"举报 <code>{number}</code> 的受理期限为" in alert.text
    assert "（3 天内）" in alert.text
    for _ in range(3):  # the job keeps running: the same alert never again
        clock.advance(timedelta(minutes=10))
        await jobs.run_once()
    assert await _sent(runtime, fake_api) == []

    await services.complaints.transition(number, "chief", "accepted")  # the handling deadline: 60 days
    clock.advance(timedelta(days=57, hours=1))
    await jobs.run_once()
    [alert] = await _sent(runtime, fake_api)
    assert "的办理期限为" in alert.text
    # An extension sets a new due time: worth a new alert when that one draws near.
    await services.complaints.extend_deadline(number, "chief", 10, "需要现场复核")
    clock.advance(timedelta(days=9))
    await jobs.run_once()
    assert await _sent(runtime, fake_api) == []  # 3 days 23 hours left
    clock.advance(timedelta(days=1))
    await jobs.run_once()
    [again] = await _sent(runtime, fake_api)
    assert "的办理期限为" in again.text and again.text != alert.text
    async with services.db.session() as session:
        kinds = (await session.scalars(select(OutboxMessage.kind).where(OutboxMessage.kind == "staff_deadline"))).all()
    assert len(kinds) == 3


async def test_the_overdue_digest_comes_once_a_day_from_its_hour_per_scope(
    fake_api: FakeBotAPI, services: Services, runtime, clock: FrozenClock,  # noqa: ANN001
) -> None:
    clock.set(datetime(2026, 3, 1, 0, 0, tzinfo=UTC))  # 08:00 in Shanghai
    wage_reports = [await _report(services, "unpaid_wages", f"工地拖欠工资第 {i} 批") for i in range(2)]
    dust = await _report(services)
    departments = {d.name: d for d in await services.departments.list()}
    await services.departments.update(departments[WAGES].id, telegram_chat_id="-100888")
    chief = await _link(services, runtime, fake_api, "chief", 901)
    jobs = JobRunner(services)
    clock.set(datetime(2026, 3, 17, 23, 0, tzinfo=UTC))  # 07:00 on the 18th: overdue, before the hour
    await jobs.run_once()
    assert [c for c in await _sent(runtime, fake_api) if "超期举报汇总" in c.text] == []
    clock.set(datetime(2026, 3, 18, 0, 5, tzinfo=UTC))  # 08:05
    await jobs.run_once()
    digests = {c.chat_id: c for c in await _sent(runtime, fake_api) if "超期举报汇总" in c.text}
    assert set(digests) == {-100888, chief.id}
    assert "（2026-03-18）：共 3 件" in digests[chief.id].text and dust in digests[chief.id].text
    group = digests[-100888].text
    assert "共 2 件" in group and all(n in group for n in wage_reports) and dust not in group
    [button] = digests[chief.id].buttons()
    assert button["url"] == "http://testserver/staff/reports?overdue=1&sort=due_at"
    clock.advance(timedelta(hours=5))
    await jobs.run_once()
    assert [c for c in await _sent(runtime, fake_api) if "超期举报汇总" in c.text] == []
    clock.advance(timedelta(days=1))
    await jobs.run_once()
    assert len([c for c in await _sent(runtime, fake_api) if "超期举报汇总" in c.text]) == 2


async def test_alerts_speak_the_chats_language(fake_api: FakeBotAPI, services: Services, runtime) -> None:  # noqa: ANN001
    chief = await _link(services, runtime, fake_api, "chief", 1001)
    await chief.say("/language")
    await chief.tap("English")
    number = await _report(services)
    await services.complaints.update_triage(number, "someone", TriageUpdate(priority="urgent"))
    [alert] = await _sent(runtime, fake_api)
    assert f"Urgent priority report</b> <code>{number}</code>" in alert.text and "Construction dust" in alert.text
    assert alert.buttons()[0]["text"] == "Open in the console"


async def test_the_console_page_makes_a_code_shown_once_and_unlinks(
    fake_api: FakeBotAPI, services: Services, runtime, client: httpx.AsyncClient, staff_tokens,  # noqa: ANN001
) -> None:
    import re

    await client.get("/staff/login")
    signed = await client.post("/staff/login", data={"username": "viewer1", "password": "correct horse battery",
                                                     "csrf_token": client.cookies["cd_csrf"], "next": "/staff"})
    assert signed.status_code == 303
    page = await client.get("/staff/alerts")
    assert "手机提醒" in page.text and "尚未绑定 Telegram" in page.text and 'id="link-code"' not in page.text
    made = await client.post("/staff/alerts/code", data={"csrf_token": client.cookies["cd_csrf"]})
    code = re.search(r"/link ([A-Z0-9]{8})", made.text).group(1)  # type: ignore[union-attr]
    assert "只显示这一次" in made.text
    assert code not in (await client.get("/staff/alerts")).text  # shown once
    me = Chat(runtime, fake_api, Person(fake_api, user_id=1101))
    await me.say(f"/link {code}")
    assert "viewer1" in me.last_text()
    assert "已绑定 Telegram" in (await client.get("/staff/alerts")).text
    english = await client.get("/staff/alerts", params={"lang": "en"})
    assert "Telegram is linked" in english.text and "data-confirm=\"Unlink Telegram?" in english.text
    forged = await client.post("/staff/alerts/unlink", data={"csrf_token": "wrong"})
    assert forged.status_code == 403
    gone = await client.post("/staff/alerts/unlink", data={"csrf_token": client.cookies["cd_csrf"]})
    assert gone.status_code == 303 and gone.headers["location"] == "/staff/alerts?msg=unlinked"
    assert await services.links.of_user((await services.accounts.by_token(staff_tokens["viewer"])).id) == []
