"""The complaints service against a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from civicdesk.container import Services
from complaints.models import Photo, Report, ReportEvent
from complaints.photos import PhotoRejected
from complaints.schemas import Channel, PhotoUpload, ReportFilters, ReportInput, TriageUpdate
from complaints.workflow import InvalidTransition, Status
from core.clock import FrozenClock
from core.errors import NotFound, ValidationFailed
from core.outbox import OutboxMessage
from tests import imaging

SITE = (30.2741, 120.1551)


def report(category: str = "dust", *, at: tuple[float, float] | None = SITE, **overrides: object) -> ReportInput:
    values: dict[str, object] = {
        "category": category,
        "description": "工地未覆盖裸土，风一吹全是灰，附近小区窗户都是尘土",
        "address": "城关镇人民路 18 号在建工地",
        "lat": at[0] if at else None,
        "lon": at[1] if at else None,
        "channel": Channel.TELEGRAM,
        "reporter_channel_id": "1001",
    }
    values.update(overrides)
    return ReportInput(**values)


async def count(services: Services, model: type) -> int:
    async with services.db.session() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_categories_are_seeded_with_departments(services: Services) -> None:
    categories = {c.name_zh: c for c in await services.complaints.categories()}
    for name in ("拖欠农民工工资", "施工扬尘", "夜间施工噪声", "施工安全隐患", "无证施工/违法建设",
                 "工程质量问题", "建筑垃圾/渣土", "其他"):
        assert name in categories
    assert categories["拖欠农民工工资"].default_department == "县人力资源和社会保障局"
    # Seeding twice changes nothing.
    await services.complaints.ensure_seed_data()
    assert len(await services.complaints.categories()) == len(categories)


async def test_submit_stores_report_photos_and_deadline(services: Services, clock: FrozenClock) -> None:
    photo = imaging.jpeg(gps=(31.2304, 121.4737))
    result = await services.complaints.submit(report(at=None), [PhotoUpload(photo, "site.jpg")])
    assert result.tracking_number == "2026-000001"
    assert result.status == "submitted"
    assert result.acceptance_due_at == clock.now() + timedelta(days=15)
    assert len(result.status_token) >= 24

    detail = await services.complaints.detail(result.tracking_number)
    assert detail.category.code == "dust"
    assert detail.department == "县住建局执法大队"
    assert detail.photo_count == 1 and detail.photos[0].width == 640
    # No coordinates from the reporter: the photo's GPS becomes a hint for staff.
    assert detail.lat is None
    assert detail.location_hint == pytest.approx((31.2304, 121.4737), abs=1e-4)
    assert [e.kind for e in detail.events] == ["created"]

    view = await services.complaints.reporter_view(result.tracking_number, result.status_token)
    assert view.status == "submitted" and view.status_label == "已提交，待受理"
    assert view.due_at == result.acceptance_due_at


async def test_public_copy_has_no_exif_and_original_is_kept(services: Services) -> None:
    from PIL import Image
    import io

    photo = imaging.jpeg(gps=(31.2, 121.4))
    result = await services.complaints.submit(report(), [PhotoUpload(photo, "a.jpg")])
    public_key, mime = await services.complaints.public_photo(result.tracking_number, 1, result.status_token)
    assert mime == "image/jpeg"
    public = Image.open(io.BytesIO(services.photos.get(public_key)))
    assert not public.getexif()
    original_key, _ = await services.complaints.original_photo(result.tracking_number, 1)
    assert services.photos.get(original_key) == photo
    assert original_key.startswith("private/") and public_key.startswith("public/")


async def test_tracking_numbers_are_sequential_per_year(services: Services, clock: FrozenClock) -> None:
    numbers = [(await services.complaints.submit(report())).tracking_number for _ in range(3)]
    assert numbers == ["2026-000001", "2026-000002", "2026-000003"]
    # The year is the bureau's (Shanghai) year: 16:30 UTC on 31 Dec is already 1 Jan there.
    clock.set(datetime(2026, 12, 31, 16, 30, tzinfo=UTC))
    assert (await services.complaints.submit(report())).tracking_number == "2027-000001"


async def test_bad_submissions_are_refused_and_store_nothing(services: Services) -> None:
    with pytest.raises(ValidationFailed) as err:
        await services.complaints.submit(report("no-such-category"))
    assert err.value.code == "unknown_category" and "施工扬尘" in err.value.message_zh
    with pytest.raises(PhotoRejected):
        await services.complaints.submit(report(), [PhotoUpload(b"not an image at all", "x.jpg")])
    with pytest.raises(ValidationFailed) as err:
        await services.complaints.submit(report(), [PhotoUpload(imaging.jpeg(), f"{i}.jpg") for i in range(6)])
    assert err.value.code == "too_many_photos"
    # A good photo followed by a bad one: the good one must not be left behind either.
    with pytest.raises(PhotoRejected):
        await services.complaints.submit(
            report(), [PhotoUpload(imaging.jpeg(color=(1, 2, 3)), "ok.jpg"), PhotoUpload(b"GIF89a....", "b.gif")]
        )
    assert await count(services, Report) == 0
    assert await count(services, Photo) == 0
    photo_files = [p for p in services.settings.resolved_photos_dir.rglob("*") if p.is_file()]
    assert photo_files == []


async def test_failed_database_write_removes_new_photo_files(services: Services, monkeypatch) -> None:
    async def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("database went away")

    monkeypatch.setattr(services.complaints.intake, "_insert_report", broken)
    with pytest.raises(RuntimeError):
        await services.complaints.submit(report(), [PhotoUpload(imaging.jpeg(), "a.jpg")])
    assert [p for p in services.settings.resolved_photos_dir.rglob("*") if p.is_file()] == []


async def test_workflow_with_audit_trail_and_public_history(services: Services, clock: FrozenClock) -> None:
    submitted = await services.complaints.submit(report())
    number = submitted.tracking_number
    with pytest.raises(InvalidTransition):
        await services.complaints.transition(number, "alice", "resolved")

    clock.advance(timedelta(days=2))
    detail = await services.complaints.transition(number, "alice", "accepted", note="内部：属实",
                                                  public_message="您的举报已受理")
    assert detail.accepted_at == clock.now()
    assert detail.handling_due_at == clock.now() + timedelta(days=60)
    await services.complaints.update_triage(number, "alice", TriageUpdate(priority="high", assignee="bob"))
    await services.complaints.transition(number, "alice", "assigned")
    await services.complaints.add_note(number, "bob", "已联系施工单位负责人")
    await services.complaints.add_note(number, "bob", "执法人员已到现场检查", public=True)
    await services.complaints.transition(number, "bob", "in_progress")
    await services.complaints.transition(number, "bob", "resolved", public_message="已责令覆盖裸土并洒水降尘")
    await services.complaints.transition(number, "bob", "reopened", note="群众反映仍有扬尘")
    await services.complaints.transition(number, "bob", "in_progress")
    await services.complaints.transition(number, "bob", "resolved")
    final = await services.complaints.transition(number, "alice", "closed")

    kinds = [(e.kind, e.actor, e.from_value, e.to_value) for e in final.events]
    assert kinds[0] == ("created", "reporter", None, "submitted")
    assert ("status", "alice", "submitted", "accepted") in kinds
    assert ("priority", "alice", "normal", "high") in kinds
    assert ("assignee", "alice", None, "bob") in kinds
    assert ("status", "bob", "resolved", "reopened") in kinds
    assert final.status == "closed" and final.closed_at == clock.now()

    view = await services.complaints.reporter_view(number, submitted.status_token)
    messages = [h.message for h in view.history if h.message]
    assert messages == ["您的举报已受理", "执法人员已到现场检查", "已责令覆盖裸土并洒水降尘"]
    # Internal notes never reach the reporter.
    dumped = view.model_dump_json()
    assert "内部" not in dumped and "已联系施工单位负责人" not in dumped and "群众反映" not in dumped


async def test_rejecting_needs_a_reason_and_assigning_needs_a_department(services: Services) -> None:
    number = (await services.complaints.submit(report())).tracking_number
    with pytest.raises(ValidationFailed) as err:
        await services.complaints.transition(number, "alice", "rejected")
    assert err.value.code == "reason_required"
    await services.complaints.transition(number, "alice", "accepted")
    await services.complaints.update_triage(number, "alice", TriageUpdate(department=""))
    with pytest.raises(ValidationFailed) as err:
        await services.complaints.transition(number, "alice", "assigned")
    assert err.value.code == "department_required"


async def test_category_change_reroutes_default_department(services: Services) -> None:
    number = (await services.complaints.submit(report("dust"))).tracking_number
    detail = await services.complaints.update_triage(number, "alice", TriageUpdate(category="unpaid_wages"))
    assert detail.category.code == "unpaid_wages"
    assert detail.department == "县人力资源和社会保障局"
    assert [(e.kind, e.from_value, e.to_value) for e in detail.events[1:]] == [
        ("category", "dust", "unpaid_wages"),
        ("department", "县住建局执法大队", "县人力资源和社会保障局"),
    ]


async def test_overdue_and_extension(services: Services, clock: FrozenClock) -> None:
    late = (await services.complaints.submit(report())).tracking_number
    handled = (await services.complaints.submit(report("night_noise", at=None))).tracking_number
    await services.complaints.transition(handled, "alice", "accepted")
    clock.advance(timedelta(days=16))
    assert [r.tracking_number for r in await services.complaints.overdue()] == [late]
    clock.advance(timedelta(days=45))  # 61 days after acceptance
    assert {r.tracking_number for r in await services.complaints.overdue()} == {late, handled}

    detail = await services.complaints.extend_deadline(handled, "alice", 30, "涉及多个部门，需联合执法")
    assert detail.extension_days == 30
    assert handled not in {r.tracking_number for r in await services.complaints.overdue()}
    with pytest.raises(ValidationFailed):
        await services.complaints.extend_deadline(handled, "alice", 1, "再延一天")
    page = await services.complaints.search(ReportFilters(overdue=False))
    assert [r.tracking_number for r in page.items] == [handled]


async def test_duplicates_same_category_near_and_recent(services: Services, clock: FrozenClock) -> None:
    first = (await services.complaints.submit(report())).tracking_number
    clock.advance(timedelta(days=3))
    # ~110 m north: a candidate. ~330 m: too far. Other category: not a duplicate.
    near = await services.complaints.submit(report(at=(SITE[0] + 0.001, SITE[1])))
    far = await services.complaints.submit(report(at=(SITE[0] + 0.003, SITE[1])))
    other = await services.complaints.submit(report("night_noise"))
    assert (near.duplicate_candidates, far.duplicate_candidates, other.duplicate_candidates) == (1, 0, 0)
    detail = await services.complaints.detail(near.tracking_number)
    assert [(d.tracking_number, round(d.distance_m)) for d in detail.duplicate_candidates] == [(first, 111)]
    # 15 days later the first report is outside the window; `near` (12 days old) still counts.
    clock.advance(timedelta(days=12))
    late = await services.complaints.submit(report())
    late_detail = await services.complaints.detail(late.tracking_number)
    assert [d.tracking_number for d in late_detail.duplicate_candidates] == [near.tracking_number]


async def test_merge_makes_duplicate_follow_primary_and_notifies(services: Services) -> None:
    primary = await services.complaints.submit(report(reporter_channel_id="1001"))
    dup = await services.complaints.submit(report(at=(SITE[0] + 0.0005, SITE[1]), reporter_channel_id="2002"))
    web = await services.complaints.submit(report(channel=Channel.WEB, reporter_channel_id=None))
    merged = await services.complaints.merge(dup.tracking_number, primary.tracking_number, "alice", "同一工地")
    assert merged.merged_reports == [dup.tracking_number]
    with pytest.raises(ValidationFailed):
        await services.complaints.merge(dup.tracking_number, primary.tracking_number, "alice")
    with pytest.raises(ValidationFailed):
        await services.complaints.merge(primary.tracking_number, primary.tracking_number, "alice")
    await services.complaints.merge(web.tracking_number, primary.tracking_number, "alice")

    await services.complaints.transition(primary.tracking_number, "alice", "accepted", public_message="已受理")
    view = await services.complaints.reporter_view(dup.tracking_number, dup.status_token)
    assert view.status == "accepted" and view.merged_into == primary.tracking_number
    assert any(h.message == "已受理" for h in view.history)
    with pytest.raises(ValidationFailed) as err:
        await services.complaints.transition(dup.tracking_number, "alice", "accepted")
    assert err.value.code == "report_merged"

    async with services.db.session() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    sent = [(m.recipient, m.payload["event"], m.payload["tracking_number"], m.payload["status"]) for m in rows]
    # Telegram reporters only (the web reporter reads the status page), the duplicate's reporter too.
    assert sent == [
        ("2002", "merge", dup.tracking_number, "submitted"),
        ("1001", "status", primary.tracking_number, "accepted"),
        ("2002", "status", dup.tracking_number, "accepted"),
    ]


async def test_reporter_view_needs_the_right_token(services: Services) -> None:
    a = await services.complaints.submit(report())
    b = await services.complaints.submit(report())
    with pytest.raises(NotFound):
        await services.complaints.reporter_view(a.tracking_number, b.status_token)
    with pytest.raises(NotFound):
        await services.complaints.reporter_view("2026-999999", a.status_token)
    mine = await services.complaints.reports_of_channel_user("telegram", "1001")
    assert [r.tracking_number for r in mine] == [b.tracking_number, a.tracking_number]
    with pytest.raises(NotFound):
        await services.complaints.reporter_view_for_channel_user(a.tracking_number, "telegram", "9999")


async def test_anonymous_reports_keep_no_identity(services: Services) -> None:
    result = await services.complaints.submit(
        report(anonymous=True, contact_name="张三", contact_phone="13800000000")
    )
    detail = await services.complaints.detail(result.tracking_number)
    assert detail.reporter.anonymous and detail.reporter.name is None and detail.reporter.phone is None
    assert detail.reporter.channel_user_id is None


async def test_search_filters_text_and_pagination(services: Services, clock: FrozenClock) -> None:
    for i in range(7):
        await services.complaints.submit(report(description=f"第{i}号工地 夜里十二点还在打桩", category="night_noise"))
        clock.advance(timedelta(hours=1))
    special = await services.complaints.submit(report(description="塔吊下方没有安全网 100%危险_", category="safety_hazard"))
    page = await services.complaints.search(ReportFilters(category="night_noise"), page=2, per_page=3)
    assert page.total == 7 and len(page.items) == 3
    assert page.items[0].tracking_number == "2026-000004"  # newest first: 7,6,5 | 4,3,2 | 1
    assert (await services.complaints.search(ReportFilters(q="安全网"))).items[0].tracking_number == special.tracking_number
    # LIKE wildcards in the query are taken literally.
    assert (await services.complaints.search(ReportFilters(q="100%危险_"))).total == 1
    assert (await services.complaints.search(ReportFilters(q="%"))).total == 1
    assert (await services.complaints.search(ReportFilters(status=["accepted"]))).total == 0
    by_date = await services.complaints.search(ReportFilters(created_to=clock.now() - timedelta(hours=5)))
    assert [r.tracking_number for r in by_date.items] == ["2026-000002", "2026-000001"]  # created_to is exclusive
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(ReportEvent)) == 8


async def test_dashboard_numbers(services: Services, clock: FrozenClock) -> None:
    await services.complaints.submit(report())
    clock.advance(timedelta(days=7))
    second = await services.complaints.submit(report("unpaid_wages"))
    clock.advance(timedelta(days=2))
    await services.complaints.transition(second.tracking_number, "alice", "accepted")
    clock.advance(timedelta(days=7))  # the first report is now 16 days old and not accepted
    third = await services.complaints.submit(report())
    await services.complaints.transition(third.tracking_number, "alice", "accepted")
    board = await services.complaints.dashboard()
    assert board.total == 3
    assert board.by_status == {"submitted": 1, "accepted": 2}
    assert board.by_category == {"施工扬尘": 2, "拖欠农民工工资": 1}
    assert board.by_department["县住建局执法大队"] == 2
    assert board.new_today == 1 and board.overdue == 1
    assert board.median_days_to_acceptance == 1.0  # median of 2 days and 0 days
    assert len(board.per_week) == 12 and sum(w.count for w in board.per_week) == 3
    assert board.per_week[-1].count >= 1


async def test_csv_export_opens_in_excel(services: Services) -> None:
    await services.complaints.submit(report(description='他说："晚上十点后还在施工", 还有逗号'))
    text = await services.complaints.export_csv(ReportFilters())
    assert text.startswith("\ufeff")
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "编号 tracking_number" and len(rows) == 2
    assert rows[1][0] == "2026-000001" and rows[1][1] == "施工扬尘"
    assert rows[1][8] == '他说："晚上十点后还在施工", 还有逗号'


async def test_photos_checked_on_arrival_are_not_decoded_again(services: Services, monkeypatch) -> None:
    from complaints.service import intake as service_module
    from complaints.photos import PhotoLimits, process_photo

    checked = process_photo(imaging.jpeg(gps=(30.1, 120.2)), PhotoLimits.from_settings(services.settings), "a.jpg")

    def must_not_run(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("an already checked photo was processed again")

    monkeypatch.setattr(service_module, "check_photo", must_not_run)  # the bounded-pool decode
    result = await services.complaints.submit(report(at=None), [checked])
    detail = await services.complaints.detail(result.tracking_number)
    assert detail.photos[0].gps_lat == pytest.approx(30.1) and detail.location_hint is not None


async def test_count_reports_since(services: Services, clock: FrozenClock) -> None:
    await services.complaints.submit(report())
    clock.advance(timedelta(minutes=61))
    since = clock.now() - timedelta(hours=1)
    await services.complaints.submit(report())
    await services.complaints.submit(report(reporter_channel_id="someone-else"))
    assert await services.complaints.count_reports_since("telegram", "1001", since) == 1


async def test_overdue_in_sql_agrees_with_the_python_rule(services: Services, clock: FrozenClock) -> None:
    """Every status, just before and just after its deadline: the staff filter (SQL) and the
    `overdue` flag on each summary (Python) come from one definition and must agree."""
    from complaints.deadlines import is_overdue, overdue_clause

    numbers = []
    for _ in Status:
        numbers.append((await services.complaints.submit(report())).tracking_number)
    async with services.db.write_session() as session:
        rows = list(await session.scalars(select(Report).where(Report.tracking_number.in_(numbers))))
        for row, status in zip(sorted(rows, key=lambda r: r.tracking_number), Status, strict=True):
            row.status = status.value
            row.handling_due_at = clock.now() + timedelta(days=1)
    for moment in (clock.now(), clock.now() + timedelta(days=16), clock.now() + timedelta(days=90)):
        async with services.db.session() as session:
            rows = list(await session.scalars(select(Report)))
            late_sql = set(await session.scalars(select(Report.tracking_number).where(overdue_clause(moment))))
        late_py = {
            r.tracking_number for r in rows
            if is_overdue(r.status, r.acceptance_due_at, r.handling_due_at, moment)
        }
        assert late_sql == late_py
    assert late_py  # the last moment has overdue reports in several statuses
