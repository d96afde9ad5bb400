"""Open data: public reports as GeoJSON and CSV for the county's GIS and anyone else.

A feed is built only from `PublicReport` (see `complaints/publication.py` for what is withheld and how
places are coarsened), so it carries no reporter, description, photo, internal note, token or exact
point. The same columns serve both formats, so a CSV row and a GeoJSON feature's properties agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.kit.bureau_time import BureauTime
from core.kit.csv import csv_text

from .open311 import open311_status
from .schemas import PublicReport

MAX_PER_PAGE = 1000

# (column, what it holds) — the order of the CSV and of each feature's properties.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("tracking_number", "the report's public number"),
    ("category_code", "a code of /api/v1/categories"),
    ("category_zh", "the category's Chinese name"),
    ("category_en", "the category's English name"),
    ("department", "the department handling it"),
    ("area", "the place at street level at most"),
    ("status", "the workflow status (submitted ... closed)"),
    ("open", "open or closed, as Open311 says"),
    ("received_at", "ISO 8601, bureau time"),
    ("updated_at", "ISO 8601, bureau time"),
    ("resolved_at", "ISO 8601, bureau time"),
    ("due_at", "the statutory deadline that applies now"),
    ("status_notes", "the latest message staff sent the reporter"),
    ("outcome", "what staff published when resolving"),
    ("merged_into", "the report it is handled with"),
    ("lat", "the centre of a ~1 km cell, WGS-84"),
    ("lon", "the centre of a ~1 km cell, WGS-84"),
)
HEADER = tuple(name for name, _ in COLUMNS)


def feed_row(report: PublicReport, bureau: BureauTime) -> dict[str, Any]:
    return {
        "tracking_number": report.tracking_number,
        "category_code": report.category.code,
        "category_zh": report.category.name_zh,
        "category_en": report.category.name_en,
        "department": report.department,
        "area": report.area or None,
        "status": report.status,
        "open": open311_status(report.status),
        "received_at": bureau.iso(report.received_at),
        "updated_at": bureau.iso(report.updated_at),
        "resolved_at": bureau.iso(report.resolved_at),
        "due_at": bureau.iso(report.due_at),
        "status_notes": report.status_notes,
        "outcome": report.outcome,
        "merged_into": report.merged_into,
        "lat": report.lat,
        "lon": report.lon,
    }


def geojson(reports: Sequence[PublicReport], bureau: BureauTime, *, total: int, page: int,
            per_page: int) -> dict[str, Any]:
    """A FeatureCollection (RFC 7946: [lon, lat], WGS-84). A report without a point is a feature with
    a null geometry, so counts agree with the CSV. `total`, `page` and `per_page` are foreign
    members for paging."""
    features = []
    for report in reports:
        properties = feed_row(report, bureau)
        lat, lon = properties.pop("lat"), properties.pop("lon")
        geometry = {"type": "Point", "coordinates": [lon, lat]} if lat is not None and lon is not None else None
        features.append({"type": "Feature", "id": report.tracking_number, "geometry": geometry,
                         "properties": properties})
    return {"type": "FeatureCollection", "features": features, "total": total, "page": page, "per_page": per_page}


def csv_feed(reports: Sequence[PublicReport], bureau: BureauTime) -> str:
    """Excel-safe CSV (core/kit/csv.py): staff replies and outcomes are free text."""
    return csv_text(HEADER, ([feed_row(r, bureau)[name] for name in HEADER] for r in reports))
