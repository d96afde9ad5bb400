"""Logging for every `civicdesk` process: plain text or one JSON object per line
(`CIVICDESK_LOG_FORMAT=json`, for a log collector), uvicorn's own configuration, and a filter that
keeps secrets out of the access log (reporters' status tokens and registrants' manage tokens travel
in query strings; the Telegram webhook's secret is a path segment)."""

from __future__ import annotations

import copy
import json
import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.settings import Settings

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


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, and the exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    """The root logger at CIVICDESK_LOG_LEVEL, as text or JSON lines (CIVICDESK_LOG_FORMAT)."""
    logging.basicConfig(level=settings.log_level, force=True)
    if settings.log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())


def uvicorn_log_config(log_format: str = "text") -> dict[str, Any]:
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": f"{__name__}.RedactTokens"}
    config["handlers"]["access"]["filters"] = ["redact_tokens"]
    if log_format == "json":
        for name in ("default", "access"):
            config["formatters"][name] = {"()": f"{__name__}.JsonFormatter"}
    return config
