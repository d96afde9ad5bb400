"""The bot's words are the conversations' catalogs (Telegram HTML, which is what they are written in)."""

from conversations.i18n import (  # noqa: F401 - re-exported for the handlers
    CATALOGS,
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    Html,
    Texts,
    labels,
    normalize,
    texts,
)
from conversations.i18n import en, followup, opendays, zh  # noqa: F401
