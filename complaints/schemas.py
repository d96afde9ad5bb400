"""What goes into and comes out of the complaints service. Channel-neutral: the API, the bot and
the web pages all speak these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.contacts import EmailField, check_opt_ins
from core.errors import ValidationFailed
from core.kit.channels import ChannelName
from core.kit.validation import Invalid
from core.phones import INVALID_EN, INVALID_ZH, normalize_phone

from .workflow import PRIORITIES

T = TypeVar("T")
MIN_DESCRIPTION = 5
MAX_DESCRIPTION = 5000
# Deepest page a listing goes to (200 a page: two million rows); deeper offsets fail or crawl.
MAX_PAGE = 10_000


# The names of these schemas' fields in validation messages: (Chinese, English).
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "category": ("举报类别", "category"),
    "description": ("问题描述", "description"),
    "address": ("地址", "address"),
    "lat": ("纬度", "latitude"),
    "lon": ("经度", "longitude"),
    "contact_name": ("联系人姓名", "contact name"),
    "contact_phone": ("联系电话", "contact phone"),
    "contact_email": ("电子邮箱", "e-mail"),
    "notify_email": ("邮件通知", "e-mail updates"),
    "notify_sms": ("短信通知", "SMS updates"),
    "anonymous": ("匿名", "anonymous"),
    "photos": ("照片", "photos"),
    "token": ("查询码", "token"),
    "to": ("目标状态", "target status"),
    "priority": ("优先级", "priority"),
    "department": ("承办部门", "department"),
    "assignee": ("承办人", "assignee"),
    "note": ("内部备注", "note"),
    "public_message": ("给举报人的说明", "public message"),
    "text": ("内容", "text"),
    "into": ("主举报编号", "primary report"),
    "days": ("延长天数", "days"),
    "reason": ("理由", "reason"),
    "q": ("搜索词", "search text"),
    "sort": ("排序", "sort"),
}


class Channel(StrEnum):
    """Where reports come in (names from core.kit.channels)."""

    WEB = ChannelName.WEB.value
    TELEGRAM = ChannelName.TELEGRAM.value
    WECHAT = ChannelName.WECHAT.value
    OPEN311 = ChannelName.OPEN311.value
    API = ChannelName.API.value


class ReportInput(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    category: str = Field(description="category code (e.g. dust) or Chinese name (施工扬尘)")
    description: str = Field(min_length=MIN_DESCRIPTION, max_length=MAX_DESCRIPTION)
    address: str = Field(default="", max_length=500)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    channel: Channel = Channel.API
    reporter_channel_id: str | None = Field(default=None, max_length=64)
    contact_name: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=40)
    anonymous: bool = False
    language: str = "zh"
    # Facts the channel received that only staff may read (an Open311 client's e-mail address,
    # its media URL): recorded as the report's first internal note.
    intake_note: str | None = Field(default=None, max_length=2000)
    # Updates by e-mail or SMS (an opt-in): sent to these addresses only, never shown anywhere.
    contact_email: EmailField = Field(default=None, max_length=254)
    notify_email: bool = False
    notify_sms: bool = False

    @field_validator("contact_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        try:
            normalize_phone(value)
        except ValidationFailed:
            raise Invalid("联系" + INVALID_ZH, INVALID_EN) from None
        return value or None

    @model_validator(mode="after")
    def _updates(self) -> ReportInput:
        check_opt_ins(notify_email=self.notify_email, email=self.contact_email, notify_sms=self.notify_sms,
                      phone=self.contact_phone)
        return self

    @model_validator(mode="after")
    def _location(self) -> ReportInput:
        if (self.lat is None) != (self.lon is None):
            raise Invalid("纬度和经度须同时填写或同时不填", "give both lat and lon, or neither")
        if not self.address and self.lat is None:
            raise Invalid(
                "请填写地址或提供位置坐标，以便工作人员找到现场",
                "give an address or coordinates (lat, lon) so staff can find the site",
            )
        return self


@dataclass(frozen=True)
class PhotoUpload:
    data: bytes
    filename: str | None = None


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(exclude=True)  # internal; clients use the code
    code: str
    name_zh: str
    name_en: str
    default_department: str | None
    department_id: int | None = Field(default=None, exclude=True)


class SubmitResult(BaseModel):
    tracking_number: str
    status: str
    status_token: str
    acceptance_due_at: datetime
    photo_count: int
    duplicate_candidates: int


class PublicEvent(BaseModel):
    at: datetime
    kind: str
    status: str | None = None
    status_label: str | None = None
    message: str | None = None


class ReporterView(BaseModel):
    tracking_number: str
    category: CategoryOut
    description: str
    address: str
    lat: float | None
    lon: float | None
    status: str
    status_label: str
    created_at: datetime
    due_at: datetime | None
    photo_count: int
    merged_into: str | None = None
    history: list[PublicEvent]


class FollowupView(BaseModel):
    """What the reporter may do next (回访 and supplements), for the status page and the bot."""

    can_rate: bool
    rating: str | None
    rating_label: str | None
    comment: str | None
    can_request_reopen: bool
    reopen_until: datetime | None
    reopen_requested: bool
    reopen_decision: str | None
    can_supplement: bool


class ReportSummary(BaseModel):
    tracking_number: str
    category: CategoryOut
    status: str
    status_label: str
    priority: str
    department: str | None
    assignee: str | None
    channel: str
    address: str
    description: str
    created_at: datetime
    due_at: datetime | None
    overdue: bool
    photo_count: int
    merged_into: str | None = None
    attention: str | None = None  # supplement | reopen_request: the reporter added something


class PhotoInfo(BaseModel):
    n: int
    filename: str | None
    mime: str
    width: int
    height: int
    size: int
    gps_lat: float | None
    gps_lon: float | None
    taken_at: datetime | None


class AuditEvent(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    actor: str
    from_value: str | None
    to_value: str | None
    note: str | None
    public_message: str | None
    created_at: datetime


class DuplicateOut(BaseModel):
    tracking_number: str
    status: str
    distance_m: float
    created_at: datetime
    description: str


class ReporterInfo(BaseModel):
    anonymous: bool
    channel: str
    channel_user_id: str | None
    name: str | None
    phone: str | None


class ReportDetail(ReportSummary):
    lat: float | None
    lon: float | None
    location_hint: tuple[float, float] | None
    accepted_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    acceptance_due_at: datetime
    handling_due_at: datetime | None
    extension_days: int
    reporter: ReporterInfo
    photos: list[PhotoInfo]
    events: list[AuditEvent]
    duplicate_candidates: list[DuplicateOut]
    merged_reports: list[str]
    public_outcome: str | None = None


class ReportFilters(BaseModel):
    status: list[str] | None = None
    category: str | None = None
    department: str | None = None
    assignee: str | None = None
    priority: str | None = None
    overdue: bool | None = None
    attention: bool | None = None  # reports with something new from the reporter
    q: str | None = Field(default=None, max_length=200)
    created_from: datetime | None = None
    created_to: datetime | None = None
    include_merged: bool = True
    sort: str = Field(default="-created_at", pattern=r"^-?(created_at|due_at|priority|status|tracking_number)$")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


class TriageUpdate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    category: str | None = None
    department: str | None = Field(default=None, max_length=120)
    priority: str | None = None
    assignee: str | None = Field(default=None, max_length=80)
    note: str | None = Field(default=None, max_length=5000)

    @field_validator("priority")
    @classmethod
    def _priority(cls, value: str | None) -> str | None:
        if value is not None and value not in PRIORITIES:
            names = ", ".join(PRIORITIES)
            raise Invalid(f"优先级须为以下之一：{names}", f"priority must be one of {names}")
        return value


# --- public results (行政执法公示; what may be shown is decided in publication.py) ----------------


class PublicCategory(BaseModel):
    code: str
    name_zh: str
    name_en: str


class PublicPlace(BaseModel):
    """What every public view of a report starts from: its number, category, department and the
    place coarsened by `complaints/publication.py`."""

    tracking_number: str
    category: PublicCategory
    department: str | None
    area: str  # street level at most; "" when the address names none
    lat: float | None  # the centre of a ~1 km grid cell
    lon: float | None


class PublicCase(PublicPlace):
    """A resolved case as the public sees it: nothing of the reporter, the description or notes."""

    status: str
    received_at: datetime
    accepted_at: datetime | None
    resolved_at: datetime
    within_deadline: bool
    outcome: str | None  # what staff wrote for publication, if anything


class SatisfactionFigures(BaseModel):
    rated: int
    satisfied: int  # 满意 + 基本满意
    rate: float | None


class PublicReport(PublicPlace):
    """A report as anyone may see it (Open311, the open-data feeds), from the time it comes in:
    category, status, department, the coarsened place, dates and what staff told the reporter;
    never the reporter, the description, photos or internal notes."""

    status: str  # the workflow status; a merged duplicate's is its primary's
    received_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    due_at: datetime | None  # the statutory deadline that applies now
    status_notes: str | None  # the latest message staff sent the reporter
    outcome: str | None  # what staff wrote for publication when resolving
    merged_into: str | None = None


class MonthFigures(BaseModel):
    month: str  # YYYY-MM, bureau time
    received: int
    accepted: int
    resolved: int
    resolved_within_deadline: int
    satisfaction: SatisfactionFigures


class ResultFilters(BaseModel):
    category: str | None = None
    department: str | None = None
    month: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")


class ResultsPage(Page[PublicCase]):
    figures: list[MonthFigures]
