"""One error shape for the whole API:
`{"error": {"code", "message", "messages": {"zh", "en"}, "details"?}}`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import Conflict, DomainError, NotFound, PermissionDenied, TooManyRequests, ValidationFailed

from core.kit.validation import COMMON_LABELS, Labels, describe_errors

from .i18n import labels_for_path, request_language
from .open311 import PREFIX as OPEN311_PREFIX

STATUS_BY_TYPE: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (PermissionDenied, 403),
    (Conflict, 409),
    (ValidationFailed, 422),
    (TooManyRequests, 429),
)


class ApiError(DomainError):
    """A DomainError with an explicit HTTP status (401, 413, ...)."""

    def __init__(self, status_code: int, message_zh: str, message_en: str, *, code: str,
                 headers: dict[str, str] | None = None):
        super().__init__(message_zh, message_en, code=code)
        self.status_code = status_code
        self.headers = headers


class ErrorDetail(BaseModel):
    code: str
    message: str
    messages: dict[str, str]
    details: dict[str, Any] | None = None


class ErrorOut(BaseModel):
    """The one error shape, as documented in the OpenAPI for every 4xx a route can answer."""

    error: ErrorDetail


_DESCRIPTIONS = {
    400: "The body could not be parsed", 401: "No or unknown staff token", 403: "The role may not do this",
    404: "Not found", 409: "Conflicts with the current state", 413: "Request body too large",
    422: "Invalid input (fields named in details)", 429: "Too many requests; see Retry-After",
}
# Every API route: a malformed body (400), an unknown id or path (404), a body over the limit
# (413, public_api.limits), invalid input (422).
BASE_ERRORS = (400, 404, 413, 422)
STAFF_ERRORS = (401, 403, 409)


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these status codes, each with the error shape."""
    return {code: {"model": ErrorOut, "description": _DESCRIPTIONS[code]} for code in codes}


def status_for(exc: DomainError) -> int:
    if isinstance(exc, ApiError):
        return exc.status_code
    for kind, status in STATUS_BY_TYPE:
        if isinstance(exc, kind):
            return status
    return 400


def error_headers(exc: DomainError) -> dict[str, str] | None:
    if isinstance(exc, ApiError):
        return exc.headers
    if isinstance(exc, TooManyRequests):
        return {"Retry-After": str(exc.retry_after)}
    return None


def error_body(exc: DomainError, lang: str) -> dict[str, Any]:
    return {"error": exc.as_dict(lang)}


def validation_error(errors: list[dict[str, Any]], labels: Labels = COMMON_LABELS) -> ValidationFailed:
    described = describe_errors(errors, labels)
    return ValidationFailed(
        "；".join(d["message_zh"] for d in described),
        "; ".join(d["message_en"] for d in described),
        code="invalid_request",
        fields=described,
    )


# Paths that are the API or files (JSON errors); everything else is a web page (HTML errors).
API_PREFIXES = ("/api/", "/telegram/", "/docs", "/redoc", "/static/")


def is_page(request: Request) -> bool:
    """Web pages (the portal, the console) get HTML errors; the API and everything else JSON."""
    path = request.url.path
    return not (path.startswith(API_PREFIXES) or path in ("/openapi.json", "/healthz") or path.endswith(".ics"))


def error_response(request: Request, exc: DomainError, status_code: int,
                   headers: dict[str, str] | None = None) -> Response:
    """The project's error shape for any request: JSON on the API, the error page on web pages,
    and GeoReport's error list (XML or JSON, 400/403/404) under /open311/."""
    if request.url.path.startswith(OPEN311_PREFIX):
        from .open311.render import error_document

        return error_document(request.url.path, exc, status_code, request_language(request), headers)
    if is_page(request):
        from .web.templating import error_page

        response: Response = error_page(request, status_code, exc)
        if headers:
            response.headers.update(headers)
        return response
    return JSONResponse(error_body(exc, request_language(request)), status_code=status_code, headers=headers)


class InternalError(DomainError):
    code = "internal_error"

    def __init__(self) -> None:
        super().__init__("服务器内部错误，请稍后重试；问题已记录。",
                         "Internal server error; please try again later. The problem has been logged.")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Starlette logs the traceback; the client learns nothing about the internals.
        return error_response(request, InternalError(), 500)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return error_response(request, exc, status_for(exc), error_headers(exc))

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError) -> Response:
        err = validation_error(list(exc.errors()), labels_for_path(request.url.path))
        return error_response(request, err, 422)

    @app.exception_handler(ValidationError)
    async def _model_validation(request: Request, exc: ValidationError) -> Response:
        err = validation_error(list(exc.errors()), labels_for_path(request.url.path))
        return error_response(request, err, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {
            400: (f"请求无法解析：{exc.detail}", f"The request could not be parsed: {exc.detail}"),
            404: ("找不到该地址", "Not found"),
            405: ("不支持该请求方法", "Method not allowed"),
            413: ("请求过大", "Request too large"),
            429: ("请求过于频繁，请稍后再试", "Too many requests; please try again later"),
        }
        zh, en = messages.get(exc.status_code, (str(exc.detail), str(exc.detail)))
        err = DomainError(zh, en, code=f"http_{exc.status_code}")
        return error_response(request, err, exc.status_code, getattr(exc, "headers", None))
