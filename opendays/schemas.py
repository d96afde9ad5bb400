"""What goes into and comes out of the open days service. Channel-neutral: the API, the bot and
the web pages all speak these. Times come out in the bureau's time zone (Asia/Shanghai); naive
times going in are read as that zone's local time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.contacts import EmailField, check_opt_ins
from core.kit.validation import Invalid

from .rules import RegChannel

MAX_TEXT = 5000

# The names of these schemas' fields in validation messages: (Chinese, English).
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "title": ("活动名称", "title"),
    "email": ("电子邮箱", "e-mail"),
    "description": ("活动介绍", "description"),
    "site_name": ("工地/项目名称", "site name"),
    "address": ("地址", "address"),
    "lat": ("纬度", "latitude"),
    "lon": ("经度", "longitude"),
    "starts_at": ("开始时间", "start"),
    "ends_at": ("结束时间", "end"),
    "capacity": ("名额", "capacity"),
    "max_party_size": ("每份报名人数上限", "max party size"),
    "registration_opens_at": ("报名开始时间", "registration opening"),
    "registration_closes_at": ("报名截止时间", "registration deadline"),
    "audience": ("面向对象", "audience"),
    "requires_id": ("需携带身份证", "ID required"),
    "requires_verified_phone": ("需验证手机号", "verified phone required"),
    "min_age": ("最低年龄", "minimum age"),
    "safety_gear_provided": ("提供安全装备", "safety gear provided"),
    "accessibility_notes": ("无障碍说明", "accessibility notes"),
    "contact": ("联系方式", "contact"),
    "name": ("姓名", "name"),
    "phone": ("手机号码", "phone"),
    "party_size": ("人数", "party size"),
    "rating": ("评分", "rating"),
    "comment": ("意见", "comment"),
    "reason": ("理由", "reason"),
    "code": ("签到码", "check-in code"),
    "text": ("内容", "text"),
    "token": ("管理码", "token"),
}


class EventFields(BaseModel):
    """Fields of an event; every one optional so the same model serves edits (PATCH)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    title: str | None = Field(default=None, min_length=2, max_length=200)
    description: str | None = Field(default=None, max_length=MAX_TEXT)
    site_name: str | None = Field(default=None, min_length=2, max_length=200, description="site or project name")
    address: str | None = Field(default=None, min_length=2, max_length=500)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    capacity: int | None = Field(default=None, ge=1, le=10000, description="seats, counting every person")
    max_party_size: int | None = Field(
        default=None, ge=1, le=50, description="people per registration; default from settings"
    )
    registration_opens_at: datetime | None = Field(default=None, description="default: when published")
    registration_closes_at: datetime | None = Field(default=None, description="default: the start")
    audience: str | None = Field(default=None, max_length=500, description="e.g. 人大代表、政协委员、居民代表")
    requires_id: bool | None = Field(default=None, description="visitors bring an ID card")
    requires_verified_phone: bool | None = Field(
        default=None, description="registration needs a mobile number verified by an SMS code (web, API) "
        "or shared as Telegram's own contact; WeChat registrants are sent to the portal")
    min_age: int | None = Field(default=None, ge=0, le=100)
    safety_gear_provided: bool | None = None
    accessibility_notes: str | None = Field(default=None, max_length=2000)
    contact: str | None = Field(default=None, max_length=200, description="who to call about the visit")

    @model_validator(mode="after")
    def _coordinates(self) -> EventFields:
        given = self.model_fields_set
        if ("lat" in given) != ("lon" in given) or (self.lat is None) != (self.lon is None):
            raise Invalid("纬度和经度须同时填写或同时不填", "give both lat and lon, or neither")
        return self


class EventInput(EventFields):
    """A new event (a draft until published)."""

    title: str = Field(min_length=2, max_length=200)
    site_name: str = Field(min_length=2, max_length=200, description="site or project name")
    address: str = Field(min_length=2, max_length=500)
    starts_at: datetime
    ends_at: datetime
    capacity: int = Field(ge=1, le=10000, description="seats, counting every person")


class Requirements(BaseModel):
    requires_id: bool
    requires_verified_phone: bool
    min_age: int | None
    safety_gear_provided: bool
    accessibility_notes: str


class EventOut(BaseModel):
    id: int
    uid: str
    title: str
    description: str
    site_name: str
    address: str
    lat: float | None
    lon: float | None
    starts_at: datetime
    ends_at: datetime
    capacity: int
    seats_left: int
    waitlisted: int
    max_party_size: int
    registration_opens_at: datetime | None
    registration_closes_at: datetime
    registration_open: bool
    audience: str
    requirements: Requirements
    contact: str
    status: str
    status_label: str
    cancel_reason: str | None
    ics_url: str


class EventStaffOut(EventOut):
    seats_taken: int
    registrations: int
    attended: int
    feedback_count: int
    average_rating: float | None
    minutes: str | None
    minutes_by: str | None
    minutes_at: datetime | None
    sequence: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    cancelled_at: datetime | None
    finished_at: datetime | None


class RegistrationInput(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    party_size: int = Field(default=1, ge=1, description="people in the party, the registrant included")
    channel: RegChannel = RegChannel.WEB
    channel_user_id: str | None = Field(default=None, max_length=64)
    chat_id: str | None = Field(default=None, max_length=64, description="where to push messages (Telegram)")
    language: str = "zh"
    # Web registrants: where to be told about a seat from the waiting list, a change or a cancellation.
    email: EmailField = Field(default=None, max_length=254, description="for e-mail updates; never shown")
    notify_email: bool = False
    notify_sms: bool = Field(default=False, description="updates by SMS to `phone` (a mobile)")
    # Set by the adapter, never by the person: `phone` was proved theirs (an SMS code, or
    # Telegram's contact of the sender's own account).
    phone_verified: bool = False

    @model_validator(mode="after")
    def _updates(self) -> RegistrationInput:
        check_opt_ins(notify_email=self.notify_email, email=self.email, notify_sms=self.notify_sms, phone=self.phone)
        return self


class EventBrief(BaseModel):
    id: int
    title: str
    site_name: str
    address: str
    starts_at: datetime
    ends_at: datetime
    status: str
    status_label: str
    cancel_reason: str | None


class FeedbackOut(BaseModel):
    registration_id: int
    event_id: int
    name: str
    rating: int
    comment: str
    created_at: datetime
    updated_at: datetime


class RegistrationOut(BaseModel):
    """What the registrant sees (phone masked)."""

    id: int
    event: EventBrief
    name: str
    phone_masked: str | None
    party_size: int
    channel: str
    status: str
    status_label: str
    check_in_code: str
    waitlist_position: int | None
    created_at: datetime
    can_cancel: bool
    can_give_feedback: bool
    feedback: FeedbackOut | None = None


class RegistrationResult(RegistrationOut):
    manage_token: str | None = Field(default=None, description="web registrations: keep it to check or cancel")


class StaffRegistration(BaseModel):
    id: int
    event_id: int
    name: str
    phone_masked: str | None
    party_size: int
    channel: str
    status: str
    status_label: str
    check_in_code: str
    waitlist_position: int | None
    created_at: datetime
    confirmed_at: datetime | None
    attended_at: datetime | None
    cancelled_at: datetime | None


class StaffRegistrationDetail(StaffRegistration):
    phone: str | None
    channel_user_id: str | None
    chat_id: str | None
    language: str
    promoted_at: datetime | None
    cancelled_by: str | None
    checked_in_by: str | None
    reminder_sent_at: datetime | None
    feedback_requested_at: datetime | None
    feedback: FeedbackOut | None


class FeedbackInput(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2000)


class DueResult(BaseModel):
    finished: int = 0
    reminders: int = 0
    feedback_requests: int = 0


# --- who is asking about a registration ------------------------------------------------------------
@dataclass(frozen=True)
class ByToken:
    """A web registrant: the manage token they got when registering."""

    token: str


@dataclass(frozen=True)
class ByChannelUser:
    """A chat registrant: who they are on that channel (e.g. their Telegram user id)."""

    channel: str
    user_id: str


Registrant = ByToken | ByChannelUser
