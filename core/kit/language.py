"""The two languages people are answered in, and reading any language tag as one of them."""

from __future__ import annotations

from typing import Literal

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
DEFAULT_LANGUAGE: Language = "zh"


def normalize_language(value: str | None, default: Language = DEFAULT_LANGUAGE) -> Language:
    """`en`, `en-GB`, `EN_us` are English; `zh`, `zh-CN`, `zh-Hant` are Chinese; anything else
    (missing, `fr`) is `default`."""
    tag = (value or "").strip().lower()
    if tag.startswith("en"):
        return "en"
    if tag.startswith("zh"):
        return "zh"
    return default


def is_english(value: str | None) -> bool:
    return normalize_language(value) == "en"


def pick(lang: str | None, zh: str, en: str) -> str:
    """The text in the reader's language."""
    return en if is_english(lang) else zh
