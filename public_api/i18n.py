"""Picking the reply language and turning validation errors into sentences a person can act on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import Request

FIELD_NAMES: dict[str, tuple[str, str]] = {
    "category": ("举报类别", "category"),
    "description": ("问题描述", "description"),
    "address": ("地址", "address"),
    "lat": ("纬度", "latitude"),
    "lon": ("经度", "longitude"),
    "contact_name": ("联系人姓名", "contact name"),
    "contact_phone": ("联系电话", "contact phone"),
    "anonymous": ("匿名", "anonymous"),
    "photos": ("照片", "photos"),
    "token": ("查询码", "token"),
    "to": ("目标状态", "target status"),
    "priority": ("优先级", "priority"),
    "question": ("问题", "question"),
    "k": ("返回条数", "k"),
    "page": ("页码", "page"),
    "per_page": ("每页条数", "per_page"),
}

# Our own validators' English messages, with their Chinese.
CUSTOM_MESSAGES_ZH: dict[str, str] = {
    "give both lat and lon, or neither": "纬度和经度须同时填写或同时不填",
    "give an address or coordinates (lat, lon) so staff can find the site": "请填写地址或提供位置坐标，以便工作人员找到现场",
    "phone number must be digits, optionally with +, - or spaces": "联系电话只能包含数字、+、- 或空格",
}


def request_language(request: Request) -> str:
    """`?lang=en|zh` wins; otherwise the first of Accept-Language we speak; Chinese by default."""
    explicit = request.query_params.get("lang")
    if explicit:
        return "en" if explicit.lower().startswith("en") else "zh"
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            return "zh"
    return "zh"


def _field(loc: Iterable[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "header")]
    return ".".join(parts)


def describe_errors(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    out = []
    for err in errors:
        field = _field(err.get("loc", ()))
        name_zh, name_en = FIELD_NAMES.get(field.split(".")[0], (field, field))
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
            zh, en = f"{name_zh}不能超过 {n} 个字符", f"{name_en} must be at most {n} characters"
        elif kind in ("float_parsing", "int_parsing", "float_type", "int_type"):
            zh, en = f"{name_zh}必须是数字", f"{name_en} must be a number"
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            zh, en = f"{name_zh}超出允许范围（{msg_en}）", f"{name_en}: {msg_en}"
        elif kind == "bool_parsing":
            zh, en = f"{name_zh}须为 true 或 false", f"{name_en} must be true or false"
        elif kind == "json_invalid":
            zh, en = "请求体不是合法的 JSON", "The request body is not valid JSON"
        elif kind == "value_error":
            text = str(ctx.get("error", msg_en)).removeprefix("Value error, ")
            zh = CUSTOM_MESSAGES_ZH.get(text, f"{name_zh}：{text}")
            en = f"{text}" if not field else f"{name_en}: {text}"
        else:
            zh, en = f"{name_zh}无效：{msg_en}", f"{name_en}: {msg_en}"
        out.append({"field": field, "message_zh": zh, "message_en": en})
    return out
