// Staff console, map of reports: the points of /staff/map.geojson (the page's filters) on Leaflet, a
// marker coloured by status with "!" when overdue, grouped on a pixel grid at low zoom (a cluster
// shows its count, red-ringed when any report in it is overdue; a tap zooms in, or lists the reports
// when they share one spot). Points are WGS-84; GCJ-02 tiles get them shifted for display (map.js).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-reports-map]");
  if (!box) return;
  const words = JSON.parse(box.dataset.labels);
  const status = document.getElementById("map-status");
  const say = (text, kind) => { status.textContent = text; status.className = "map-status " + (kind || ""); };
  const gcj = box.dataset.datum === "gcj02" && window.civicdeskDatum;
  const toMap = (lat, lon) => (gcj ? window.civicdeskDatum.wgsToGcj(lat, lon) : [lat, lon]);
  const CELL = 64;  // px: points closer than one grid cell at the current zoom are one cluster
  const MAX_ZOOM = 19;
  let unavailable = false;

  function sayUnavailable() {
    unavailable = true;
    box.classList.add("unavailable");
    say(words.unavailable_staff, "warn");
  }
  if (typeof L === "undefined") { sayUnavailable(); return; }

  const [clat, clon] = box.dataset.center.split(",").map(Number);
  const map = L.map(box, { zoomControl: false, maxZoom: MAX_ZOOM }).setView(toMap(clat, clon), Number(box.dataset.zoom));
  window.civicdeskControls(map, box);
  const tiles = L.tileLayer(box.dataset.tiles, { maxZoom: MAX_ZOOM, attribution: box.dataset.attribution });
  let loaded = false;
  tiles.on("tileload", () => {
    if (loaded) return;
    loaded = true;
    if (unavailable) { unavailable = false; box.classList.remove("unavailable"); say(""); map.invalidateSize(); }
  });
  tiles.on("tileerror", () => { if (!loaded) sayUnavailable(); });
  setTimeout(() => { if (!loaded) sayUnavailable(); }, 8000);  // a tile server that never answers
  tiles.addTo(map);
  map.on("popupopen", (e) => {
    e.popup.getElement()?.querySelector(".leaflet-popup-close-button")?.setAttribute("aria-label", words.close);
  });

  const layer = L.layerGroup().addTo(map);
  let points = [];

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, attrs || {});
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }
  const lang = document.documentElement.lang.startsWith("zh") ? "zh" : "en";
  const colon = lang === "zh" ? "：" : ": ";
  const link = (p) => el("a", { href: "/staff/reports/" + encodeURIComponent(p.id), textContent: p.id });

  function details(p) {
    const q = p.properties;
    const due = q.due_at ? q.due_at.slice(0, 16).replace("T", " ") : "–";
    return el("div", { className: "report-popup" },
      el("strong", {}, link(p)),
      el("div", {}, `${lang === "zh" ? q.category_zh : q.category_en} · ${words.status[q.status] || q.status}`),
      el("div", {}, `${words.priority[q.priority] || q.priority}${q.department ? " · " + q.department : ""}`),
      q.address ? el("div", { className: "muted" }, q.address) : null,
      el("div", { className: q.overdue ? "late" : "" }, `${words.due}${colon}${due}${q.overdue ? " · " + words.overdue : ""}`),
      el("a", { className: "button small", href: "/staff/reports/" + encodeURIComponent(p.id), textContent: words.open_report }));
  }

  function listing(group) {
    return el("div", { className: "report-popup" },
      el("strong", {}, words.cluster_reports.replace("{n}", group.length)),
      el("ul", {}, ...group.map((p) => el("li", { className: p.properties.overdue ? "late" : "" }, link(p),
        ` ${words.status[p.properties.status] || p.properties.status}${p.properties.overdue ? " · " + words.overdue : ""}`))));
  }

  function marker(p) {
    const q = p.properties;
    const icon = L.divIcon({
      className: `report-dot s-${q.status}${q.overdue ? " overdue" : ""}`, iconSize: [22, 22],
      html: `<span data-number="${p.id}">${q.overdue ? "!" : ""}</span>`,
    });
    return L.marker(p.at, { icon, title: `${p.id} ${words.status[q.status] || q.status}`, keyboard: true })
      .bindPopup(() => details(p), { maxWidth: 260, minWidth: 200 });
  }

  function cluster(group) {
    const lat = group.reduce((s, p) => s + p.at[0], 0) / group.length;
    const lon = group.reduce((s, p) => s + p.at[1], 0) / group.length;
    const late = group.some((p) => p.properties.overdue);
    const size = group.length < 10 ? "small" : group.length < 100 ? "medium" : "large";
    const px = size === "small" ? 34 : size === "medium" ? 42 : 50;
    const icon = L.divIcon({
      className: `report-cluster ${size}${late ? " has-overdue" : ""}`, iconSize: [px, px],
      html: `<span data-count="${group.length}">${group.length}</span>`,
    });
    const m = L.marker([lat, lon], { icon, title: words.cluster_reports.replace("{n}", group.length), keyboard: true });
    const bounds = L.latLngBounds(group.map((p) => p.at));
    const samePlace = bounds.getNorthEast().equals(bounds.getSouthWest(), 1e-7);
    m.on("click", () => {
      if (samePlace || map.getZoom() >= MAX_ZOOM - 1) {
        L.popup({ maxWidth: 280, minWidth: 220 }).setLatLng([lat, lon]).setContent(listing(group)).openOn(map);
        return;
      }
      const zoom = Math.min(Math.max(map.getBoundsZoom(bounds.pad(0.2)), map.getZoom() + 1), MAX_ZOOM);
      map.setView(bounds.getCenter(), zoom);
    });
    return m;
  }

  function draw() {
    layer.clearLayers();
    const zoom = map.getZoom();
    const cells = new Map();
    for (const p of points) {
      const at = map.project(p.at, zoom);
      const key = `${Math.floor(at.x / CELL)}:${Math.floor(at.y / CELL)}`;
      if (!cells.has(key)) cells.set(key, []);
      cells.get(key).push(p);
    }
    for (const group of cells.values()) layer.addLayer(group.length === 1 ? marker(group[0]) : cluster(group));
    box.dataset.drawnZoom = String(zoom);
  }
  map.on("zoomend", draw);

  if (!unavailable) say(words.loading);
  fetch(box.dataset.source, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
    .then((data) => {
      points = data.features.map((f) => ({ ...f, at: toMap(f.geometry.coordinates[1], f.geometry.coordinates[0]) }));
      if (points.length) {
        // Not animated: the markers are drawn once at the zoom the page opens with (an animated
        // fit redrew them when it ended, under the first tap of a cluster).
        map.fitBounds(L.latLngBounds(points.map((p) => p.at)).pad(0.1), { maxZoom: 16, animate: false });
      }
      draw();
      const shown = document.getElementById("map-shown");
      let text = points.length ? words.shown.replace("{n}", points.length) : words.none;
      if (data.truncated) text += " " + words.truncated.replace("{n}", data.shown);
      if (shown && !unavailable) shown.textContent = text;
      if (!unavailable) say("");
      box.dataset.loaded = "true";
    })
    .catch(() => { say(words.failed, "error"); box.dataset.loaded = "failed"; });
});
