"""The two languages people are answered in, and reading any language tag as one of them."""

from __future__ import annotations

import re
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


_LATIN = re.compile(r"[A-Za-z]")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def text_language(text: str) -> Language:
    """The language a text is written in: `en` when Latin letters outnumber Chinese characters two to one
    (a Chinese word or law name inside an English question keeps it English), else `zh`."""
    return "en" if len(_LATIN.findall(text)) > 2 * len(_HAN.findall(text)) else "zh"
