"""One-time codes by SMS that prove "this client holds this mobile number": the rules.

Used by "my reports" (a citizen sees the reports given with their number, without the status
tokens) and by open days that require a verified phone for registration. Pure: no database, no
HTTP; the service (`accounts/phone_codes.py`) stores what these functions compute.

- A code is 6 digits from `secrets`, valid 10 minutes, at most 5 tries; a new code replaces the
  number's pending one for the same purpose.
- At rest only keyed hashes are kept (HMAC-SHA256 under a key derived from the app secret): of the
  number (so a code row names no number) and of the code bound to the number and purpose (a table
  copy without the secret cannot be brute-forced from a million candidates). Codes are compared in
  constant time.
- Codes sent are limited per number and per client address (`core/ratelimit.py`, shared through
  Redis when configured), answered with a retry time.
- After the right code, the client gets a proof: the number, purpose, expiry and the client's
  binding (the portal's CSRF cookie; the API's caller holds it as a bearer token), sealed with
  AES-GCM so the number is not readable in a cookie and cannot be altered. Valid 30 minutes.
- The answer to "send a code" is the same whether or not the number has any reports.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum


from core.contacts import mobile_or_none
from core.errors import TooManyRequests, ValidationFailed
from core.ids import secrets_equal
from core.kit import sealing
from core.kit.sealing import derive_key
from core.ratelimit import RateLimiter

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
PROOF_TTL = timedelta(minutes=30)
LIMIT_WINDOW_S = 3600

MY_REPORTS, REGISTRATION = "my_reports", "registration"
PURPOSES = (MY_REPORTS, REGISTRATION)


class Outcome(Enum):
    OK = "ok"
    WRONG = "wrong"  # attempts remain
    EXPIRED = "expired"
    LOCKED = "locked"  # the tries are used up
    NONE = "none"  # no code was sent (or it was replaced/used)


class CodeRefused(ValidationFailed):
    """A code that does not verify: wrong, expired, tries used up, or none pending (422)."""


MESSAGES = {
    Outcome.WRONG: ("验证码不正确，还可再试 {left} 次", "Wrong code; {left} tries left"),
    Outcome.EXPIRED: ("验证码已过期（有效期 10 分钟），请重新获取", "The code has expired (valid 10 minutes); ask for a new one"),
    Outcome.LOCKED: ("验证码错误次数过多（最多 5 次），请重新获取验证码",
                     "Too many wrong codes (at most 5); ask for a new code"),
    Outcome.NONE: ("请先获取验证码，或验证码已失效，请重新获取", "Ask for a code first, or ask for a new one"),
}


def refusal(outcome: Outcome, attempts_left: int = 0) -> CodeRefused:
    zh, en = MESSAGES[outcome]
    return CodeRefused(zh.format(left=attempts_left), en.format(left=attempts_left), code=f"code_{outcome.value}")


def mobile(raw: str | None) -> str:
    """The normalised mainland mobile number, or ValidationFailed (only a mobile receives an SMS)."""
    try:
        number = mobile_or_none(raw)
    except ValidationFailed:
        number = None
    if number is None:
        raise ValidationFailed("请填写手机号码（11 位，以 1 开头）", "Give a mobile number (11 digits starting with 1)",
                               code="invalid_mobile")
    return number


def check_purpose(purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValidationFailed("未知的验证用途", "Unknown verification purpose", code="invalid_purpose")
    return purpose


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def clean_code(raw: str | None) -> str:
    """The code as typed ('123 456', full-width digits) or ValidationFailed."""
    value = "".join(ch for ch in (raw or "") if not ch.isspace())
    value = value.translate({0xFF10 + i: ord("0") + i for i in range(10)})
    if len(value) != CODE_DIGITS or not value.isascii() or not value.isdigit():
        raise ValidationFailed("验证码是 6 位数字", "The code is 6 digits", code="invalid_code")
    return value


class VerificationKeys:
    """Keys derived from the app secret: hashing numbers and codes, sealing proofs."""

    def __init__(self, secret: str):
        self._hash_key = derive_key(secret, "civicdesk-phone-verification", b"hash")
        self._seal_key = derive_key(secret, "civicdesk-phone-verification", b"proof")

    def phone_hash(self, phone: str) -> str:
        return hmac.new(self._hash_key, b"phone|" + phone.encode(), hashlib.sha256).hexdigest()

    def code_hash(self, phone: str, purpose: str, code: str) -> str:
        return hmac.new(self._hash_key, f"code|{phone}|{purpose}|{code}".encode(), hashlib.sha256).hexdigest()

    def seal_proof(self, proof: Proof) -> str:
        body = json.dumps({"p": proof.phone, "u": proof.purpose, "e": int(proof.expires_at.timestamp()),
                           "b": proof.binding}, separators=(",", ":")).encode()
        return sealing.seal(self._seal_key, body, b"proof")

    def open_proof(self, sealed: str | None, *, purpose: str, binding: str, now: datetime) -> str | None:
        """The verified number of a genuine, unexpired proof for this purpose and binding, else None."""
        if not sealed or len(sealed) > 512:
            return None
        data = sealing.unseal(self._seal_key, sealed, b"proof")
        if data is None:
            return None
        try:
            body = json.loads(data)
        except (ValueError, UnicodeError):
            return None
        if body.get("u") != purpose or not secrets_equal(str(body.get("b", "")), binding):
            return None
        if int(body.get("e", 0)) <= int(now.timestamp()):
            return None
        return str(body["p"])


@dataclass(frozen=True)
class Proof:
    phone: str
    purpose: str
    expires_at: datetime
    binding: str  # who holds it: the portal's CSRF cookie value, or "api" for a bearer token


@dataclass
class Pending:
    """What is stored for a code sent: its keyed hash, expiry and tries so far."""

    code_hash: str
    expires_at: datetime
    attempts: int


def check(pending: Pending | None, supplied_hash: str, now: datetime) -> Outcome:
    """The outcome of one try. A locked or expired code stays so; WRONG counts a try (the caller
    stores `attempts + 1`), and the fifth wrong try locks."""
    if pending is None:
        return Outcome.NONE
    if pending.attempts >= MAX_ATTEMPTS:
        return Outcome.LOCKED
    if now >= pending.expires_at:
        return Outcome.EXPIRED
    if secrets_equal(supplied_hash, pending.code_hash):
        return Outcome.OK
    return Outcome.LOCKED if pending.attempts + 1 >= MAX_ATTEMPTS else Outcome.WRONG


def attempts_left(pending: Pending) -> int:
    return max(0, MAX_ATTEMPTS - pending.attempts - 1)


@dataclass(frozen=True)
class SendLimits:
    per_number: int  # codes per number an hour (0: no limit)
    per_client: int  # codes per client address an hour (0: no limit)


async def check_send_limits(limiter: RateLimiter, limits: SendLimits, *, phone_hash: str, client: str) -> None:
    """Count one code sent; TooManyRequests when the number or the client is over its hourly limit.
    The client is counted first, so probing many numbers from one address stops there."""
    checks = ((f"phone-code-client:{client}", limits.per_client, "每个网络地址", "one address"),
              (f"phone-code-number:{phone_hash}", limits.per_number, "每个手机号", "one number"))
    for key, limit, who_zh, who_en in checks:
        if limit <= 0 or await limiter.hit(key, limit, LIMIT_WINDOW_S):
            continue
        wait = await limiter.retry_after(key, LIMIT_WINDOW_S)
        minutes = max(1, -(-wait // 60))
        raise TooManyRequests(
            f"获取验证码过于频繁：{who_zh}每小时最多 {limit} 次，请 {minutes} 分钟后再试",
            f"Too many codes asked for: at most {limit} an hour for {who_en}; try again in {minutes} min",
            retry_after=wait,
        )
