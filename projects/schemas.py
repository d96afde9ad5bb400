"""What goes into and comes out of the projects service (API, console and CSV speak these)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.errors import ValidationFailed
from core.kit.language import pick

from .codes import normalise

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "name": ("名称", "name"),
    "uscc": ("统一社会信用代码", "unified social credit code"),
    "address": ("地址", "address"),
    "contact": ("联系方式", "contact"),
    "lat": ("纬度", "latitude"),
    "lon": ("经度", "longitude"),
    "permit_number": ("施工许可证编号", "construction permit number"),
    "status": ("项目状态", "project status"),
    "builder_id": ("建设单位", "builder/developer"),
    "contractor_id": ("施工单位", "contractor"),
    "supervisor_id": ("监理单位", "supervisor"),
    "kind": ("名单", "list"),
    "reason": ("理由", "reason"),
    "expires_at": ("到期时间", "expiry"),
    "project_id": ("项目", "project"),
}


class ProjectStatus(StrEnum):
    PLANNED = "planned"
    UNDER_CONSTRUCTION = "under_construction"
    SUSPENDED = "suspended"
    COMPLETED = "completed"


PROJECT_STATUS_LABELS: dict[ProjectStatus, tuple[str, str]] = {
    ProjectStatus.PLANNED: ("未开工", "Not started"),
    ProjectStatus.UNDER_CONSTRUCTION: ("在建", "Under construction"),
    ProjectStatus.SUSPENDED: ("停工", "Suspended"),
    ProjectStatus.COMPLETED: ("已竣工", "Completed"),
}

# The three roles a company plays on a project, by the project's column.
ROLES: dict[str, tuple[str, str]] = {
    "builder": ("建设单位", "Builder/developer"),
    "contractor": ("施工单位", "Contractor"),
    "supervisor": ("监理单位", "Supervisor"),
}


def project_status_label(status: str, lang: str = "zh") -> str:
    zh, en = PROJECT_STATUS_LABELS[ProjectStatus(status)]
    return pick(lang, zh, en)


def role_label(role: str, lang: str = "zh") -> str:
    zh, en = ROLES[role]
    return pick(lang, zh, en)


class CompanyIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=200)
    uscc: str = Field(min_length=18, max_length=40, description="统一社会信用代码 (GB 32100-2015), 18 characters")
    address: str = Field(default="", max_length=500)
    contact: str = Field(default="", max_length=200)

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, value: str) -> str:
        return normalise(value)


class CompanyPatch(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=2, max_length=200)
    uscc: str | None = Field(default=None, min_length=18, max_length=40)
    address: str | None = Field(default=None, max_length=500)
    contact: str | None = Field(default=None, max_length=200)

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, value: str | None) -> str | None:
        return normalise(value) if value is not None else None


class CompanyRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    uscc: str


class ListingOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    reason: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lift_reason: str | None = None
    active: bool


class ListingIn(BaseModel):
    kind: str = Field(pattern=r"^(watch|black)$", description="watch (重点关注) or black (黑名单)")
    reason: str = Field(min_length=1, max_length=2000)
    expires_at: datetime = Field(description="when the listing stops showing (naive: the bureau's local time)")


class LiftIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class CompanyEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    actor: str
    from_value: str | None = None
    to_value: str | None = None
    note: str | None = None
    created_at: datetime


class CompanySummary(BaseModel):
    id: int
    name: str
    uscc: str
    address: str
    contact: str
    listings: list[ListingOut] = Field(description="the listings in force now (expired or lifted ones are not)")
    project_count: int


class MonthOut(BaseModel):
    month: str
    received: int
    substantiated: int
    rejected: int


class RecordOut(BaseModel):
    linked: int = Field(description="reports linked to the company's projects (merged duplicates once)")
    substantiated: int
    rejected: int
    open: int
    overdue: int
    overdue_share: float | None = Field(description="overdue / open; null without open reports")
    substantiated_share: float | None = Field(description="substantiated / (substantiated + rejected)")
    months: list[MonthOut]
    definition_zh: str
    definition_en: str


class ProjectOut(BaseModel):
    id: int
    name: str
    address: str
    lat: float | None = None
    lon: float | None = None
    permit_number: str | None = None
    status: str
    status_label: str
    builder: CompanyRef | None = None
    contractor: CompanyRef | None = None
    supervisor: CompanyRef | None = None


class ProjectRole(BaseModel):
    project: ProjectOut
    roles: list[str]


class LinkedReportOut(BaseModel):
    tracking_number: str
    status: str
    status_label: str
    category: str
    category_en: str
    created_at: datetime
    overdue: bool
    project_id: int
    project_name: str


class CompanyDetail(CompanySummary):
    record: RecordOut
    projects: list[ProjectRole]
    reports: list[LinkedReportOut] = Field(description="the most recent linked reports the account may see")
    listing_history: list[ListingOut]
    events: list[CompanyEventOut]


class ProjectIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=200)
    address: str = Field(default="", max_length=500)
    lat: float | None = Field(default=None, ge=-90, le=90, description="WGS-84")
    lon: float | None = Field(default=None, ge=-180, le=180, description="WGS-84")
    permit_number: str | None = Field(default=None, max_length=60, description="施工许可证编号")
    status: ProjectStatus = ProjectStatus.UNDER_CONSTRUCTION
    builder_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    contractor_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    supervisor_id: int | None = Field(default=None, ge=1, le=2**31 - 1)

    @field_validator("permit_number")
    @classmethod
    def _permit(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _point(self) -> ProjectIn:
        check_point(self.lat, self.lon)
        return self


class ProjectPatch(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=2, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    permit_number: str | None = Field(default=None, max_length=60)
    status: ProjectStatus | None = None
    builder_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    contractor_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    supervisor_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


def check_point(lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        raise ValidationFailed("经纬度须同时填写或同时留空", "Give both latitude and longitude, or neither",
                               code="point_incomplete", field="lat")


class ProjectDetail(ProjectOut):
    reports: list[LinkedReportOut]


class NearbyProject(BaseModel):
    project: ProjectOut
    distance_m: float


class ReportProject(BaseModel):
    tracking_number: str
    project: ProjectOut | None = None
    linked_by: str | None = None
    linked_at: datetime | None = None
    suggestions: list[NearbyProject] = Field(description="projects within 300 m of the report's point, nearest first")
    point_from: str | None = Field(description="report (the reporter's point), photo (a photo's GPS) or null: no point")


class LinkIn(BaseModel):
    project_id: int = Field(ge=1, le=2**31 - 1)
