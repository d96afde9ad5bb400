"""The staff map of reports: what a point on it carries and the GeoJSON the console map and API clients read.

Staff-only (scoped like every staff read): the exact WGS-84 point the reporter gave, the address,
category, status, priority, department and deadline, never the reporter, the description, photos or
notes (a popup needs none of them; the report's console page has everything). A report without
coordinates has no place on a map: it is left out and counted (`without_place`), so the page can
say how many it does not show. "Overdue" is `complaints/deadlines.py`'s rule. The map shows open
reports unless the filter names statuses (`workflow.OPEN_FILTER`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from core.kit.bureau_time import BureauTime

from .deadlines import due_at, is_overdue

MAP_LIMIT = 5000  # points in one answer; more matching ones make `truncated` true (the newest are shown)


class _Shown(BaseModel):
    """What a point tells staff, in both the service's answer and the GeoJSON."""

    tracking_number: str
    category_code: str
    category_zh: str
    category_en: str
    status: str
    priority: str
    department: str | None
    address: str
    overdue: bool
    attention: str | None = Field(description="supplement | reopen_request: the reporter added something")


class MapPoint(_Shown):
    created_at: datetime
    due_at: datetime | None
    lat: float
    lon: float


class StaffMap(BaseModel):
    points: list[MapPoint]
    total: int  # every report matching the filters, with or without a place
    without_place: int  # of those, the ones without coordinates (not on the map)
    overdue: int  # of those, the overdue ones (with or without a place)
    limit: int = MAP_LIMIT

    @property
    def truncated(self) -> bool:
        return self.total - self.without_place > len(self.points)


def map_point(row: dict[str, object], now: datetime) -> MapPoint:
    """A point from a report's columns (tracking_number, category_code/_zh/_en, status, priority,
    department, address, created_at, attention, lat, lon, acceptance_due_at, handling_due_at)."""
    status = str(row["status"])
    acceptance, handling = row["acceptance_due_at"], row["handling_due_at"]
    fields = {k: v for k, v in row.items() if k not in ("acceptance_due_at", "handling_due_at")}
    return MapPoint(**fields, due_at=due_at(status, acceptance, handling),  # type: ignore[arg-type]
                    overdue=is_overdue(status, acceptance, handling, now))  # type: ignore[arg-type]


# --- the GeoJSON (RFC 7946), declared for OpenAPI ------------------------------------------------
class PointGeometry(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: list[float] = Field(min_length=2, max_length=2, description="[lon, lat], WGS-84")


class MapProperties(_Shown):
    url: str = Field(description="the report's console page")
    created_at: str = Field(description="ISO 8601, bureau time")
    due_at: str | None = Field(description="the deadline that applies now (ISO 8601, bureau time)")


class MapFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: PointGeometry
    properties: MapProperties


class MapFeatureCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[MapFeature]
    total: int = Field(description="reports matching the filters, with or without a place")
    shown: int = Field(description="features in this answer")
    without_place: int = Field(description="matching reports without coordinates (not in features)")
    overdue: int = Field(description="overdue reports among those matching (with or without a place)")
    truncated: bool = Field(description="more matching reports have a place than `limit`; the newest are shown")
    limit: int


def feature_collection(found: StaffMap, bureau: BureauTime, url_of: Callable[[str], str]) -> MapFeatureCollection:
    features = [
        MapFeature(id=p.tracking_number, geometry=PointGeometry(coordinates=[p.lon, p.lat]), properties=MapProperties(
            **p.model_dump(exclude={"lat", "lon", "created_at", "due_at"}), url=url_of(p.tracking_number),
            created_at=bureau.iso(p.created_at) or "", due_at=bureau.iso(p.due_at)))
        for p in found.points
    ]
    return MapFeatureCollection(features=features, total=found.total, shown=len(features),
                                without_place=found.without_place, overdue=found.overdue,
                                truncated=found.truncated, limit=found.limit)
