"""Browser security for the web pages: CSRF tokens, cookie flags, response headers."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.ids import new_token, secrets_equal

CSRF_COOKIE = "cd_csrf"
# Over HTTPS the cookie is `__Host-` prefixed: browsers then accept it only with Secure, Path=/
# and no Domain, so a sibling subdomain or a plain-HTTP page cannot plant one that the
# double-submit check would trust.
SECURE_CSRF_COOKIE = "__Host-cd_csrf"
HSTS = "max-age=31536000; includeSubDomains"


def csrf_cookie_name(request: Request) -> str:
    return SECURE_CSRF_COOKIE if is_secure(request) else CSRF_COOKIE
CSRF_FIELD = "csrf_token"


def is_secure(request: Request) -> bool:
    """Cookies get the Secure flag when the site is served over HTTPS (directly, or behind a
    trusted proxy that says so: the proxy middleware has then set the scheme; or when the
    configured public URL is https). A bare X-Forwarded-Proto from anyone is not believed."""
    if request.url.scheme == "https":
        return True
    services = getattr(request.app.state, "services", None)
    return bool(services and services.settings.public_base_url.startswith("https://"))


@dataclass
class CsrfCookie:
    token: str
    is_new: bool
    secure: bool

    def apply(self, response: Response) -> None:
        if self.is_new:
            name = SECURE_CSRF_COOKIE if self.secure else CSRF_COOKIE
            response.set_cookie(name, self.token, httponly=True, samesite="strict", secure=self.secure, path="/")


def ensure_csrf_cookie(request: Request) -> CsrfCookie:
    """Double-submit token: a random value in an HttpOnly SameSite cookie that every form echoes.
    A page on another site can neither read the cookie nor make the browser send it."""
    existing = getattr(request.state, "csrf_token", None) or request.cookies.get(csrf_cookie_name(request))
    if existing and len(existing) >= 32:
        request.state.csrf_token = existing
        return CsrfCookie(existing, False, is_secure(request))
    token = new_token(32)
    request.state.csrf_token = token
    return CsrfCookie(token, True, is_secure(request))


def csrf_valid(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(csrf_cookie_name(request))
    return bool(cookie and submitted and secrets_equal(submitted, cookie))


def security_headers(img_sources: tuple[str, ...] = ()) -> dict[str, str]:
    """Everything is served from this origin; only map tiles (images) may come from their server."""
    img = " ".join(("'self'", "data:", *img_sources))
    return {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Content-Security-Policy": (
            f"default-src 'self'; img-src {img}; style-src 'self'; script-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
        ),
    }


def tile_origin(url_template: str) -> str | None:
    """The CSP source of a tile URL template: https://{s}.tile.example.org/{z}/{x}/{y}.png ->
    https://*.tile.example.org; None for a same-origin (relative) template."""
    parts = urlsplit(url_template.replace("{s}", "subdomain"))
    if not parts.scheme or not parts.netloc:
        return None
    host = parts.netloc.replace("subdomain", "*")
    return f"{parts.scheme}://{host}"


class SecurityHeadersMiddleware:
    """Adds the headers to HTML responses, and HSTS to every response over HTTPS. Plain ASGI, so
    API requests pay almost nothing."""

    def __init__(self, app: ASGIApp, img_sources: tuple[str, ...] = ()):
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in security_headers(img_sources).items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if https:  # only over HTTPS: browsers ignore it on plain HTTP, as the RFC says
                    headers.append((b"strict-transport-security", HSTS.encode()))
                    message["headers"] = headers
                content_type = next((v for k, v in headers if k == b"content-type"), b"")
                if content_type.startswith(b"text/html"):
                    present = {k for k, _ in headers}
                    headers += [(k, v) for k, v in self.headers if k not in present]
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
