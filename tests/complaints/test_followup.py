"""回访 and supplements: the pure rules, and the service against a real database (SQLite, and
PostgreSQL when configured): rate once per resolution, reopen within the window after 不满意,
staff accept through the workflow or decline with a reply, supplements while open, the rates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from civicdesk.container import Services
from complaints.followup import (
    FollowupPolicy,
    can_request_reopen,
    check_can_comment,
    check_can_supplement,
    clean_text,
)
from complaints.models import Report
from complaints.schemas import Channel, PhotoUpload, ReportInput
from core.clock import FrozenClock
from core.errors import Conflict, NotFound, ValidationFailed
from core.outbox import OutboxMessage
from tests import imaging

RESOLVED = datetime(2026, 3, 1, tzinfo=UTC)


def test_reopening_needs_dissatisfied_within_the_window_while_resolved() -> None:
    policy = FollowupPolicy(reopen_window_days=15)
    ok = dict(status="resolved", resolved_at=RESOLVED, rating="dissatisfied", already_requested=False)
    assert can_request_reopen(policy, **ok, now=RESOLVED + timedelta(days=15))
    assert not can_request_reopen(policy, **ok, now=RESOLVED + timedelta(days=15, seconds=1))
    assert not can_request_reopen(policy, **{**ok, "rating": "basically_satisfied"}, now=RESOLVED)
    assert not can_request_reopen(policy, **{**ok, "status": "closed"}, now=RESOLVED)
    assert not can_request_reopen(policy, **{**ok, "already_requested": True}, now=RESOLVED)
    assert can_request_reopen(FollowupPolicy(reopen_window_days=30), **ok, now=RESOLVED + timedelta(days=20))


def test_text_is_refused_with_its_length_never_cut() -> None:
    assert clean_text("  好  ", 10, "意见", "comment") == "好"
    with pytest.raises(ValidationFailed) as refused:
        clean_text("字" * 11, 10, "意见", "comment")
    assert refused.value.message("zh") == "意见不能超过 10 个字符（现为 11 个）"
    with pytest.raises(Conflict) as closed:
        check_can_supplement("resolved")
    assert "不能再补充" in closed.value.message("zh")
    check_can_supplement("reopened")


def test_a_comment_follows_a_rating_given_without_one_once() -> None:
    check_can_comment(rated=True, has_comment=False)
    with pytest.raises(Conflict, match="Rate the result first"):
        check_can_comment(rated=False, has_comment=False)
    with pytest.raises(Conflict, match="already commented"):
        check_can_comment(rated=True, has_comment=True)


async def test_a_one_tap_rating_gets_its_comment_later(services: Services) -> None:
    number, token = await submit(services)
    await resolve(services, number)
    with pytest.raises(Conflict, match="Rate the result first"):
        await services.complaints.comment_rating(number, token, "还不错")
    await services.complaints.rate(number, token, "basically_satisfied")
    with pytest.raises(ValidationFailed):
        await services.complaints.comment_rating(number, token, "   ")
    await services.complaints.comment_rating(number, token, "整改及时，但夜间还有噪声")
    view = await services.complaints.followup_view(number, token)
    assert view.rating == "basically_satisfied" and view.comment == "整改及时，但夜间还有噪声"
    with pytest.raises(Conflict, match="already commented"):
        await services.complaints.comment_rating(number, token, "再写一次")
    events = (await services.complaints.detail(number)).events
    assert [(e.kind, e.note) for e in events][-2:] == [("rating", None), ("rating_comment", "整改及时，但夜间还有噪声")]


async def submit(services: Services, **overrides: object) -> tuple[str, str]:
    values: dict[str, object] = {"category": "dust", "description": "工地未覆盖裸土，扬尘很大", "address": "人民路 18 号",
                                 "channel": Channel.TELEGRAM, "reporter_channel_id": "2001"}
    values.update(overrides)
    result = await services.complaints.submit(ReportInput(**values))
    return result.tracking_number, result.status_token


async def resolve(services: Services, number: str) -> None:
    for to in ("accepted", "assigned", "in_progress", "resolved"):
        await services.complaints.transition(number, "triager1", to, public_message="已整改" if to == "resolved" else None)


async def test_rate_reopen_and_staff_accept_through_the_workflow(services: Services, clock: FrozenClock) -> None:
    number, token = await submit(services)
    with pytest.raises(Conflict, match="once it is resolved"):
        await services.complaints.rate(number, token, "satisfied")
    await resolve(services, number)
    view = await services.complaints.followup_view(number, token)
    assert view.can_rate and not view.can_request_reopen and not view.can_supplement
    with pytest.raises(ValidationFailed):
        await services.complaints.rate(number, token, "great")
    with pytest.raises(NotFound):
        await services.complaints.rate(number, "wrong-token-1234", "dissatisfied")
    await services.complaints.rate(number, token, "dissatisfied", "只洒了一次水")
    with pytest.raises(Conflict, match="already rated"):
        await services.complaints.rate(number, token, "satisfied")
    view = await services.complaints.followup_view(number, token)
    assert view.rating == "dissatisfied" and view.rating_label == "不满意" and view.can_request_reopen
    assert view.reopen_until == clock.now() + timedelta(days=15)
    with pytest.raises(ValidationFailed, match="at least 5 characters"):
        await services.complaints.request_reopen(number, token, "没")
    await services.complaints.request_reopen(number, token, "第二天又开始扬尘，没有覆盖")
    detail = await services.complaints.detail(number)
    assert detail.attention == "reopen_request"
    assert [e.kind for e in detail.events][-2:] == ["rating", "reopen_requested"]
    with pytest.raises(Conflict, match="already been requested"):
        await services.complaints.request_reopen(number, token, "再申请一次可以吗")
    # Staff accept: the workflow's resolved -> reopened; the request is decided and the reporter told.
    await services.complaints.transition(number, "triager1", "reopened", public_message="已安排复查")
    view = await services.complaints.followup_view(number, token)
    assert view.reopen_decision == "accepted" and view.can_supplement
    assert (await services.complaints.detail(number)).attention is None
    async with services.db.session() as session:
        sent = [m.payload for m in await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert sent[-1]["event"] == "status" and sent[-1]["status"] == "reopened" and sent[-1]["message"] == "已安排复查"
    # Resolved again: a new rating for the new resolution.
    await services.complaints.transition(number, "triager1", "in_progress")
    clock.advance(timedelta(days=1))
    await services.complaints.transition(number, "triager1", "resolved")
    assert (await services.complaints.followup_view(number, token)).can_rate
    await services.complaints.rate(number, token, "satisfied")
    history = (await services.complaints.reporter_view(number, token)).history
    assert [h.status_label for h in history if h.kind == "rating"] == ["不满意", "满意"]
    assert "第二天又开始扬尘，没有覆盖" in [h.message for h in history]
    rows = {r.name: r for r in (await services.complaints.dashboard()).followup_by_category}
    dust = rows["施工扬尘"]
    assert (dust.resolved, dust.rated, dust.satisfied, dust.reopened) == (1, 2, 1, 1)
    assert dust.satisfaction_rate == 0.5 and dust.reopen_rate == 1.0


async def test_reopening_late_or_declined(services: Services, clock: FrozenClock) -> None:
    late, late_token = await submit(services)
    await resolve(services, late)
    await services.complaints.rate(late, late_token, "dissatisfied")
    clock.advance(timedelta(days=16))
    with pytest.raises(Conflict, match="More than 15 days"):
        await services.complaints.request_reopen(late, late_token, "还是有扬尘问题")
    number, token = await submit(services)
    await resolve(services, number)
    await services.complaints.rate(number, token, "dissatisfied")
    await services.complaints.request_reopen(number, token, "还是有扬尘问题")
    with pytest.raises(ValidationFailed):
        await services.complaints.decline_reopen(number, "triager1", "")
    detail = await services.complaints.decline_reopen(number, "triager1", "经复查已覆盖防尘网，现场照片见附件")
    assert detail.status == "resolved" and detail.attention is None
    with pytest.raises(NotFound):
        await services.complaints.decline_reopen(number, "triager1", "再拒绝一次可以吗")
    view = await services.complaints.followup_view(number, token)
    assert view.reopen_decision == "declined" and not view.can_request_reopen
    assert "经复查已覆盖防尘网" in (await services.complaints.reporter_view(number, token)).history[-1].message
    board = await services.complaints.dashboard()
    assert board.attention == 0


async def test_supplements_add_text_and_photos_while_open(services: Services) -> None:
    number, token = await submit(services)
    with pytest.raises(Conflict, match="Write something"):
        await services.complaints.supplement(number, token, "  ")
    await services.complaints.supplement(number, token, "晚上九点后更严重",
                                         [PhotoUpload(imaging.jpeg(640, 480), "夜间.jpg"), PhotoUpload(imaging.png(), "b.png")])
    detail = await services.complaints.detail(number)
    assert detail.attention == "supplement" and detail.photo_count == 2
    assert [p.n for p in detail.photos] == [1, 2] and detail.photos[0].filename == "夜间.jpg"
    event = detail.events[-1]
    assert (event.kind, event.actor, event.to_value, event.public_message) == ("supplement", "reporter", "1,2", "晚上九点后更严重")
    assert (await services.complaints.dashboard()).attention == 1
    await services.complaints.supplement(number, token, "", [PhotoUpload(imaging.jpeg(), "c.jpg")])
    assert [p.n for p in (await services.complaints.detail(number)).photos] == [1, 2, 3]
    with pytest.raises(ValidationFailed, match="At most 5 photos"):
        await services.complaints.supplement(number, token, "x", [PhotoUpload(imaging.jpeg(), f"{i}.jpg") for i in range(6)])
    with pytest.raises(ValidationFailed, match=r"at most 2000 characters \(it has 2001\)"):
        await services.complaints.supplement(number, token, "字" * 2001)
    await services.complaints.mark_seen(number, "triager1")
    assert (await services.complaints.detail(number)).attention is None
    await resolve(services, number)
    with pytest.raises(Conflict, match="no longer open"):
        await services.complaints.supplement(number, token, "办结后又来一条")
    async with services.db.session() as session:
        report = await session.scalar(select(Report).where(Report.tracking_number == number))
        assert report is not None and report.attention is None
