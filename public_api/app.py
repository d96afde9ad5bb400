"""The FastAPI application: public API, staff API, the staff console and the public portal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from civicdesk import __version__
from civicdesk.container import Services, build_services
from core.settings import Settings

from .docs import install_docs
from .errors import error_response, install_error_handlers
from .limits import BodyLimitMiddleware, body_limits
from .open311 import routes as open311
from .routes import departments, feeds, health, my_reports, reports, results, staff_links, staff_reports
from .routes import knowledge as knowledge_routes
from .routes import opendays, opendays_staff
from .routes import projects as project_routes
from .web import auth as web_auth
from .web import knowledge_pages as web_knowledge
from .web import opendays_pages as web_opendays
from .web import my_reports_pages as web_my_reports
from .web import notify_pages as web_notify
from .web import portal as web_portal
from .web import results_pages as web_results
from .web import accounts_pages as web_accounts
from .web import alerts_pages as web_alerts
from .web import map_pages as web_map
from .web import staff as web_staff
from .web import projects_pages as web_projects
from .web.security import SecurityHeadersMiddleware, tile_origin

STATIC_DIR = Path(__file__).resolve().parent / "static"


@asynccontextmanager
async def hold_services(app: FastAPI, settings: Settings, services: Services | None) -> AsyncIterator[None]:
    """`app.state.services` for the app's life: the caller's, or its own, closed at the end."""
    owned = services is None
    app.state.services = services or build_services(settings)
    await app.state.services.complaints.ensure_seed_data()
    try:
        yield
    finally:
        if owned:
            await app.state.services.aclose()


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """Build the app. Pass `services` to share them with the caller (tests, the bot process);
    otherwise the app builds its own and closes them on shutdown."""
    settings = services.settings if services else (settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Stateless: background work (delivery, jobs, sweeps, ingest) is composed in civicdesk/.
        async with hold_services(app, settings, services):
            yield

    app = FastAPI(
        title="Civic Desk API",
        version=__version__,
        description="County housing and construction bureau: reports, policy answers, open days.",
        lifespan=lifespan,
        docs_url=None,  # public_api.docs serves it from local files (or not at all in production)
        redoc_url=None,
    )
    if services is not None:
        app.state.services = services
    install_error_handlers(app)
    install_docs(app, enabled=settings.environment != "production")
    app.include_router(health.router)
    app.include_router(reports.router)
    app.include_router(my_reports.router)
    app.include_router(results.router)
    app.include_router(feeds.router)
    app.include_router(staff_reports.router)
    app.include_router(departments.router)
    app.include_router(staff_links.router)
    app.include_router(knowledge_routes.router)
    app.include_router(opendays.router)
    app.include_router(opendays.feeds)
    app.include_router(opendays_staff.router)
    app.include_router(project_routes.router)
    app.include_router(open311.router)
    app.include_router(open311.discovery)
    # Web pages: the staff console and the public portal.
    tiles = tile_origin(settings.map_tiles_url)
    app.add_middleware(SecurityHeadersMiddleware, img_sources=(tiles,) if tiles else ())
    web_auth.install_page_errors(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(web_auth.router)
    app.include_router(web_staff.router)
    app.include_router(web_map.router)
    app.include_router(web_projects.router)
    app.include_router(web_accounts.router)
    app.include_router(web_alerts.router)
    app.include_router(web_portal.router)
    app.include_router(web_notify.router)
    app.include_router(web_my_reports.router)
    app.include_router(web_results.router)
    app.include_router(web_knowledge.router)
    app.include_router(web_opendays.router)
    # A body over its route's limit is refused before any parser sees it.
    app.add_middleware(BodyLimitMiddleware, limit_for=body_limits(settings), reject=error_response)
    if settings.trusted_proxies:
        # Outermost: the client address and scheme come from X-Forwarded-For/-Proto only when the
        # connection is from a configured proxy; everyone else's headers are ignored.
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app
