"""Small rules of the open days: statuses and their labels, phone numbers, who counts as the
same person, and local time."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.errors import ValidationFailed
from core.kit.channels import PUSH_CHANNELS, ChannelName
from core.kit.language import pick
from core.phones import mask_phone as mask_phone  # re-exported for the open-day modules
from core.phones import normalize_phone as normalize_phone


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class RegStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    ATTENDED = "attended"


class RegChannel(StrEnum):
    """Where registrations come in (names from core.kit.channels)."""

    TELEGRAM = ChannelName.TELEGRAM.value
    WECHAT = ChannelName.WECHAT.value
    WEB = ChannelName.WEB.value
def check_verified_phone(required: bool, phone: str | None, verified: bool) -> None:
    """An event that requires a verified phone takes registrations only with a mobile number the
    registrant proved theirs (an SMS code on the web and the API, Telegram's own-contact share)."""
    if required and not (phone and verified):
        raise ValidationFailed(
            "此开放日报名需要验证手机号：请填写手机号码并输入短信验证码（微信用户请在网站报名）",
            "This open day needs a verified mobile number: give it and the code sent to it by SMS "
            "(WeChat users: please register on the website)",
            code="phone_verification_required",
        )


# Statuses that hold a seat.
SEATED = (RegStatus.CONFIRMED.value, RegStatus.ATTENDED.value)

EVENT_LABELS = {
    EventStatus.DRAFT: ("草稿", "draft"),
    EventStatus.PUBLISHED: ("已发布", "published"),
    EventStatus.FINISHED: ("已结束", "finished"),
    EventStatus.CANCELLED: ("已取消", "cancelled"),
}
REG_LABELS = {
    RegStatus.CONFIRMED: ("已确认", "confirmed"),
    RegStatus.WAITLISTED: ("候补中", "waitlisted"),
    RegStatus.CANCELLED: ("已取消", "cancelled"),
    RegStatus.ATTENDED: ("已签到", "attended"),
}


def _label(labels: dict, value: str, lang: str) -> str:  # type: ignore[type-arg]
    zh, en = labels[value]
    return pick(lang, zh, en)


def event_status_label(value: str, lang: str = "zh") -> str:
    return _label(EVENT_LABELS, value, lang)


def registration_status_label(value: str, lang: str = "zh") -> str:
    return _label(REG_LABELS, value, lang)


# --- who is the same person ----------------------------------------------------------------------
def normalize_name(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


def person_key(channel: str, channel_user_id: str | None, name: str, phone: str | None) -> str:
    """One active registration per person per event. A person is:

    - on Telegram or WeChat, the chat user (whatever name or phone they type);
    - on the web, the normalised phone number when one is given, otherwise the normalised name
      (so a namesake without a phone is asked to give theirs to register separately).
    """
    if channel in (RegChannel.TELEGRAM, RegChannel.WECHAT):
        if not channel_user_id:
            raise ValidationFailed(
                "聊天渠道报名缺少用户标识", "A chat registration needs the user's id", code="missing_user_id"
            )
        return f"{channel}:{channel_user_id}"
    digits = normalize_phone(phone)
    if digits:
        return f"phone:{digits}"
    return f"name:{normalize_name(name)}"[:140]


# --- time ------------------------------------------------------------------------------------------
def localize(value: datetime, tz: ZoneInfo) -> datetime:
    """Aware datetimes stay as they are; naive ones are read as local time in `tz`."""
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def local_text(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")
