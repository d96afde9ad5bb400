"""Photo intake: check an uploaded photo and make a public copy that carries no metadata.

`process_photo` is pure, synchronous and CPU-bound; channels call `check_photo`, which runs it in
the process's bounded decode pool (Pillow, libjpeg and libheif release the GIL while decoding).

What it guarantees:
- the real format (read from the bytes, never from the name or content type) is JPEG, PNG,
  WebP or HEIC/HEIF; HEIC is accepted on purpose because iPhones send it;
- size, pixel count and decoded bytes (channels x bit depth) are checked before anything is
  decoded (decompression bombs);
- the whole image is decoded once, strictly, so truncated or damaged files are refused;
- the public copy is an upright sRGB JPEG with no EXIF, ICC, XMP or comment at all.

The package by job: `limits` (what is accepted, refusals and their messages), `decoding` (checks
and the strict decode), `public_copy` (the metadata-free JPEG), `idle` (the pool's memory given back
between bursts); this module runs them in order.
"""

from __future__ import annotations

import asyncio
import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache, partial

from core.kit.bureau_time import DEFAULT_TZ

from ..exif import read_exif
from .decoding import EXTENSIONS, FORMATS, MIME_TYPES, PhotoFormat, open_checked
from .idle import IdleTrim
from .limits import (
    PhotoLimits,
    PhotoRejected,
    RejectCode,
    accepted_en,
    accepted_zh,
    check_photo_size,
    stored_filename,
)
from .public_copy import PUBLIC_EXT, PUBLIC_MIME, PUBLIC_QUALITY, public_copy

__all__ = [
    "EXTENSIONS", "MIME_TYPES", "PUBLIC_EXT", "PUBLIC_MIME", "PUBLIC_QUALITY", "PhotoFormat", "PhotoLimits",
    "PhotoRejected", "ProcessedPhoto", "RejectCode", "accepted_en", "accepted_zh", "check_photo",
    "check_photo_size", "process_photo", "stored_filename",
]


@dataclass(frozen=True)
class ProcessedPhoto:
    original: bytes
    original_format: PhotoFormat
    original_mime: str
    original_sha256: str
    width: int  # of the original, after EXIF orientation
    height: int
    public: bytes  # JPEG without any metadata
    public_sha256: str
    public_width: int
    public_height: int
    gps: tuple[float, float] | None  # (latitude, longitude), signed decimal degrees
    taken_at: datetime | None  # always timezone-aware (see process_photo's camera_tz)
    filename: str | None

    @property
    def original_ext(self) -> str:
        return EXTENSIONS[self.original_format]


@lru_cache(maxsize=4)
def _decode_pool(workers: int) -> ThreadPoolExecutor:
    """One pool per process: at most `workers` photos are decoded at once, whoever asks (API,
    portal, bot); the rest wait their turn without holding the event loop's default threads."""
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="photo-decode")


_IDLE_TRIM = IdleTrim()


async def check_photo(data: bytes, limits: PhotoLimits, filename: str | None = None) -> ProcessedPhoto:
    """`process_photo` in the process's bounded decode pool; what every channel calls."""
    loop = asyncio.get_running_loop()
    pool = _decode_pool(limits.decode_concurrency)
    _IDLE_TRIM.started()
    try:
        return await loop.run_in_executor(pool, partial(process_photo, data, limits, filename))
    finally:
        _IDLE_TRIM.finished(loop, pool)


def process_photo(
    data: bytes, limits: PhotoLimits, filename: str | None = None, *, camera_tz: tzinfo = DEFAULT_TZ
) -> ProcessedPhoto:
    """Validate an uploaded photo and build its metadata-free public copy; raises PhotoRejected.

    EXIF capture times are camera wall-clock time; without an OffsetTimeOriginal tag they are read
    in camera_tz (the bureau's zone), so taken_at is always aware and storable as UTC."""
    check_photo_size(len(data), limits, filename)
    with open_checked(data, limits, filename) as (img, (width, height)):
        photo_format = FORMATS[img.format or ""]
        orientation, gps, taken_at = read_exif(img, camera_tz)
        public, public_size = public_copy(img, orientation, limits)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return ProcessedPhoto(
        original=data,
        original_format=photo_format,
        original_mime=MIME_TYPES[photo_format],
        original_sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
        public=public,
        public_sha256=hashlib.sha256(public).hexdigest(),
        public_width=public_size[0],
        public_height=public_size[1],
        gps=gps,
        taken_at=taken_at,
        filename=stored_filename(filename),
    )

