"""The complaints tracker's service: one facade over three jobs.

- `intake.py`: a citizen's report and photos become a numbered report (and duplicate candidates);
- `triage.py`: what staff change (status, fields, notes, extensions, merges);
- `queries.py`: what reporters and staff read (status views, lists, detail, dashboard, CSV).

The rules themselves live beside the service: statuses, transitions, their guards and effects in
`complaints/workflow.py`; deadlines and "overdue" in `complaints/deadlines.py`; photo checks in
`complaints/photos/`. The API, the portal and the bot call `ComplaintService` and only translate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from accounts.scope import BUREAU, Scope
from core.clock import Clock
from core.contacts import ContactKeys
from core.ids import new_token
from core.db import Database

from ..photos import ProcessedPhoto
from ..policy import ComplaintPolicy
from ..schemas import (
    CategoryOut,
    FollowupView,
    Page,
    PhotoUpload,
    PublicReport,
    ReportDetail,
    ReporterView,
    ReportFilters,
    ReportInput,
    ReportSummary,
    ResultFilters,
    ResultsPage,
    SubmitResult,
    TriageUpdate,
)
from ..staff_map import MAP_LIMIT, StaffMap
from ..stats import Dashboard
from ..storage import PhotoStore
from .alerts import AlertRound, StaffAlerts
from .followup import Followup
from .intake import Intake
from .public_reports import PublicReportQuery, PublicReports
from .queries import EXPORT_LIMIT, PUBLIC_KINDS, Queries
from .results import PublicResults
from .records import PUSH_CHANNELS, REPORTER, SYSTEM, CategoryBook, ChannelUser, Reporter, VerifiedPhone
from .triage import Triage

__all__ = [
    "EXPORT_LIMIT", "PUBLIC_KINDS", "ChannelUser", "PUSH_CHANNELS", "REPORTER", "SYSTEM", "VerifiedPhone",
    "ComplaintPolicy", "ComplaintService", "PublicReportQuery",
]


class ComplaintService:
    def __init__(self, db: Database, store: PhotoStore, policy: ComplaintPolicy, clock: Clock,
                 contact_keys: ContactKeys | None = None):
        self.db = db
        # Seals the status token for e-mail/SMS links (core/contacts.py); a throwaway key where the
        # caller has no app secret (scripts, tests), so links then last as long as the process.
        self.contact_keys = contact_keys or ContactKeys(new_token())
        self.store = store
        self.policy = policy
        self.clock = clock
        self.category_book = CategoryBook(db, policy.category_departments, clock)
        self.queries = Queries(db, clock, policy.bureau_time)
        self.intake = Intake(db, store, policy, clock, self.category_book, self.contact_keys)
        self.triage = Triage(db, policy, clock, self.category_book, self.queries)
        self.followup = Followup(db, policy.followup, clock, self.intake)
        self.alerts = StaffAlerts(db, policy.alerts, clock, policy.bureau_time)
        self.results = PublicResults(db, clock, policy.bureau_time)
        self.public = PublicReports(db, self.category_book)

    # --- set-up ------------------------------------------------------------------------------
    async def ensure_seed_data(self) -> None:
        await self.category_book.seed()

    async def categories(self) -> list[CategoryOut]:
        return await self.category_book.all()

    # --- intake ------------------------------------------------------------------------------
    async def submit(self, data: ReportInput, photos: Sequence[PhotoUpload | ProcessedPhoto] = ()) -> SubmitResult:
        return await self.intake.submit(data, photos)

    def check_photo_count(self, count: int) -> None:
        self.intake.check_photo_count(count)

    # --- queries: the reporter's side ----------------------------------------------------------
    async def reporter_view(self, tracking_number: str, token: str, lang: str = "zh") -> ReporterView:
        return await self.queries.reporter_view(tracking_number, token, lang)

    async def reporter_view_for_channel_user(
        self, tracking_number: str, channel: str, channel_user_id: str, lang: str = "zh"
    ) -> ReporterView:
        return await self.queries.reporter_view_for_channel_user(tracking_number, channel, channel_user_id, lang)

    async def reports_of_channel_user(
        self, channel: str, channel_user_id: str, limit: int = 20, lang: str = "zh"
    ) -> list[ReporterView]:
        return await self.queries.reports_of_channel_user(channel, channel_user_id, limit, lang)

    async def reports_of_phone(self, digits: str, limit: int = 50, lang: str = "zh") -> list[ReporterView]:
        return await self.queries.reports_of_phone(digits, limit, lang)

    async def reporter_view_for_phone(self, tracking_number: str, digits: str, lang: str = "zh") -> ReporterView:
        return await self.queries.reporter_view_for_phone(tracking_number, digits, lang)

    async def count_reports_since(self, channel: str, channel_user_id: str, since: datetime) -> int:
        return await self.queries.count_reports_since(channel, channel_user_id, since)

    async def public_photo(self, tracking_number: str, n: int, token: str | None,
                           scope: Scope = BUREAU) -> tuple[str, str]:
        return await self.queries.public_photo(tracking_number, n, token, scope)

    async def public_photo_for_phone(self, tracking_number: str, n: int, digits: str) -> tuple[str, str]:
        return await self.queries.public_photo_for_phone(tracking_number, n, digits)

    async def original_photo(self, tracking_number: str, n: int, scope: Scope = BUREAU) -> tuple[str, str]:
        return await self.queries.original_photo(tracking_number, n, scope)

    # --- queries: staff (a scoped account passes its Scope: other departments' reports are 404) ---
    async def search(self, filters: ReportFilters, page: int = 1, per_page: int = 25,
                     scope: Scope = BUREAU) -> Page[ReportSummary]:
        return await self.queries.search(filters, page, per_page, scope)

    async def detail(self, tracking_number: str, scope: Scope = BUREAU) -> ReportDetail:
        return await self.queries.detail(tracking_number, scope)

    async def dashboard(self, scope: Scope = BUREAU) -> Dashboard:
        return await self.queries.dashboard(scope)

    async def export_csv(self, filters: ReportFilters, limit: int = EXPORT_LIMIT, scope: Scope = BUREAU) -> str:
        return await self.queries.export_csv(filters, limit, scope)

    async def map_reports(self, filters: ReportFilters, limit: int = MAP_LIMIT, scope: Scope = BUREAU) -> StaffMap:
        """The staff map: matching reports with a point, and how many match with and without one."""
        return await self.queries.map_reports(filters, limit, scope)

    async def overdue(self, limit: int = 500, scope: Scope = BUREAU) -> list[ReportSummary]:
        return await self.queries.overdue(limit, scope)

    # --- triage --------------------------------------------------------------------------------
    async def transition(
        self, tracking_number: str, actor: str, to: str, note: str | None = None, public_message: str | None = None,
        scope: Scope = BUREAU, public_outcome: str | None = None,
    ) -> ReportDetail:
        return await self.triage.transition(tracking_number, actor, to, note, public_message, scope, public_outcome)

    async def set_public_outcome(self, tracking_number: str, actor: str, text: str | None,
                                 scope: Scope = BUREAU) -> ReportDetail:
        return await self.triage.set_public_outcome(tracking_number, actor, text, scope)

    async def update_triage(self, tracking_number: str, actor: str, changes: TriageUpdate,
                            scope: Scope = BUREAU) -> ReportDetail:
        return await self.triage.update_triage(tracking_number, actor, changes, scope)

    async def transfer(self, tracking_number: str, actor: str, department: str, reason: str,
                       scope: Scope = BUREAU) -> ReportDetail:
        return await self.triage.transfer(tracking_number, actor, department, reason, scope)

    async def add_note(self, tracking_number: str, actor: str, text: str, public: bool = False,
                       scope: Scope = BUREAU) -> ReportDetail:
        return await self.triage.add_note(tracking_number, actor, text, public, scope)

    async def extend_deadline(self, tracking_number: str, actor: str, days: int, reason: str,
                              scope: Scope = BUREAU) -> ReportDetail:
        return await self.triage.extend_deadline(tracking_number, actor, days, reason, scope)

    async def merge(self, duplicate_number: str, primary_number: str, actor: str, note: str | None = None,
                    scope: Scope = BUREAU) -> ReportDetail:
        return await self.triage.merge(duplicate_number, primary_number, actor, note, scope)

    async def set_category_department(self, category: str, department: str | None) -> CategoryOut:
        """Route new reports of a category to a department (an admin's choice, kept until the
        settings name another)."""
        return await self.category_book.set_department(category, department)

    # --- public results (行政执法公示) ------------------------------------------------------------
    async def public_results(self, filters: ResultFilters, page: int = 1, per_page: int = 20) -> ResultsPage:
        """Resolved cases, anonymised, and the monthly figures."""
        return await self.results.page(filters, page, per_page)

    # --- public reports (Open311, open-data feeds) -------------------------------------------
    async def public_reports(self, query: PublicReportQuery, offset: int = 0, limit: int = 1000,
                             count: bool = False) -> tuple[list[PublicReport], int | None]:
        """Every report as the public may see it (complaints/publication.py), newest first."""
        return await self.public.search(query, offset, limit, count)

    async def public_report(self, tracking_number: str) -> PublicReport:
        return await self.public.get(tracking_number)

    async def number_for_token(self, token: str, channel: str) -> str:
        return await self.public.number_for_token(token, channel)

    # --- staff alerts (the job runner calls this) -------------------------------------------------
    async def due_alerts(self, now: datetime | None = None) -> AlertRound:
        """Deadline alerts and the daily overdue digest that are due, each sent once."""
        return await self.alerts.due(now)

    # --- follow-up: 回访, reopening, supplements -------------------------------------------------
    async def followup_view(self, tracking_number: str, who: Reporter, lang: str = "zh") -> FollowupView:
        """`who`: the report's status token, or `ChannelUser` for a report sent through a chat channel."""
        return await self.followup.view(tracking_number, who, lang)

    async def sms_updates(self, tracking_number: str, who: Reporter) -> bool | None:
        """Whether the reporter gets SMS updates: True, False once stopped, None if never asked."""
        return await self.followup.sms_updates(tracking_number, who)

    async def stop_sms(self, tracking_number: str, who: Reporter) -> int:
        """Stop the report's SMS updates (the status page's button); how many numbers were stopped."""
        return await self.followup.stop_sms(tracking_number, who)

    async def rate(self, tracking_number: str, who: Reporter, rating: str, comment: str | None = None) -> None:
        await self.followup.rate(tracking_number, who, rating, comment)

    async def comment_rating(self, tracking_number: str, who: Reporter, comment: str) -> None:
        await self.followup.comment(tracking_number, who, comment)

    async def request_reopen(self, tracking_number: str, who: Reporter, reason: str) -> None:
        await self.followup.request_reopen(tracking_number, who, reason)

    async def supplement(self, tracking_number: str, who: Reporter, text: str,
                         photos: Sequence[PhotoUpload | ProcessedPhoto] = ()) -> None:
        await self.followup.supplement(tracking_number, who, text, photos)

    async def decline_reopen(self, tracking_number: str, actor: str, message: str,
                             scope: Scope = BUREAU) -> ReportDetail:
        await self.queries.detail(tracking_number, scope)  # another department's report: not found
        await self.followup.decline_reopen(tracking_number, actor, message)
        return await self.queries.detail(tracking_number, scope)

    async def mark_seen(self, tracking_number: str, actor: str, scope: Scope = BUREAU) -> ReportDetail:
        await self.queries.detail(tracking_number, scope)
        await self.followup.seen(tracking_number, actor)
        return await self.queries.detail(tracking_number, scope)
