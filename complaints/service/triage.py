"""Triage: what staff change on a report. The rules for status changes are in `workflow.py` and
the deadline rules in `deadlines.py`; this module applies them in a transaction, records the
audit trail and tells the reporters."""

from __future__ import annotations

from sqlalchemy import select

from core.clock import Clock
from core.db import Database
from accounts import departments as department_rules
from accounts.scope import BUREAU, Scope
from core import outbox
from core.errors import PermissionDenied, ValidationFailed

from ..messages import StaffAlert
from ..models import Report
from ..policy import ComplaintPolicy
from ..publication import check_can_publish, clean_outcome
from ..schemas import ReportDetail, TriageUpdate
from ..workflow import OPEN_STATUSES, Status, apply_transition
from .alerts import alert_priority
from .followup import accept_pending_reopen
from .queries import Queries
from .records import CategoryBook, add_event, notify_followers, notify_reporter, report_by_number


class Triage:
    def __init__(
        self, db: Database, policy: ComplaintPolicy, clock: Clock, categories: CategoryBook, queries: Queries
    ):
        self.db = db
        self.policy = policy
        self.clock = clock
        self.categories = categories
        self.queries = queries

    async def transition(
        self, tracking_number: str, actor: str, to: str, note: str | None = None, public_message: str | None = None,
        scope: Scope = BUREAU, public_outcome: str | None = None,
    ) -> ReportDetail:
        """`public_outcome`, only when resolving: the outcome text for the public results page."""
        outcome = clean_outcome(public_outcome)
        async with self.db.write_session() as session:
            report = await report_by_number(session, tracking_number, scope=scope, lock=True)
            now = self.clock.now()
            previous = report.status
            public_message = (public_message or "").strip() or None
            target = apply_transition(report, to, now, self.policy.deadlines, public_message)
            if outcome is not None:
                check_can_publish(target.value)
            await accept_pending_reopen(session, report, actor, target.value)
            add_event(session, report, "status", actor, now, previous, target.value, note, public_message)
            if outcome is not None and outcome != report.public_outcome:
                add_event(session, report, "public_outcome", actor, now, note=outcome)
                report.public_outcome = outcome
            await notify_followers(session, report, "status", public_message, now)
        return await self.queries.detail(tracking_number, scope)

    async def set_public_outcome(self, tracking_number: str, actor: str, text: str | None,
                                 scope: Scope = BUREAU) -> ReportDetail:
        """Publish, correct or withdraw (empty) a resolved report's public outcome; audited."""
        outcome = clean_outcome(text)
        async with self.db.write_session() as session:
            report = await report_by_number(session, tracking_number, scope=scope, lock=True)
            check_can_publish(report.status)
            if outcome != report.public_outcome:
                now = self.clock.now()
                add_event(session, report, "public_outcome", actor, now, note=outcome)
                report.public_outcome = outcome
                report.updated_at = now
        return await self.queries.detail(tracking_number, scope)

    async def update_triage(self, tracking_number: str, actor: str, changes: TriageUpdate,
                            scope: Scope = BUREAU) -> ReportDetail:
        async with self.db.write_session() as session:
            report = await report_by_number(session, tracking_number, scope=scope, lock=True)
            now = self.clock.now()
            changed = False
            old_priority = report.priority
            if changes.category is not None:
                category = await self.categories.row(changes.category, session)
                if category.id != report.category_id:
                    old = report.category
                    add_event(session, report, "category", actor, now, old.code, category.code, changes.note)
                    # Follow the new category's default department unless staff chose one by hand.
                    if changes.department is None and report.department_id == old.department_id:
                        changes = changes.model_copy(update={"department": category.default_department or ""})
                    report.category_id, report.category = category.id, category
                    changed = True
            if changes.department is not None:
                target = (await department_rules.find(session, changes.department, active_only=False)
                          if changes.department else None)
                if (target.id if target else None) != report.department_id:
                    if target is not None and not target.active:  # no new reports for an inactive one
                        target = await department_rules.find(session, changes.department)
                    # Routing within the account's departments; moving a report out of them is a
                    # transfer (转办), which needs a reason.
                    if not scope.allows(target.id if target else None):
                        raise PermissionDenied(
                            "要把举报交给您所在部门以外的部门，请使用“转办”并说明理由",
                            "To hand a report to a department outside yours, transfer it with a reason",
                            code="transfer_required",
                        )
                    add_event(session, report, "department", actor, now, report.department,
                              target.name if target else None, changes.note)
                    report.department_id, report.department_row = (target.id, target) if target else (None, None)
                    changed = True
            for field in ("priority", "assignee"):
                value = getattr(changes, field)
                if value is None:
                    continue
                value = value or None  # "" clears the assignee (TriageUpdate checked priority)
                if getattr(report, field) != value:
                    add_event(session, report, field, actor, now, getattr(report, field), value, changes.note)
                    setattr(report, field, value)
                    changed = True
            if not changed and changes.note:
                add_event(session, report, "note", actor, now, note=changes.note)
            report.updated_at = now
            await alert_priority(session, report, old_priority, actor, now)
        return await self.queries.detail(tracking_number, scope)

    async def transfer(self, tracking_number: str, actor: str, department: str, reason: str,
                       scope: Scope = BUREAU) -> ReportDetail:
        """转办: hand a report to another department with a reason; audited, and the receiving
        department's staff chat (when it has one) is told through the outbox. A scoped sender no
        longer sees the report afterwards; the detail returned is the one they just acted on."""
        reason = (reason or "").strip()
        if not reason:
            raise ValidationFailed("转办须说明理由", "A transfer needs a reason", code="reason_required")
        async with self.db.write_session() as session:
            report = await report_by_number(session, tracking_number, scope=scope, lock=True)
            target = await department_rules.find(session, department)
            if target.id == report.department_id:
                raise ValidationFailed(f"该举报已由{target.name}承办", f"The report is already with {target.name}",
                                       code="same_department")
            now = self.clock.now()
            previous = report.department
            add_event(session, report, "transfer", actor, now, previous, target.name, reason)
            report.department_id, report.department_row = target.id, target
            report.updated_at = now
            if target.telegram_chat_id:
                outbox.enqueue(session, channel="telegram", recipient=target.telegram_chat_id, now=now,
                               message=StaffAlert(alert="transfer", tracking_number=report.tracking_number,
                                                  department=target.name, from_department=previous,
                                                  reason=reason, actor=actor))
        return await self.queries.detail(tracking_number)

    async def add_note(self, tracking_number: str, actor: str, text: str, public: bool = False,
                       scope: Scope = BUREAU) -> ReportDetail:
        text = (text or "").strip()
        if not text:
            raise ValidationFailed("内容不能为空", "The text must not be empty", code="empty_note")
        async with self.db.write_session() as session:
            report = await report_by_number(session, tracking_number, scope=scope, lock=True)
            now = self.clock.now()
            if public:
                add_event(session, report, "reply", actor, now, public_message=text)
                await notify_followers(session, report, "reply", text, now)
            else:
                add_event(session, report, "note", actor, now, note=text)
            report.updated_at = now
        return await self.queries.detail(tracking_number, scope)

    async def extend_deadline(self, tracking_number: str, actor: str, days: int, reason: str,
                              scope: Scope = BUREAU) -> ReportDetail:
        deadlines = self.policy.deadlines
        async with self.db.write_session() as session:
            report = await report_by_number(session, tracking_number, scope=scope, lock=True)
            deadlines.check_extension(report.status, report.extension_days, days, reason)
            now = self.clock.now()
            old_due = report.handling_due_at
            report.extension_days += days
            report.handling_due_at = deadlines.handling_due(report.accepted_at, report.extension_days)  # type: ignore[arg-type]
            report.updated_at = now
            reason = reason.strip()
            add_event(
                session, report, "extension", actor, now,
                old_due.isoformat() if old_due else None, report.handling_due_at.isoformat(), reason, reason,
            )
            await notify_followers(session, report, "extension", reason, now)
        return await self.queries.detail(tracking_number, scope)

    async def merge(self, duplicate_number: str, primary_number: str, actor: str, note: str | None = None,
                    scope: Scope = BUREAU) -> ReportDetail:
        """Fold a duplicate into a primary report; the duplicate's reporter then follows the primary."""
        if duplicate_number == primary_number:
            raise ValidationFailed("不能把举报合并到它自己", "A report cannot be merged into itself", code="merge_self")
        async with self.db.write_session() as session:
            duplicate = await report_by_number(session, duplicate_number, scope=scope, lock=True)
            primary = await report_by_number(session, primary_number, scope=scope, lock=True)
            if duplicate.merged_into_id is not None:
                raise ValidationFailed("该举报已经合并过", "This report is already merged", code="already_merged")
            if primary.merged_into_id is not None:
                raise ValidationFailed(
                    f"目标举报已合并到 {primary.merged_into.tracking_number if primary.merged_into else ''}，请合并到最终的主举报",
                    "The target was itself merged; merge into its primary report instead",
                    code="target_merged",
                )
            if Status(duplicate.status) not in OPEN_STATUSES or Status(primary.status) in (Status.REJECTED,):
                raise ValidationFailed(
                    "只能合并仍在办理中的举报，且主举报不能是不予受理状态",
                    "Only open reports can be merged, and not into a rejected report",
                    code="merge_not_allowed",
                )
            now = self.clock.now()
            # Reports already merged into the duplicate move to the primary: no chains.
            for child in await session.scalars(select(Report).where(Report.merged_into_id == duplicate.id)):
                child.merged_into_id = primary.id
            previous = duplicate.status
            duplicate.status = Status.MERGED.value
            duplicate.merged_into_id = primary.id
            duplicate.merged_into = primary
            duplicate.updated_at = now
            add_event(session, duplicate, "merge", actor, now, previous, primary.tracking_number, note)
            add_event(session, primary, "merged_in", actor, now, None, duplicate.tracking_number, note)
            await notify_reporter(session, duplicate, primary, "merge", None, now)
        return await self.queries.detail(primary_number, scope)
