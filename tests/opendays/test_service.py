"""The open days service against a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from civicdesk.container import Services
from core.clock import FrozenClock
from core.errors import Conflict, NotFound, ValidationFailed
from opendays.schemas import ByChannelUser, ByToken, EventFields
from opendays.service import OpenDayPolicy

from .support import ENDS, STARTS, event_input, outbox_rows, published_event, register, telegram, web


async def test_draft_is_private_until_published(services: Services) -> None:
    draft = await services.opendays.create(event_input(), "triager1")
    assert draft.status == "draft" and draft.status_label == "草稿" and draft.created_by == "triager1"
    assert draft.starts_at.isoformat() == "2026-03-20T09:00:00+08:00"
    assert draft.max_party_size == 3 and draft.seats_left == 20
    assert await services.opendays.upcoming() == []
    with pytest.raises(NotFound) as info:
        await services.opendays.public_event(draft.id)
    assert info.value.code == "event_not_found"
    with pytest.raises(NotFound):
        await services.opendays.register(draft.id, telegram(1))

    published = await services.opendays.publish(draft.id, "triager1")
    assert published.status == "published" and published.sequence == 1
    [listed] = await services.opendays.upcoming()
    assert (listed.id, listed.seats_left, listed.registration_open) == (draft.id, 20, True)
    assert listed.requirements.requires_id and listed.requirements.min_age == 16
    assert listed.ics_url == f"http://testserver/open-days/{draft.id}.ics"
    with pytest.raises(Conflict) as again:
        await services.opendays.publish(draft.id, "triager1")
    assert again.value.code == "not_a_draft"


async def test_event_fields_are_checked_together(services: Services) -> None:
    cases = [
        ({"ends_at": STARTS - timedelta(hours=1)}, "结束时间必须晚于开始时间"),
        ({"starts_at": STARTS - timedelta(days=30), "ends_at": ENDS - timedelta(days=30)}, "开始时间必须在将来"),
        ({"registration_closes_at": STARTS + timedelta(hours=1)}, "报名截止时间不能晚于活动开始时间"),
        ({"registration_opens_at": STARTS - timedelta(days=1), "registration_closes_at": STARTS - timedelta(days=2)},
         "报名开始时间必须早于报名截止时间"),
    ]
    for overrides, message in cases:
        with pytest.raises(ValidationFailed) as info:
            await services.opendays.create(event_input(**overrides), "triager1")
        assert message in info.value.message_zh
    with pytest.raises(ValueError, match="both lat and lon"):
        event_input(lat=None)
    # Naive times are Shanghai local time.
    naive = await services.opendays.create(
        event_input(starts_at=STARTS.replace(tzinfo=None), ends_at=ENDS.replace(tzinfo=None)), "triager1")
    assert naive.starts_at == STARTS


async def test_seats_are_counted_by_party_size_first_fit(services: Services) -> None:
    event = await published_event(services, capacity=5)
    a = await register(services, event.id, telegram(1, party_size=3))
    b = await register(services, event.id, telegram(2, party_size=2))
    c = await register(services, event.id, telegram(3, party_size=3))  # does not fit: waitlist
    d = await register(services, event.id, telegram(4, party_size=1))
    assert [r.status for r in (a, b, c, d)] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert (c.waitlist_position, d.waitlist_position) == (1, 2)
    assert len(a.check_in_code) == 6 and a.check_in_code != b.check_in_code
    assert a.manage_token is None  # Telegram registrations are managed in the chat
    detail = await services.opendays.staff_event(event.id)
    assert (detail.seats_taken, detail.seats_left, detail.waitlisted, detail.registrations) == (5, 0, 2, 4)

    # Two seats free up: the party of three waiting first does not fit, the single visitor does.
    await services.opendays.cancel_registration(b.id, ByChannelUser("telegram", "2"))
    rows = {r.id: r for r in await services.opendays.registrations(event.id)}
    assert (rows[c.id].status, rows[d.id].status) == ("waitlisted", "confirmed")
    assert rows[c.id].waitlist_position == 1
    [promoted] = await outbox_rows(services, "openday_promoted")
    assert promoted.recipient == "4" and promoted.payload["registration_id"] == d.id
    assert promoted.payload["check_in_code"] == d.check_in_code
    assert promoted.payload["starts_at"] == "2026-03-20T09:00:00+08:00"

    # Three more seats: now the party of three moves up.
    await services.opendays.cancel_registration(a.id, ByChannelUser("telegram", "1"))
    rows = {r.id: r for r in await services.opendays.registrations(event.id)}
    assert rows[c.id].status == "confirmed"
    assert (await services.opendays.staff_event(event.id)).seats_taken == 4


async def test_raising_capacity_promotes_and_lowering_below_taken_is_refused(services: Services) -> None:
    event = await published_event(services, capacity=1)
    await register(services, event.id, telegram(1))
    waiting = await register(services, event.id, telegram(2))
    assert waiting.status == "waitlisted"
    updated = await services.opendays.update(event.id, EventFields(capacity=2), "triager1")
    assert updated.seats_taken == 2 and updated.waitlisted == 0 and updated.sequence == 2
    assert [m.recipient for m in await outbox_rows(services, "openday_promoted")] == ["2"]
    await register(services, event.id, telegram(3))
    with pytest.raises(ValidationFailed) as info:
        await services.opendays.update(event.id, EventFields(capacity=1), "triager1")
    assert info.value.code == "capacity_below_taken"


async def test_each_refusal_has_a_clear_reason(services: Services, clock: FrozenClock) -> None:
    windowed = await published_event(
        services, registration_opens_at=STARTS - timedelta(days=5), registration_closes_at=STARTS - timedelta(days=1))
    with pytest.raises(Conflict) as early:
        await register(services, windowed.id, telegram(1))
    assert early.value.code == "registration_not_open" and "2026-03-15 09:00" in early.value.message_zh

    event = await published_event(services)
    with pytest.raises(ValidationFailed) as large:
        await register(services, event.id, telegram(1, party_size=4))
    assert large.value.code == "party_too_large" and "最多 3 人" in large.value.message_zh
    small = await published_event(services, capacity=2, max_party_size=5)
    with pytest.raises(ValidationFailed) as larger:
        await register(services, small.id, telegram(1, party_size=3))
    assert "共 2 个名额" in larger.value.message_zh

    first = await register(services, event.id, telegram(1))
    with pytest.raises(Conflict) as twice:
        await register(services, event.id, telegram(1, name="张三丰"))
    assert twice.value.code == "already_registered" and first.check_in_code in twice.value.message_zh

    await register(services, event.id, web("李四", "+86 138-0013-8000"))
    with pytest.raises(Conflict) as same_phone:
        await register(services, event.id, web("李小四", "0086 13800138000"))
    assert "该手机号已报名" in same_phone.value.message_zh
    await register(services, event.id, web("王五"))
    with pytest.raises(Conflict) as same_name:
        await register(services, event.id, web(" 王五 "))
    assert "同名" in same_name.value.message_zh
    namesake = await register(services, event.id, web("王五", "13900000000"))
    assert namesake.status == "confirmed"
    with pytest.raises(ValidationFailed) as bad_phone:
        await register(services, event.id, web("赵六", "call me maybe"))
    assert bad_phone.value.code == "invalid_phone"

    cancelled = await published_event(services)
    await services.opendays.cancel(cancelled.id, "塔吊检修，改期另行通知", "triager1")
    with pytest.raises(Conflict) as gone:
        await register(services, cancelled.id, telegram(9))
    assert gone.value.code == "event_cancelled" and "塔吊检修" in gone.value.message_zh

    clock.set(STARTS - timedelta(hours=12))
    with pytest.raises(Conflict) as late:
        await register(services, windowed.id, telegram(1))
    assert late.value.code == "registration_closed" and "2026-03-19 09:00" in late.value.message_zh
    clock.set(STARTS + timedelta(minutes=1))
    with pytest.raises(Conflict) as started:
        await register(services, event.id, telegram(77))
    assert started.value.code == "registration_closed"
    # Nothing was lost on the way: exactly the accepted registrations exist.
    assert len(await services.opendays.registrations(event.id)) == 4


async def test_web_registration_is_managed_with_its_token(services: Services) -> None:
    event = await published_event(services, capacity=1)
    first = await register(services, event.id, web("陈一", "13800001111"))
    second = await register(services, event.id, web("陈二", "13800002222", party_size=1))
    assert first.manage_token and second.status == "waitlisted"
    view = await services.opendays.registration(first.id, ByToken(first.manage_token))
    assert view.phone_masked == "138****1111" and view.can_cancel
    with pytest.raises(NotFound):
        await services.opendays.registration(first.id, ByToken(second.manage_token or ""))
    cancelled = await services.opendays.cancel_registration(first.id, ByToken(first.manage_token))
    assert cancelled.status == "cancelled" and not cancelled.can_cancel
    with pytest.raises(Conflict) as again:
        await services.opendays.cancel_registration(first.id, ByToken(first.manage_token))
    assert again.value.code == "already_cancelled"
    promoted = await services.opendays.registration(second.id, ByToken(second.manage_token or ""))
    assert promoted.status == "confirmed"
    assert await outbox_rows(services) == []  # web registrants have no push channel
    # The same person may register again after cancelling.
    again_ok = await register(services, event.id, web("陈一", "13800001111"))
    assert again_ok.status == "waitlisted"


async def test_cancelling_an_event_tells_every_registrant(services: Services) -> None:
    event = await published_event(services, capacity=1)
    await register(services, event.id, telegram(1))
    await register(services, event.id, telegram(2))
    await register(services, event.id, web("周七", "13700000000"))
    with pytest.raises(ValidationFailed):
        await services.opendays.cancel(event.id, " ", "triager1")
    cancelled = await services.opendays.cancel(event.id, "暴雨预警，活动取消", "triager1")
    assert cancelled.status == "cancelled" and cancelled.seats_taken == 0 and cancelled.registrations == 0
    messages = await outbox_rows(services, "openday_cancelled")
    assert sorted(m.recipient for m in messages) == ["1", "2"]
    assert all(m.payload["reason"] == "暴雨预警，活动取消" for m in messages)
    assert {r.status for r in await services.opendays.registrations(event.id)} == {"cancelled"}
    with pytest.raises(Conflict):
        await services.opendays.cancel(event.id, "再取消一次", "triager1")


async def test_check_in_minutes_and_feedback(services: Services, clock: FrozenClock) -> None:
    event = await published_event(services, capacity=1)
    came = await register(services, event.id, telegram(1, phone="13812345678"))
    waiting = await register(services, event.id, telegram(2))
    with pytest.raises(Conflict) as early:
        await services.opendays.check_in(event.id, came.check_in_code, "triager1")
    assert early.value.code == "check_in_not_open"
    with pytest.raises(Conflict):
        await services.opendays.set_minutes(event.id, "纪要", "triager1")

    clock.set(STARTS - timedelta(minutes=30))
    checked = await services.opendays.check_in(event.id, f" {came.check_in_code.lower()} ", "triager1")
    assert checked.status == "attended" and checked.checked_in_by == "triager1"
    assert checked.phone == "13812345678" and checked.phone_masked == "138****5678"
    for code, expected in ((came.check_in_code, "already_checked_in"), (waiting.check_in_code, "still_waitlisted")):
        with pytest.raises(Conflict) as info:
            await services.opendays.check_in(event.id, code, "triager1")
        assert info.value.code == expected
    with pytest.raises(NotFound):
        await services.opendays.check_in(event.id, "ZZZZZZ", "triager1")
    with pytest.raises(Conflict):
        await services.opendays.give_feedback(came.id, ByChannelUser("telegram", "1"), 5, "很好")  # not over yet

    clock.set(ENDS + timedelta(minutes=5))
    minutes = await services.opendays.set_minutes(event.id, "代表们关注夜间施工噪声，项目部承诺 22 点后停止高噪声作业。",
                                                  "triager1")
    assert minutes.minutes and minutes.minutes_by == "triager1"
    with pytest.raises(ValidationFailed):
        await services.opendays.give_feedback(came.id, ByChannelUser("telegram", "1"), 6)
    with pytest.raises(Conflict) as not_there:
        await services.opendays.give_feedback(waiting.id, ByChannelUser("telegram", "2"), 4)
    assert not_there.value.code == "feedback_not_allowed"
    with pytest.raises(NotFound):
        await services.opendays.give_feedback(came.id, ByChannelUser("telegram", "2"), 4)
    await services.opendays.give_feedback(came.id, ByChannelUser("telegram", "1"), 3, "讲解不错")
    view = await services.opendays.give_feedback(came.id, ByChannelUser("telegram", "1"), 4, "讲解清楚，希望多安排几次")
    assert view.feedback and view.feedback.rating == 4
    [stored] = await services.opendays.feedback(event.id)
    assert (stored.name, stored.rating, stored.comment) == ("张三", 4, "讲解清楚，希望多安排几次")
    summary = await services.opendays.staff_event(event.id)
    assert (summary.attended, summary.feedback_count, summary.average_rating) == (1, 1, 4.0)


async def test_due_notifications_remind_and_ask_once(services: Services, clock: FrozenClock) -> None:
    event = await published_event(services, capacity=3)
    early = await register(services, event.id, telegram(1))
    await register(services, event.id, web("网页报名者", "13600000000"))
    assert (await services.opendays.due_notifications()).reminders == 0  # more than a day ahead

    clock.set(STARTS - timedelta(hours=23))
    late = await register(services, event.id, telegram(2))  # confirmed within the last day
    result = await services.opendays.due_notifications()
    assert (result.reminders, result.feedback_requests, result.finished) == (1, 0, 0)
    [reminder] = await outbox_rows(services, "openday_reminder")
    assert reminder.recipient == "1" and reminder.payload["registration_id"] == early.id
    assert (await services.opendays.due_notifications()).reminders == 0  # idempotent

    clock.set(STARTS)
    await services.opendays.check_in(event.id, late.check_in_code, "triager1")
    clock.set(ENDS + timedelta(minutes=1))
    result = await services.opendays.due_notifications()
    assert (result.finished, result.feedback_requests) == (1, 1)
    [asked] = await outbox_rows(services, "openday_feedback_request")
    assert asked.recipient == "2"  # staff checked people in, so only those who came are asked
    assert (await services.opendays.staff_event(event.id)).status == "finished"
    assert (await services.opendays.due_notifications()).model_dump() == {
        "finished": 0, "reminders": 0, "feedback_requests": 0}


async def test_without_check_ins_every_confirmed_visitor_is_asked(services: Services, clock: FrozenClock) -> None:
    event = await published_event(services, capacity=1)
    await register(services, event.id, telegram(1))
    await register(services, event.id, telegram(2))  # waitlisted: never came
    clock.set(ENDS + timedelta(hours=1))
    assert (await services.opendays.due_notifications()).feedback_requests == 1
    assert [m.recipient for m in await outbox_rows(services, "openday_feedback_request")] == ["1"]
    clock.set(ENDS + timedelta(days=30))
    assert (await services.opendays.due_notifications()).feedback_requests == 0


async def test_moving_the_event_tells_registrants_and_reminds_again(services: Services, clock: FrozenClock) -> None:
    event = await published_event(services)
    await register(services, event.id, telegram(1))
    clock.set(STARTS - timedelta(hours=20))
    await services.opendays.due_notifications()
    moved = await services.opendays.update(
        event.id, EventFields(starts_at=STARTS + timedelta(days=1), ends_at=ENDS + timedelta(days=1)), "triager1")
    assert moved.sequence == 2
    [update] = await outbox_rows(services, "openday_updated")
    assert update.payload["starts_at"] == "2026-03-21T09:00:00+08:00"
    # Retitling alone is no news for the registrants, but the calendar sequence moves.
    retitled = await services.opendays.update(event.id, EventFields(title="城南保障房二期开放日"), "triager1")
    assert retitled.sequence == 3 and len(await outbox_rows(services, "openday_updated")) == 1
    clock.set(STARTS + timedelta(hours=4))  # 20 hours before the new start
    assert (await services.opendays.due_notifications()).reminders == 1
    with pytest.raises(ValidationFailed) as empty:
        await services.opendays.update(event.id, EventFields(title=None), "triager1")
    assert empty.value.code == "required_field"


async def test_subscribers_hear_about_new_events(services: Services) -> None:
    assert await services.opendays.subscribe("telegram", "100", "zh")
    assert not await services.opendays.subscribe("telegram", "100", "zh")
    assert await services.opendays.subscribe("telegram", "200", "en")
    assert await services.opendays.unsubscribe("telegram", "200")
    assert not await services.opendays.is_subscribed("telegram", "200")
    event = await published_event(services)
    [announcement] = await outbox_rows(services, "openday_published")
    assert announcement.recipient == "100" and announcement.payload["event_id"] == event.id
    assert announcement.payload["title"] == "城南保障房项目工地开放日"


async def test_registrations_csv_opens_in_excel(services: Services) -> None:
    event = await published_event(services)
    await register(services, event.id, web("=HYPERLINK(\"x\")", "13800138000", party_size=2))
    await register(services, event.id, telegram(5, name="刘德华"))
    data = await services.opendays.registrations_csv(event.id)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["报名编号", "姓名", "手机号（部分隐藏）", "人数"]
    assert rows[1][1] == "'=HYPERLINK(\"x\")" and rows[1][2] == "138****8000" and rows[1][3] == "2"
    assert rows[2][1] == "刘德华" and rows[2][5] == "已确认"
    assert "13800138000" not in data.decode("utf-8-sig")
    english = list(csv.reader(io.StringIO((await services.opendays.registrations_csv(event.id, "en"))
                                          .decode("utf-8-sig"))))
    assert english[0][0] == "Registration" and english[1][5] == "confirmed"


def test_policy_reads_settings(settings) -> None:  # noqa: ANN001
    settings.openday_max_party_size = 5
    policy = OpenDayPolicy.from_settings(settings)
    assert policy.max_party_size == 5 and policy.tz.key == "Asia/Shanghai"
