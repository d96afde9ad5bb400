"""The words of every chat channel: one catalog per language (zh is the default, en is available).

Catalog values are Telegram HTML. `Texts.__call__` escapes every parameter, so text that came from
people or documents can never break the markup; `Texts.plain` fills parameters without HTML for
places Telegram shows as plain text (keyboard buttons, callback notices, command descriptions).
"""

from __future__ import annotations

import html
import re
from functools import cache, lru_cache

from core.kit.language import normalize_language

from . import en, followup, opendays, staff, zh

LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
CATALOGS: dict[str, dict[str, str]] = {
    "zh": zh.TEXTS | opendays.TEXTS["zh"] | followup.TEXTS["zh"] | staff.TEXTS["zh"],
    "en": en.TEXTS | opendays.TEXTS["en"] | followup.TEXTS["en"] | staff.TEXTS["en"],
}
LANGUAGE_NAMES: dict[str, str] = {"zh": "简体中文", "en": "English"}


class Html(str):
    """Markup already built from the catalog: passed to `Texts.__call__` without escaping."""


def normalize(lang: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    return normalize_language(lang, default if default in CATALOGS else DEFAULT_LANGUAGE)  # type: ignore[arg-type]


class Texts:
    """The catalog of one language, bound for a handler: `tr("key", name=value)`."""

    def __init__(self, lang: str):
        self.lang = normalize(lang)
        self._catalog = CATALOGS[self.lang]

    def __call__(self, key: str, **params: object) -> Html:
        template = self._catalog[key]
        if not params:
            return Html(template)
        safe = {k: v if isinstance(v, Html) else html.escape(str(v), quote=False) for k, v in params.items()}
        return Html(template.format(**safe))

    def plain(self, key: str, **params: object) -> str:
        template = self._catalog[key]
        return template.format(**params) if params else template


@cache
def texts(lang: str) -> Texts:
    return Texts(lang)


@cache
def labels(key: str) -> frozenset[str]:
    """The text of `key` in every language: a reply-keyboard button is matched whatever language
    the keyboard was drawn in (the person may have switched since)."""
    return frozenset(catalog[key] for catalog in CATALOGS.values())


_TAG = re.compile(r"</?(?:b|strong|i|em|u|s|code|pre|blockquote|tg-spoiler|span)(?:\s[^>]*)?>")
_LINK = re.compile(r'<a\s+href="([^"]*)"[^>]*>(.*?)</a>', re.S)


def as_plain(text: str) -> str:
    """Catalog HTML as plain text, for channels that show no markup (WeChat): tags dropped, a link
    kept as "text (url)" when its text is not the address itself, entities unescaped."""

    def link(match: re.Match[str]) -> str:
        url, label = html.unescape(match.group(1)), match.group(2)
        return label if html.unescape(label) == url else f"{label} ({url})"

    return html.unescape(_TAG.sub("", _LINK.sub(link, text)))
