"""Validation errors worded for people, in both languages. The API, the portal, the console and
the bot all word pydantic's errors here; each domain's schemas declare their fields' labels
(`FIELD_LABELS`), and validators raise `Invalid` to give their own message in both languages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# A field's name for people: (Chinese, English).
Labels = Mapping[str, tuple[str, str]]

# Fields that are not any one domain's: paging and the like.
COMMON_LABELS: dict[str, tuple[str, str]] = {
    "page": ("页码", "page"),
    "per_page": ("每页条数", "per_page"),
    "lang": ("语言", "language"),
}

_LOCATIONS = ("body", "query", "path", "form", "header")


class Invalid(ValueError):
    """Raised by a validator with its message in both languages (pydantic keeps the exception)."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


def _field(loc: Iterable[Any]) -> str:
    return ".".join(str(p) for p in loc if p not in _LOCATIONS)


def describe_errors(errors: Iterable[Mapping[str, Any]], labels: Labels = COMMON_LABELS) -> list[dict[str, str]]:
    """pydantic's `errors()` as `{"field", "message_zh", "message_en"}`, one per error."""
    out = []
    for err in errors:
        field = _field(err.get("loc", ()))
        top = field.split(".")[0]
        name_zh, name_en = labels.get(top) or COMMON_LABELS.get(top) or (field, field)
        kind = err.get("type", "")
        ctx = err.get("ctx") or {}
        msg_en = str(err.get("msg", "invalid value"))
        if kind == "missing":
            zh, en = f"{name_zh}为必填项", f"{name_en} is required"
        elif kind in ("string_too_short", "too_short"):
            n = ctx.get("min_length", "")
            zh, en = f"{name_zh}至少需要 {n} 个字符", f"{name_en} needs at least {n} characters"
        elif kind in ("string_too_long", "too_long"):
            n = ctx.get("max_length", "")
            given = err.get("input")
            if isinstance(given, str):  # say how far over it is, so the person knows how much to cut
                zh = f"{name_zh}不能超过 {n} 个字符（现为 {len(given)} 个）"
                en = f"{name_en} must be at most {n} characters (it has {len(given)})"
            else:
                zh, en = f"{name_zh}不能超过 {n} 个字符", f"{name_en} must be at most {n} characters"
        elif kind in ("float_parsing", "int_parsing", "float_type", "int_type", "int_from_float"):
            zh, en = f"{name_zh}必须是数字", f"{name_en} must be a number"
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            zh, en = f"{name_zh}超出允许范围（{msg_en}）", f"{name_en}: {msg_en}"
        elif kind == "bool_parsing":
            zh, en = f"{name_zh}须为 true 或 false", f"{name_en} must be true or false"
        elif kind == "json_invalid":
            zh, en = "请求体不是合法的 JSON", "The request body is not valid JSON"
        elif kind == "value_error" and isinstance(ctx.get("error"), Invalid):
            error: Invalid = ctx["error"]
            zh, en = error.zh, (error.en if not field else f"{name_en}: {error.en}")
        elif kind == "value_error":
            text = str(ctx.get("error", msg_en)).removeprefix("Value error, ")
            zh = f"{name_zh}：{text}"
            en = f"{text}" if not field else f"{name_en}: {text}"
        else:
            zh, en = f"{name_zh}无效：{msg_en}", f"{name_en}: {msg_en}"
        out.append({"field": field, "message_zh": zh, "message_en": en})
    return out


def error_lines(errors: Iterable[Mapping[str, Any]], labels: Labels, lang: str) -> list[str]:
    """The messages alone, in one language: for forms and chat replies."""
    key = "message_en" if lang == "en" else "message_zh"
    return [d[key] for d in describe_errors(errors, labels)]
