"""Browser tests: Playwright drives Debian's Chromium (never a downloaded browser) against a real
server. Screenshots of each scenario's final page go to test-artifacts/screenshots/ (git-ignored)."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.live import LiveServer, live_server, server_env
from tests.web.tiles import TileServer, tile_server

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PASSWORDS = {"admin": "admin password 1", "triager": "triager password 1", "viewer": "viewer password 1"}
SITE = (30.2741, 120.1551)  # the map sites' centre: a construction site in Hangzhou


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Module-scoped: Playwright's sync API keeps an event loop running in this thread while it
    is open, which async tests collected after the browser modules must not inherit."""
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (make test / .ci/run install it with apt-get as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One live server on SQLite for every browser test, with one account per role (the browser tests are
    about pages; the database backends are covered by the API tests). Tests create their own
    reports and never depend on others' data."""
    tmp_path = tmp_path_factory.mktemp("site")
    # The tests reach the server as an https proxy on loopback would, so loopback is a trusted proxy here
    # (the default trusts none; tests/test_proxies_https.py covers that).
    env = server_env(tmp_path / "var", f"sqlite+aiosqlite:///{tmp_path}/web.db",
                     CIVICDESK_TRUSTED_PROXIES="127.0.0.1")
    with live_server(env) as live:
        for role, password in PASSWORDS.items():
            live.staff(role, role, password)
        yield live


def screenshotted_page(browser, request: pytest.FixtureRequest, timeout_ms: int = 15_000,  # noqa: ANN001
                       **context: object) -> Iterator[object]:
    """A page in a new browser context; its final state is saved as the test's screenshot."""
    browser_context = browser.new_context(locale="zh-CN", **context)
    page = browser_context.new_page()
    page.set_default_timeout(timeout_ms)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    browser_context.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator[object]:  # noqa: ANN001
    yield from screenshotted_page(browser, request, viewport={"width": 1200, "height": 900})


def sign_in(page, base: str, role: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/staff/login")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", PASSWORDS[role])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/staff")


@pytest.fixture(scope="module")
def tiles() -> Iterator[TileServer]:
    """A map tile server on loopback (tiles.py), for a module's own site with CIVICDESK_MAP_TILES_URL=tiles.url."""
    with tile_server() as server:
        yield server


@contextmanager
def seedless_map_site(tmp_path_factory: pytest.TempPathFactory, name: str, tiles: TileServer,
                      roles: Iterable[str] = ("triager",), **settings: str) -> Iterator[LiveServer]:
    """A module's own live server on SQLite for map pages: no policy documents seeded (these pages
    need none), tiles from the loopback server around SITE, an account per role in `roles` (user
    name = role, PASSWORDS); `live.env["DB"]` is its database file."""
    tmp_path = tmp_path_factory.mktemp(name)
    (tmp_path / "no-seed").mkdir()
    env = server_env(tmp_path / "var", f"sqlite+aiosqlite:///{tmp_path}/web.db",
                     CIVICDESK_KNOWLEDGE_SEED_DIR=str(tmp_path / "no-seed"), CIVICDESK_MAP_TILES_URL=tiles.url,
                     CIVICDESK_MAP_TILES_ATTRIBUTION="© 测试瓦片",
                     CIVICDESK_MAP_CENTER_LAT=str(SITE[0]), CIVICDESK_MAP_CENTER_LON=str(SITE[1]), **settings)
    with live_server(env) as live:
        for role in roles:
            live.staff(role, role, PASSWORDS[role])
        live.env["DB"] = str(tmp_path / "web.db")
        yield live


def device_context(browser, viewport: dict[str, int]):  # noqa: ANN001, ANN201
    """A new browser context: PHONE is a touch phone at device scale 2, anything else a desktop."""
    phone = viewport is PHONE
    return browser.new_context(locale="zh-CN", viewport=viewport, is_mobile=phone, has_touch=phone,
                               device_scale_factor=2 if phone else 1)


def assert_fits(page, name: str | None = None) -> None:  # noqa: ANN001
    """No horizontal scroll: the document is no wider than the viewport (and a screenshot as `name`)."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]")
    assert max(widths[:2]) <= widths[2], f"{name}: {widths[:2]} wider than the {widths[2]} px screen"
    if name:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# Leaflet's own texts as the catalog words them (Leaflet's defaults are the English ones).
LEAFLET_ZH = ("放大", "缩小", "Leaflet 地图库", "开源的交互式地图 JavaScript 库")
LEAFLET_EN = ("Zoom in", "Zoom out", "Leaflet", "A JavaScript library for interactive maps")


def leaflet_texts(page, box: str) -> tuple[str, ...]:  # noqa: ANN001
    """(zoom-in title, zoom-out title, the attribution's library credit, its title) of the map `box`."""
    return tuple(page.evaluate("""(box) => {
        const q = (s) => document.querySelector(box + " " + s);
        const credit = q(".leaflet-control-attribution a[href='https://leafletjs.com']");
        return [q(".leaflet-control-zoom-in").title, q(".leaflet-control-zoom-out").title,
                credit.textContent, credit.title];
    }""", box))
