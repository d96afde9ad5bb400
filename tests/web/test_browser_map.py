"""The console's map of reports in Chromium, on a phone (390x844) and a desktop (1280x900), over a
loopback tile server: markers and clusters, a popup linking the report, the list's filter form
changing the markers, a scoped triager seeing only its department, no horizontal scroll, and a
tile service that is down (the page says so and still shows the counts and the list), and GCJ-02
tiles (the marker stands on the shifted spot)."""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Iterator

import httpx
import pytest

from tests.live import LiveServer
from wechat.geo import wgs84_to_gcj02

from .conftest import (ARTIFACTS, DESKTOP, LEAFLET_EN, LEAFLET_ZH, PHONE, SITE, assert_fits, device_context,
                       leaflet_texts, seedless_map_site, sign_in)
from .tiles import TileServer

WAGES = "县人力资源和社会保障局"
SCOPED_PASSWORD = "wages map password 1"


@pytest.fixture(scope="module")
def map_site(tmp_path_factory: pytest.TempPathFactory, tiles: TileServer) -> Iterator[LiveServer]:
    with seedless_map_site(tmp_path_factory, "staffmap", tiles) as live:
        added = live.cli("staff", "add", "wages.map", "--role", "triager", "--department", WAGES,
                         "--password-stdin", stdin=SCOPED_PASSWORD + "\n")
        assert added.returncode == 0, added.stderr
        yield live


def _report(site: LiveServer, category: str, text: str, point: tuple[float, float] | None) -> str:
    data = {"category": category, "description": text, "address": "城北路 8 号工地"}
    if point:
        data |= {"lat": str(point[0]), "lon": str(point[1])}
    created = httpx.post(f"{site.url}/api/v1/reports", data=data, timeout=30)
    assert created.status_code == 201, created.text
    return created.json()["tracking_number"]


@pytest.fixture(scope="module")
def seeded(map_site: LiveServer) -> dict[str, list[str]]:
    """Six enforcement reports within 100 m of the site, two wages reports 2 km north, one 11 km
    away, one without coordinates, two at one spot 5 km south; the first is made overdue (its
    acceptance deadline moved back)."""
    near = [_report(map_site, "dust" if i % 2 else "night_noise", f"第{i}号工地夜间施工扬尘",
                    (SITE[0] + 0.0003 * i, SITE[1] - 0.0002 * i)) for i in range(6)]
    wages = [_report(map_site, "unpaid_wages", f"拖欠{i + 3}名工人工资", (SITE[0] + 0.02, SITE[1] + 0.001 * i))
             for i in range(2)]
    far = [_report(map_site, "dust", "城外搅拌站粉尘", (SITE[0] + 0.1, SITE[1] + 0.1))]
    nowhere = [_report(map_site, "night_noise", "不知道具体位置的夜间施工", None)]
    same_spot = [_report(map_site, "quality", f"同一栋楼第{i + 1}处墙体开裂", (SITE[0] - 0.05, SITE[1])) for i in range(2)]
    with sqlite3.connect(map_site.env["DB"]) as db:
        db.execute("UPDATE reports SET acceptance_due_at = datetime(acceptance_due_at, '-30 days') "
                   "WHERE tracking_number = ?", (near[0],))
    return {"near": near, "wages": wages, "far": far, "nowhere": nowhere, "same_spot": same_spot}


def _loaded(page) -> None:  # noqa: ANN001
    page.wait_for_selector("#reports-map[data-loaded=true]")


def _represented(page) -> list[int]:  # noqa: ANN001
    """[single markers, reports inside clusters] now drawn."""
    return page.evaluate("""() => [
        document.querySelectorAll('#reports-map [data-number]').length,
        [...document.querySelectorAll('#reports-map [data-count]')].reduce((s, e) => s + Number(e.dataset.count), 0)]""")


def _sign_in_scoped(page, base: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/staff/login")
    page.fill("input[name=username]", "wages.map")
    page.fill("input[name=password]", SCOPED_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/staff")


def test_map_markers_clusters_popup_and_filters_on_a_desktop(browser, map_site, seeded, tiles) -> None:  # noqa: ANN001
    context = device_context(browser, DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, map_site.url, "triager")
    page.click("nav >> text=地图")
    page.wait_for_url(f"{map_site.url}/staff/map")
    _loaded(page)
    page.wait_for_selector("#reports-map .leaflet-tile-loaded")
    assert "© 测试瓦片" in page.inner_text("#reports-map .leaflet-control-attribution")
    assert leaflet_texts(page, "#reports-map") == LEAFLET_ZH
    counts = page.inner_text("#map-counts")
    assert "符合条件的举报 12 件" in counts and "没有位置 1 件" in counts and "已逾期 1 件" in counts
    assert "地图上显示 11 件" in page.inner_text("#map-shown")
    # At the zoom that shows everything, the six reports by the site are one cluster.
    singles, clustered = _represented(page)
    assert singles + clustered == 11 and clustered >= 6
    assert page.locator("#reports-map .report-cluster.has-overdue").count() == 1
    assert_fits(page, "staff-map-desktop")
    # Tapping the cluster zooms in until its reports stand apart; the overdue one is marked.
    # Each step waits for the zoom's redraw and the end of its animation: a click that lands
    # while markers are redrawn finds the cluster detached (the overdue one may stand alone now).
    overdue = page.locator(f"#reports-map [data-number='{seeded['near'][0]}']")
    cluster = page.locator("#reports-map .report-cluster.has-overdue")
    for _ in range(8):
        overdue.or_(cluster).first.wait_for()
        if overdue.count():
            break
        zoom = page.get_attribute("#reports-map", "data-drawn-zoom")
        cluster.click()
        page.wait_for_function("(z) => { const box = document.getElementById('reports-map');"
                               " return box.dataset.drawnZoom !== z && !box.classList.contains('leaflet-zoom-anim'); }",
                               arg=zoom)
    assert overdue.inner_text() == "!"
    overdue.click()
    popup = page.locator(".leaflet-popup-content")
    assert seeded["near"][0] in popup.inner_text() and "逾期" in popup.inner_text()
    assert page.locator(".leaflet-popup-close-button").get_attribute("aria-label") == "关闭"
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "staff-map-desktop-popup.png"))
    with page.expect_navigation():
        popup.locator("a.button").click()
    assert page.url == f"{map_site.url}/staff/reports/{seeded['near'][0]}"
    # The list's filter form: only wage reports.
    page.goto(f"{map_site.url}/staff/map")
    _loaded(page)
    page.select_option("select[name=category]", "unpaid_wages")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    _loaded(page)
    assert "符合条件的举报 2 件" in page.inner_text("#map-counts")
    assert sum(_represented(page)) == 2
    assert "category=unpaid_wages" in page.get_attribute("#to-list", "href")
    assert_fits(page, "staff-map-desktop-filtered")
    # Reports at one spot never stand apart: their cluster lists them.
    page.goto(f"{map_site.url}/staff/map?category=quality")
    _loaded(page)
    assert _represented(page) == [0, 2]
    page.locator("#reports-map .report-cluster").click()
    listed = page.inner_text(".leaflet-popup-content")
    assert "此处 2 件举报" in listed and all(n in listed for n in seeded["same_spot"])
    page.wait_for_timeout(300)  # the popup's fade-in, for the screenshot
    page.screenshot(path=str(ARTIFACTS / "staff-map-desktop-same-spot.png"))
    context.close()


def test_a_scoped_triager_on_a_phone_sees_only_its_department(browser, map_site, seeded) -> None:  # noqa: ANN001
    context = device_context(browser, PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    _sign_in_scoped(page, map_site.url)
    page.goto(f"{map_site.url}/staff/map")
    _loaded(page)
    page.wait_for_selector("#reports-map .leaflet-tile-loaded")
    assert "符合条件的举报 2 件" in page.inner_text("#map-counts")
    assert sum(_represented(page)) == 2
    html = page.content()
    for number in seeded["near"] + seeded["far"] + seeded["nowhere"]:
        assert number not in html
    assert_fits(page, "staff-map-phone-scoped")
    page.locator("#reports-map").screenshot(path=str(ARTIFACTS / "staff-map-phone-scoped-map.png"))
    page.goto(f"{map_site.url}/staff/map?lang=en")  # Leaflet's texts follow the page's language
    _loaded(page)
    assert leaflet_texts(page, "#reports-map") == LEAFLET_EN
    assert "2 reports match" in page.inner_text("#map-counts")
    context.close()


def test_tiles_down_the_page_says_so_and_keeps_the_counts_and_list(browser, map_site, seeded, tiles) -> None:  # noqa: ANN001
    context = device_context(browser, PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    tiles.down = True
    try:
        sign_in(page, map_site.url, "triager")
        page.goto(f"{map_site.url}/staff/map")
        page.wait_for_function("() => document.getElementById('map-status').textContent.includes('地图暂时无法加载')")
        assert "符合条件的举报 12 件" in page.inner_text("#map-counts")
        table = page.inner_text("#map-list")
        assert seeded["near"][0] in table and seeded["nowhere"][0] in table
        assert_fits(page, "staff-map-phone-tiles-down")
    finally:
        tiles.down = False
        context.close()


def test_without_leaflet_the_page_still_counts(browser, map_site, seeded) -> None:  # noqa: ANN001
    """A blocked or missing script file: the counts and list are the server's, the message the script's fallback."""
    context = device_context(browser, DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.route("**/static/vendor/leaflet/leaflet.js", lambda route: route.abort())
    sign_in(page, map_site.url, "triager")
    page.goto(f"{map_site.url}/staff/map")
    page.wait_for_function("() => document.getElementById('map-status').textContent.includes('地图暂时无法加载')")
    assert "没有位置 1 件" in page.inner_text("#map-counts")
    context.close()



@pytest.fixture(scope="module")
def gcj_site(tmp_path_factory: pytest.TempPathFactory, tiles: TileServer) -> Iterator[LiveServer]:
    """Tiles in GCJ-02 (as AutoNavi's and Tencent's are): the points are shifted for display."""
    with seedless_map_site(tmp_path_factory, "staffmap-gcj", tiles,
                           CIVICDESK_MAP_TILES_DATUM="gcj02") as live:
        yield live


def _world_px(lat: float, lon: float, zoom: int) -> tuple[float, float]:
    """Web Mercator: the point's pixel in the whole map at `zoom` (256 px tiles), as Leaflet's CRS."""
    size = 256 * 2**zoom
    rad = math.radians(lat)
    return (lon + 180) / 360 * size, (1 - math.log(math.tan(rad) + 1 / math.cos(rad)) / math.pi) / 2 * size


def test_gcj02_tiles_put_the_marker_on_the_shifted_spot(browser, gcj_site) -> None:  # noqa: ANN001
    """A report at WGS-84 SITE is drawn where GCJ-02 tiles show that place: its marker stands over
    the tile pixel of the shifted point (wechat/geo.py's reference shift, about 500 m here), not over
    the unshifted one; the GeoJSON keeps WGS-84."""
    number = _report(gcj_site, "dust", "工地扬尘，渣土车未覆盖", SITE)
    context = device_context(browser, DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, gcj_site.url, "triager")
    feature = page.request.get(f"{gcj_site.url}/staff/map.geojson").json()["features"][0]
    assert feature["id"] == number and feature["geometry"]["coordinates"] == [SITE[1], SITE[0]]
    page.goto(f"{gcj_site.url}/staff/map")
    _loaded(page)
    # One point: the map settles at zoom 16 on it once the zoom animation and the tiles are done.
    page.wait_for_function("""() => {
        const box = document.getElementById('reports-map');
        return box.dataset.drawnZoom === '16' && !box.querySelector('.leaflet-zoom-anim')
            && box.querySelectorAll('img.leaflet-tile-loaded[src*="/tiles/16/"]').length > 0;
    }""")
    dot = page.locator(f"#reports-map .report-dot:has([data-number='{number}'])").bounding_box()
    at = (dot["x"] + dot["width"] / 2, dot["y"] + dot["height"] / 2)
    src, tile = page.evaluate("""() => {
        const img = document.querySelector('#reports-map img.leaflet-tile-loaded[src*="/tiles/16/"]');
        const r = img.getBoundingClientRect();
        return [img.getAttribute('src'), [r.left, r.top]];
    }""")
    tx, ty = (int(v) for v in re.search(r"/tiles/16/(\d+)/(\d+)\.png", src).groups())

    def on_screen(lat: float, lon: float) -> tuple[float, float]:
        wx, wy = _world_px(lat, lon, 16)
        return tile[0] + wx - tx * 256, tile[1] + wy - ty * 256

    shifted, unshifted = on_screen(*wgs84_to_gcj02(*SITE)), on_screen(*SITE)
    assert math.dist(at, shifted) < 2, (at, shifted)
    assert math.dist(at, unshifted) > 100  # the shift is visible: ~230 px at zoom 16
    assert_fits(page, "staff-map-desktop-gcj02")
    context.close()
