"""/docs: Swagger UI served from this server (vendored from npm in static/vendor/swagger-ui, see
its README), never from a CDN: the app's own Content-Security-Policy forbids other origins, and an
offline bureau cannot reach one. Version 5: FastAPI writes OpenAPI 3.1, which Swagger UI 4 (the
`swagger-ui-bundle` package's) refused to render. Off when CIVICDESK_ENVIRONMENT=production."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
SWAGGER_UI = Path(__file__).parent / "static" / "vendor" / "swagger-ui"
# Swagger UI sets inline styles on its elements; scripts stay 'self' only (the initialiser is a file).
DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
            "frame-ancestors 'none'; base-uri 'self'")

PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Civic Desk API</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css"><link rel="icon" href="{ASSETS}/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script></body></html>
"""


def install_docs(app: FastAPI, *, enabled: bool) -> None:
    if not enabled:
        return
    app.mount(ASSETS, StaticFiles(directory=SWAGGER_UI), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(PAGE, headers={"Content-Security-Policy": DOCS_CSP})
