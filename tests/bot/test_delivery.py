"""Follow-up messages: staff act in `complaints/`, the outbox carries it, the delivery loop sends."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.models import BotUser
from core.outbox import OutboxMessage

from .conftest import Chat, file_report
from .fakes import Person


async def outbox_rows(services) -> list[OutboxMessage]:  # noqa: ANN001
    async with services.db.session() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def is_blocked(services, user_id: int) -> bool:  # noqa: ANN001
    async with services.db.session() as session:
        user = await session.get(BotUser, user_id)
        return user is not None and user.blocked_at is not None


async def assert_skipped_as_blocked(fake_api, runtime) -> None:  # noqa: ANN001
    """The due message is marked blocked without a call to Telegram."""
    sent_before = len(fake_api.calls_of("sendMessage"))
    assert (await runtime.delivery.run_once()).blocked == 1
    assert len(fake_api.calls_of("sendMessage")) == sent_before


async def test_status_change_by_staff_reaches_the_reporter(chat, fake_api, services, runtime):
    number = await file_report(chat)
    # Staff act while the bot is not delivering: the message waits in the outbox.
    await services.complaints.transition(number, "admin1", "accepted", public_message="已派执法人员核查")
    [row] = await outbox_rows(services)
    assert (row.status, row.recipient) == ("pending", str(chat.id))

    start = len(fake_api.calls)
    result = await runtime.delivery.run_once()
    assert result.sent == 1
    message = fake_api.calls[start:][0]
    assert message.method == "sendMessage" and message.chat_id == chat.id
    assert f"您的举报 <code>{number}</code> 有新进展" in message.text
    assert "当前状态：<b>已受理</b>" in message.text
    assert "<blockquote>已派执法人员核查</blockquote>" in message.text
    assert message.buttons()[0]["text"] == "查看办理记录"
    [row] = await outbox_rows(services)
    assert row.status == "sent" and row.sent_at is not None
    # Sent once: another round has nothing to do.
    assert (await runtime.delivery.run_once()).sent == 0

    # The button shows the public history with the staff message.
    calls = await chat.tap("查看办理记录")
    assert "状态变更为“已受理”" in calls[-1].text and "已派执法人员核查" in calls[-1].text


async def test_public_reply_is_escaped_and_in_the_reporters_language(chat, fake_api, services, runtime):
    await chat.say("/language")
    await chat.tap("English")
    assert [b["text"] for b in fake_api.messages_to(chat.id)[-1].keyboard()][:2] == [
        "Ask a policy question",
        "Report a problem",
    ]
    number = await file_report(
        chat,
        menu="Report a problem",
        category="Construction dust",
        address="88 Renmin Road, Chengguan",
        description="Dust everywhere from the site",
        photos="No photo",
        contact="Skip",
        submit="Submit",
    )

    await services.complaints.add_note(
        number, "admin1", "We fined the <contractor> & told them to stop", public=True
    )
    await runtime.delivery.run_once()
    text = fake_api.messages_to(chat.id)[-1].text
    assert f"Staff replied to your report <code>{number}</code>" in text
    assert "We fined the &lt;contractor&gt; &amp; told them to stop" in text


async def test_reporters_of_merged_duplicates_are_told(fake_api, services, runtime):
    first = Chat(runtime, fake_api, Person(fake_api, user_id=3001, first_name="王五"))
    second = Chat(runtime, fake_api, Person(fake_api, user_id=3002, first_name="赵六"))
    primary = await file_report(first)
    duplicate = await file_report(second)
    await services.complaints.merge(duplicate, primary, "admin1")
    await runtime.delivery.run_once()
    merged = fake_api.messages_to(second.id)[-1].text
    assert f"您的举报 <code>{duplicate}</code> 与 <code>{primary}</code> 反映的是同一问题" in merged

    await services.complaints.transition(primary, "admin1", "accepted")
    await runtime.delivery.run_once()
    assert "当前状态：<b>已受理</b>" in fake_api.messages_to(first.id)[-1].text
    told = fake_api.messages_to(second.id)[-1].text
    assert f"您的举报 <code>{duplicate}</code> 有新进展" in told
    assert f"已并入 <code>{primary}</code> 一并办理" in told


async def test_429_is_retried_after_the_time_telegram_asks(chat, fake_api, services, runtime, clock):
    number = await file_report(chat)
    await services.complaints.transition(number, "admin1", "accepted")
    await services.complaints.add_note(number, "admin1", "第二条消息", public=True)
    fake_api.fail("sendMessage", 429, "Too Many Requests: retry after 30", retry_after=30)

    result = await runtime.delivery.run_once()
    assert (result.sent, result.paused_for) == (0, 30.0)
    rows = await outbox_rows(services)
    # Neither message is lost or failed; both wait out the flood limit, which is not an attempt.
    assert [(r.status, r.attempts) for r in rows] == [("pending", 0), ("pending", 0)]
    assert all(r.next_attempt_at == clock.now() + timedelta(seconds=30) for r in rows)

    clock.advance(timedelta(seconds=10))
    assert (await runtime.delivery.run_once()).sent == 0  # still waiting
    clock.advance(timedelta(seconds=21))
    assert (await runtime.delivery.run_once()).sent == 2
    assert [r.status for r in await outbox_rows(services)] == ["sent", "sent"]
    texts = [c.text for c in fake_api.messages_to(chat.id)[-2:]]
    assert "已受理" in texts[0] and "第二条消息" in texts[1]


async def test_server_errors_back_off_and_blocked_chats_are_marked(chat, fake_api, services, runtime, clock):
    number = await file_report(chat)
    await services.complaints.transition(number, "admin1", "accepted")
    fake_api.fail("sendMessage", 502, "Bad Gateway")
    result = await runtime.delivery.run_once()
    assert result.retried == 1
    [row] = await outbox_rows(services)
    assert row.attempts == 1 and row.next_attempt_at == clock.now() + timedelta(seconds=10)
    clock.advance(timedelta(seconds=11))

    # Meanwhile the person blocked the bot.
    fake_api.blocked.add(chat.id)
    assert (await runtime.delivery.run_once()).blocked == 1
    [row] = await outbox_rows(services)
    assert row.status == "blocked"
    assert await is_blocked(services, chat.id)

    # Later messages to a blocked chat are not even tried...
    await services.complaints.transition(number, "admin1", "assigned")
    await assert_skipped_as_blocked(fake_api, runtime)

    # ...until the person talks to the bot again.
    fake_api.blocked.discard(chat.id)
    await chat.say("/start")
    assert not await is_blocked(services, chat.id)
    await services.complaints.transition(number, "admin1", "in_progress")
    assert (await runtime.delivery.run_once()).sent == 1


async def test_the_delivery_loop_runs_in_the_background(chat, fake_api, services, runtime):
    number = await file_report(chat)
    runtime.delivery.interval_s = 0.05
    runtime.delivery.start()
    start = len(fake_api.calls)
    await services.complaints.transition(number, "admin1", "rejected", public_message="不属于本局职责")
    call = await fake_api.wait_for(lambda c: c.method == "sendMessage" and "不予受理" in c.text, start=start)
    assert call.chat_id == chat.id
    await runtime.delivery.stop()


async def test_blocking_and_unblocking_the_bot_is_noticed(chat, fake_api, services, runtime):
    number = await file_report(chat)
    await chat.send(chat.person.membership("kicked"))
    assert await is_blocked(services, chat.id)
    await services.complaints.transition(number, "admin1", "accepted")
    await assert_skipped_as_blocked(fake_api, runtime)
    await chat.send(chat.person.membership("member"))
    assert not await is_blocked(services, chat.id)


def test_every_declared_message_kind_has_a_telegram_renderer() -> None:
    """Kinds are declared once per domain (messages.py); the bot registers a renderer for each."""
    import complaints.messages  # noqa: F401
    import opendays.messages  # noqa: F401
    from bot.delivery import RENDERERS
    from core.outbox import kinds

    assert {"report_update", "openday_published", "openday_reminder"} <= set(kinds())
    assert RENDERERS.missing() == set()


def test_payloads_are_typed_and_checked() -> None:
    import pytest
    from pydantic import ValidationError

    from complaints.messages import ReportUpdate
    from core.outbox import OutboxPayload, parse_payload

    stored = {"event": "status", "tracking_number": "2026-000001", "primary_tracking_number": "2026-000001",
              "status": "accepted", "message": None, "language": "en"}
    update = parse_payload("report_update", stored)
    assert isinstance(update, ReportUpdate) and update.language == "en"
    with pytest.raises(ValidationError):
        parse_payload("report_update", {"event": "status"})
    with pytest.raises(KeyError):
        parse_payload("no_such_kind", {})

    class Undeclared(OutboxPayload):
        kind = "undeclared"

    from core.outbox import enqueue

    with pytest.raises(ValueError, match="not declared"):
        enqueue(None, channel="telegram", recipient="1", message=Undeclared(), now=None)  # type: ignore[arg-type]


async def test_a_transfer_reaches_the_receiving_departments_chat(fake_api, services, runtime):
    """转办 to a department with a staff group chat: the delivery loop sends it there, escaped, with a
    button to the console page."""
    from complaints.schemas import Channel, ReportInput

    departments = {d.name: d for d in await services.departments.list()}
    await services.departments.update(departments["县人力资源和社会保障局"].id, telegram_chat_id="-100777")
    number = (await services.complaints.submit(ReportInput(
        category="dust", description="渣土车沿路撒落，工人还说被拖欠工资", address="城北", channel=Channel.WEB,
    ))).tracking_number
    await services.complaints.transfer(number, "enforcer", "县人力资源和社会保障局", "主要是欠薪 <急>")
    start = len(fake_api.calls)
    assert (await runtime.delivery.run_once()).sent == 1
    [message] = fake_api.calls[start:]
    assert message.method == "sendMessage" and message.chat_id == -100777
    assert f"举报 <code>{number}</code> 已由县住建局执法大队转给县人力资源和社会保障局" in message.text
    assert "主要是欠薪 &lt;急&gt;" in message.text
    [button] = message.buttons()
    assert button["text"] == "在工作台打开" and button["url"].endswith(f"/staff/reports/{number}")
