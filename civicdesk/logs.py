"""Logging for `civicdesk serve`: uvicorn's own configuration plus a filter that keeps secrets
out of the access log (reporters' status tokens and registrants' manage tokens travel in query
strings; the Telegram webhook's secret is a path segment)."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

_SECRETS = (
    (re.compile(r"((?:^|[?&])(?:token|manage_token|status_token|csrf_token)=)[^&#\s]*", re.I), r"\1[redacted]"),
    (re.compile(r"(/telegram/webhook/)[^/?#\s]+"), r"\1[redacted]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactTokens(logging.Filter):
    """uvicorn's access records carry the path with its query as the third argument."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            args = list(record.args)
            args[2] = redact(args[2])
            record.args = tuple(args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def uvicorn_log_config() -> dict[str, Any]:
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": f"{__name__}.RedactTokens"}
    config["handlers"]["access"]["filters"] = ["redact_tokens"]
    return config
