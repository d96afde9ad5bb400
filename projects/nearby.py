"""Which projects a report is probably about: the one distance rule (the console suggests the
projects within 300 m of the report's point, nearest first)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from complaints.geo import bounding_box, haversine_m

SUGGEST_RADIUS_M = 300.0
SUGGEST_LIMIT = 5

T = TypeVar("T")


@dataclass(frozen=True)
class Nearby(Generic[T]):
    item: T
    distance_m: float


def search_box(lat: float, lon: float, radius_m: float = SUGGEST_RADIUS_M) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon): the index-friendly prefilter for `nearest`."""
    return bounding_box(lat, lon, radius_m)


def nearest(lat: float, lon: float, candidates: Iterable[tuple[T, float | None, float | None]],
            radius_m: float = SUGGEST_RADIUS_M, limit: int = SUGGEST_LIMIT) -> list[Nearby[T]]:
    """Candidates `(item, lat, lon)` within `radius_m` (inclusive) of the point, nearest first;
    those without coordinates are never suggested."""
    found = [
        Nearby(item, haversine_m(lat, lon, c_lat, c_lon))
        for item, c_lat, c_lon in candidates
        if c_lat is not None and c_lon is not None
    ]
    return sorted((n for n in found if n.distance_m <= radius_m), key=lambda n: n.distance_m)[:limit]
