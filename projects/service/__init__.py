"""The projects service: one facade over two jobs.

- `companies.py`: the company register, watch and black listings, each company's record, the CSV;
- `sites.py`: construction projects and the reports staff link to them (nearby suggestions).

The rules live beside it: credit codes in `projects/codes.py`, the 300 m rule in
`projects/nearby.py`, listings in `projects/listings.py`, the record's definitions in
`projects/record.py`. Every read of reports takes the caller's `Scope`.
"""

from __future__ import annotations

from accounts.scope import BUREAU, Scope
from complaints.schemas import Page
from core.clock import Clock
from core.db import Database
from core.kit.bureau_time import BureauTime

from ..schemas import (
    CompanyDetail,
    CompanyIn,
    CompanyPatch,
    CompanySummary,
    ListingIn,
    ListingOut,
    ProjectDetail,
    ProjectIn,
    ProjectOut,
    ProjectPatch,
    ReportProject,
)
from .companies import Companies
from .sites import Sites


class ProjectService:
    def __init__(self, db: Database, clock: Clock, bureau: BureauTime):
        self.companies = Companies(db, clock, bureau)
        self.sites = Sites(db, clock)

    # --- companies -----------------------------------------------------------------------------
    async def create_company(self, data: CompanyIn, actor: str) -> CompanySummary:
        return await self.companies.create(data, actor)

    async def update_company(self, company_id: int, changes: CompanyPatch, actor: str) -> CompanySummary:
        return await self.companies.update(company_id, changes, actor)

    async def list_companies(self, q: str | None = None, listed: str | None = None, page: int = 1,
                             per_page: int = 25) -> Page[CompanySummary]:
        """`listed`: watch, black or any (companies with a listing in force)."""
        return await self.companies.list(q, listed, page, per_page)

    async def company(self, company_id: int, scope: Scope = BUREAU) -> CompanyDetail:
        return await self.companies.detail(company_id, scope)

    async def add_listing(self, company_id: int, data: ListingIn, actor: str) -> ListingOut:
        return await self.companies.add_listing(company_id, data, actor)

    async def listing_kind(self, company_id: int, listing_id: int) -> str:
        return await self.companies.kind_of_listing(company_id, listing_id)

    async def lift_listing(self, company_id: int, listing_id: int, reason: str, actor: str) -> ListingOut:
        return await self.companies.lift_listing(company_id, listing_id, reason, actor)

    async def export_companies_csv(self, scope: Scope = BUREAU) -> str:
        return await self.companies.export_csv(scope)

    # --- projects --------------------------------------------------------------------------------
    async def create_project(self, data: ProjectIn, actor: str) -> ProjectOut:
        return await self.sites.create(data, actor)

    async def update_project(self, project_id: int, changes: ProjectPatch, actor: str) -> ProjectOut:
        return await self.sites.update(project_id, changes, actor)

    async def list_projects(self, q: str | None = None, status: str | None = None, company_id: int | None = None,
                            page: int = 1, per_page: int = 25) -> Page[ProjectOut]:
        return await self.sites.list(q, status, company_id, page, per_page)

    async def project(self, project_id: int, scope: Scope = BUREAU) -> ProjectDetail:
        return await self.sites.detail(project_id, scope)

    # --- reports and projects ----------------------------------------------------------------------
    async def report_project(self, tracking_number: str, scope: Scope = BUREAU) -> ReportProject:
        return await self.sites.for_report(tracking_number, scope)

    async def link_report(self, tracking_number: str, project_id: int, actor: str,
                          scope: Scope = BUREAU) -> ReportProject:
        return await self.sites.link(tracking_number, project_id, actor, scope)

    async def unlink_report(self, tracking_number: str, actor: str, scope: Scope = BUREAU) -> ReportProject:
        return await self.sites.unlink(tracking_number, actor, scope)
