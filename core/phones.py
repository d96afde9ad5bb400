"""Phone numbers as people type them: mobiles, landlines with an area code, service numbers.

One home for the rule, used by every domain (reports, open-day registrations, the SMS channel)."""

from __future__ import annotations

import re
import unicodedata

from core.errors import ValidationFailed

_PHONE_CHARS = re.compile(r"[\s\-().]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
MIN_DIGITS, MAX_DIGITS = 5, 20  # 12345 / 95598 service numbers ... international numbers

INVALID_ZH = "电话号码格式不正确：可填写手机号、带区号的座机号（如 0571-87654321）或 12345 这类服务号码"
INVALID_EN = ("Invalid phone number: give a mobile number, a landline with its area code "
              "(e.g. 0571-87654321) or a service number such as 12345")


def normalize_phone(raw: str | None) -> str | None:
    """Digits only, without the +86 / 0086 country prefix; None for empty input; ValidationFailed
    for anything that is not a number.

    '+86 138-0013-8000', '0086 13800138000' and '13800138000' are the same number; '(0571) 8765-4321'
    is '057187654321'; '12345' stays '12345'."""
    if raw is None:
        return None
    value = _PHONE_CHARS.sub("", unicodedata.normalize("NFKC", raw))
    if not value:
        return None
    if value.startswith("+"):
        value = value[1:]
        if value.startswith("86") and len(value) > 10:
            value = value[2:]
    elif value.startswith("0086"):
        value = value[4:]
    if not value.isdigit() or not MIN_DIGITS <= len(value) <= MAX_DIGITS:
        raise ValidationFailed(INVALID_ZH, INVALID_EN, code="invalid_phone")
    return value


def is_mobile(raw: str | None) -> bool:
    """A mainland mobile number (the only kind an SMS can reach)."""
    try:
        number = normalize_phone(raw)
    except ValidationFailed:
        return False
    return bool(number and _MOBILE.match(number))


def mask_phone(phone: str | None) -> str | None:
    """138****8000: enough to recognise one's own number, not enough to call it."""
    if not phone:
        return None
    digits = normalize_phone(phone) or ""
    if len(digits) >= 7:
        return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"
    return f"{'*' * (len(digits) - 2)}{digits[-2:]}"
