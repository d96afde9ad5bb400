// The place on a map (Leaflet, served from /static/vendor/leaflet): tap to set the point, drag to
// adjust, or use the device's location. Coordinates in the form are always WGS-84; GCJ-02 tiles
// (AutoNavi, Tencent) get the point shifted for display and shifted back when it is picked.
"use strict";

const datum = (() => {
  const A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;
  const outOfChina = (lat, lon) => lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
  function dLat(x, y) {
    let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += ((20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2) / 3;
    r += ((20 * Math.sin(y * PI) + 40 * Math.sin((y / 3) * PI)) * 2) / 3;
    r += ((160 * Math.sin((y / 12) * PI) + 320 * Math.sin((y * PI) / 30)) * 2) / 3;
    return r;
  }
  function dLon(x, y) {
    let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += ((20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2) / 3;
    r += ((20 * Math.sin(x * PI) + 40 * Math.sin((x / 3) * PI)) * 2) / 3;
    r += ((150 * Math.sin((x / 12) * PI) + 300 * Math.sin((x / 30) * PI)) * 2) / 3;
    return r;
  }
  function wgsToGcj(lat, lon) {
    if (outOfChina(lat, lon)) return [lat, lon];
    const rad = (lat / 180) * PI;
    const magic = 1 - EE * Math.sin(rad) * Math.sin(rad);
    const sq = Math.sqrt(magic);
    const la = (dLat(lon - 105, lat - 35) * 180) / (((A * (1 - EE)) / (magic * sq)) * PI);
    const lo = (dLon(lon - 105, lat - 35) * 180) / ((A / sq) * Math.cos(rad) * PI);
    return [lat + la, lon + lo];
  }
  function gcjToWgs(lat, lon) {  // no closed form: a few fixed-point steps reach millimetres
    let w = [lat, lon];
    for (let i = 0; i < 6; i++) {
      const g = wgsToGcj(w[0], w[1]);
      w = [w[0] - (g[0] - lat), w[1] - (g[1] - lon)];
    }
    return w;
  }
  return { wgsToGcj, gcjToWgs };
})();
window.civicdeskDatum = datum;

// Leaflet's own texts are English: every map takes the zoom buttons' titles and the attribution's
// library credit from the page's catalog (the data-msg-* of map_texts in portal/_map.html).
function civicdeskControls(map, box) {
  const d = box.dataset;
  L.control.zoom({ zoomInTitle: d.msgZoomIn, zoomOutTitle: d.msgZoomOut }).addTo(map);
  const credit = Object.assign(document.createElement("a"),
    { href: "https://leafletjs.com", title: d.msgLeafletTitle, textContent: d.msgLeaflet });
  map.attributionControl.setPrefix(credit.outerHTML);
}
window.civicdeskControls = civicdeskControls;

document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-map]");
  if (!box) return;
  const msg = (name) => box.dataset["msg" + name];
  const status = document.getElementById("map-status");
  const say = (text, kind) => { status.textContent = text; status.className = "map-status " + (kind || ""); };
  const latIn = document.getElementById("lat");
  const lonIn = document.getElementById("lon");
  const editable = box.dataset.editable === "true";
  const gcj = box.dataset.datum === "gcj02";
  const toMap = (lat, lon) => (gcj ? datum.wgsToGcj(lat, lon) : [lat, lon]);
  const fromMap = (lat, lon) => (gcj ? datum.gcjToWgs(lat, lon) : [lat, lon]);
  let map = null, marker = null;

  // Said once: every later tile error (a typed point pans the map to new tiles) would put this
  // back over a newer message, such as a denied location, and move the form under the finger.
  function unavailable() {
    if (box.classList.contains("unavailable")) return;
    box.classList.add("unavailable");
    say(msg("Unavailable"), "warn");
  }

  function show(lat, lon) {
    if (!map) return;
    const at = toMap(lat, lon);
    if (!marker) {
      marker = L.marker(at, { draggable: editable, keyboard: editable, alt: msg("Marker") }).addTo(map);
      marker.on("dragend", () => { const p = marker.getLatLng(); setPoint(...fromMap(p.lat, p.lng), false); });
    } else {
      marker.setLatLng(at);
    }
  }

  function setPoint(lat, lon, pan) {
    latIn.value = lat.toFixed(6);
    lonIn.value = lon.toFixed(6);
    show(lat, lon);
    if (pan && map) map.setView(toMap(lat, lon), Math.max(map.getZoom(), 16));
    if (!box.classList.contains("unavailable")) say(msg("Point").replace("{lat}", latIn.value).replace("{lon}", lonIn.value));
  }

  const center = box.dataset.point || box.dataset.center;
  const [clat, clon] = center.split(",").map(Number);
  if (typeof L === "undefined") {
    unavailable();
  } else {
    map = L.map(box, { scrollWheelZoom: false, tap: true, zoomControl: false })
      .setView(toMap(clat, clon), box.dataset.point ? 16 : Number(box.dataset.zoom));
    civicdeskControls(map, box);
    const tiles = L.tileLayer(box.dataset.tiles, { maxZoom: 19, attribution: box.dataset.attribution });
    let loaded = false;
    tiles.on("tileload", () => {
      if (!loaded) { loaded = true; box.classList.remove("unavailable"); if (status.classList.contains("warn")) say(""); }
    });
    tiles.on("tileerror", () => { if (!loaded) unavailable(); });
    setTimeout(() => { if (!loaded) unavailable(); }, 8000);  // a tile server that never answers
    tiles.addTo(map);
    if (box.dataset.point) show(clat, clon);
    if (editable) map.on("click", (e) => setPoint(...fromMap(e.latlng.lat, e.latlng.lng), false));
  }
  if (!editable) return;

  // Typed coordinates move the marker too.
  const typed = () => {
    const lat = parseFloat(latIn.value), lon = parseFloat(lonIn.value);
    if (Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) setPoint(lat, lon, true);
  };
  latIn.addEventListener("change", typed);
  lonIn.addEventListener("change", typed);

  document.querySelector("[data-clear-point]")?.addEventListener("click", () => {
    latIn.value = ""; lonIn.value = "";
    if (marker) { marker.remove(); marker = null; }
    if (!box.classList.contains("unavailable")) say("");
  });

  document.querySelector("[data-locate]")?.addEventListener("click", () => {
    if (!navigator.geolocation) { say(msg("Unsupported"), "error"); return; }
    say(msg("Locating"));
    navigator.geolocation.getCurrentPosition(
      (pos) => setPoint(pos.coords.latitude, pos.coords.longitude, true),
      (err) => say(err.code === err.PERMISSION_DENIED ? msg("Denied") : msg("PositionUnavailable"), "error"),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });
});
