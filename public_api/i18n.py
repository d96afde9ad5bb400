"""Picking the reply language, and which domain's field labels word a request's validation errors
(the wording itself is `core.kit.validation`)."""

from __future__ import annotations

from fastapi import Request

from complaints import schemas as complaints_schemas
from core.kit.language import DEFAULT_LANGUAGE, LANGUAGES, normalize_language
from core.kit.validation import Labels
from knowledge import schemas as knowledge_schemas
from opendays import schemas as opendays_schemas
from projects import schemas as projects_schemas


def labels_for_path(path: str) -> Labels:
    """The labels of the domain a URL belongs to (the same field name means different things in
    different domains: a report's description is not an event's)."""
    if "open-days" in path:
        return opendays_schemas.FIELD_LABELS
    if "/ask" in path or "/knowledge" in path:
        return {**complaints_schemas.FIELD_LABELS, **knowledge_schemas.FIELD_LABELS}
    if "/companies" in path or "/projects" in path or path.endswith("/project"):
        return {**complaints_schemas.FIELD_LABELS, **projects_schemas.FIELD_LABELS}
    return complaints_schemas.FIELD_LABELS


def request_language(request: Request) -> str:
    """`?lang=en|zh` wins; otherwise the first of Accept-Language we speak; Chinese by default."""
    explicit = request.query_params.get("lang")
    if explicit:
        return normalize_language(explicit)
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag[:2] in LANGUAGES:  # the first one we speak
            return normalize_language(tag)
    return DEFAULT_LANGUAGE
