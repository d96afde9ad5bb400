"""EXIF of an uploaded photo: orientation, GPS position and capture time. EXIF is untrusted:
anything broken or out of range is simply absent."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Final, TypeVar

from PIL import Image

_T = TypeVar("_T")
_EXIF_ORIENTATION: Final = 0x0112
_EXIF_IFD: Final = 0x8769
_GPS_IFD: Final = 0x8825
_DATETIME_ORIGINAL: Final = 0x9003
_OFFSET_TIME_ORIGINAL: Final = 0x9011


def read_exif(
    img: Image.Image, camera_tz: tzinfo
) -> tuple[int, tuple[float, float] | None, datetime | None]:
    """Orientation, GPS and capture time. EXIF is untrusted: anything broken is simply absent."""
    try:
        exif = img.getexif()
    except Exception:
        return 1, None, None
    return _orientation(exif), _safe(_gps, exif), _safe(lambda e: _taken_at(e, camera_tz), exif)


def _safe(read: Callable[[Image.Exif], _T], exif: Image.Exif) -> _T | None:
    try:
        return read(exif)
    except Exception:
        return None


def _orientation(exif: Image.Exif) -> int:
    try:
        value = int(exif.get(_EXIF_ORIENTATION, 1))
    except Exception:
        return 1
    return value if 1 <= value <= 8 else 1  # the eight EXIF orientations


def _gps(exif: Image.Exif) -> tuple[float, float] | None:
    gps = exif.get_ifd(_GPS_IFD)
    if not gps:
        return None
    lat = _degrees(gps.get(2), gps.get(1), "N", "S")
    lon = _degrees(gps.get(4), gps.get(3), "E", "W")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if lat == 0 and lon == 0:  # cameras without a fix write zeros
        return None
    return round(lat, 7), round(lon, 7)


def _degrees(value: object, ref: object, positive: str, negative: str) -> float | None:
    """(degrees, minutes, seconds) as rationals -> signed decimal degrees."""
    if value is None:
        return None
    parts = value if isinstance(value, (tuple, list)) else (value,)
    if not 1 <= len(parts) <= 3:
        return None
    numbers = [_rational(part) for part in parts]
    result = sum(number / 60**i for i, number in enumerate(numbers))
    if not math.isfinite(result):
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    ref = ref.strip("\x00 ").upper() if isinstance(ref, str) else ""
    if ref in (positive, negative):
        return abs(result) if ref == positive else -abs(result)
    return result if not ref else None  # no reference: some writers store signed values


def _rational(value: object) -> float:
    if isinstance(value, (tuple, list)) and len(value) == 2:  # (numerator, denominator)
        return float(value[0]) / float(value[1])
    return float(value)  # type: ignore[arg-type]


def _taken_at(exif: Image.Exif, camera_tz: tzinfo) -> datetime | None:
    sub = exif.get_ifd(_EXIF_IFD)
    raw = _text(sub.get(_DATETIME_ORIGINAL))
    if not raw:
        return None
    taken = datetime.strptime(raw[:19], "%Y:%m:%d %H:%M:%S")
    return taken.replace(tzinfo=_utc_offset(_text(sub.get(_OFFSET_TIME_ORIGINAL))) or camera_tz)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ") if isinstance(value, str) else ""


def _utc_offset(value: str) -> timezone | None:
    match = re.fullmatch(r"([+-])(\d{2}):(\d{2})", value)
    if not match:
        return None
    sign = -1 if match[1] == "-" else 1
    delta = timedelta(hours=int(match[2]), minutes=int(match[3]))
    return timezone(sign * delta) if delta < timedelta(hours=24) else None
