"""Domain errors shared by every package.

Each error carries a stable machine code and a message in Chinese and English, so the HTTP API,
the bot and the web pages can all show a person something they can act on without knowing
which package raised it.
"""

from __future__ import annotations

from core.kit.language import pick


class DomainError(Exception):
    """Base class for errors a user or client can fix or should be told about."""

    code: str = "error"

    def __init__(self, message_zh: str, message_en: str, *, code: str | None = None, **details: object):
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en
        if code is not None:
            self.code = code
        self.details = details

    def message(self, lang: str = "zh") -> str:
        return pick(lang, self.message_zh, self.message_en)

    def as_dict(self, lang: str = "zh") -> dict[str, object]:
        body: dict[str, object] = {
            "code": self.code,
            "message": self.message(lang),
            "messages": {"zh": self.message_zh, "en": self.message_en},
        }
        if self.details:
            body["details"] = self.details
        return body


class NotFound(DomainError):
    code = "not_found"


class ValidationFailed(DomainError):
    code = "invalid"


class Conflict(DomainError):
    code = "conflict"


class PermissionDenied(DomainError):
    code = "forbidden"


class TooManyRequests(DomainError):
    """Over a rate limit; `retry_after` seconds until it may be tried again (HTTP: 429 and Retry-After)."""

    code = "rate_limited"

    def __init__(self, message_zh: str, message_en: str, *, retry_after: int, code: str | None = None):
        super().__init__(message_zh, message_en, code=code, retry_after=retry_after)
        self.retry_after = retry_after
