"""Real images made in the tests with Pillow (JPEG with EXIF GPS, rotated, PNG...)."""

from __future__ import annotations

import io
from fractions import Fraction

from PIL import Image


def _rational(value: float) -> tuple[Fraction, Fraction, Fraction]:
    degrees = int(value)
    minutes_full = (value - degrees) * 60
    minutes = int(minutes_full)
    seconds = Fraction(round((minutes_full - minutes) * 60 * 10000), 10000)
    return Fraction(degrees), Fraction(minutes), seconds


def jpeg(
    width: int = 640,
    height: int = 480,
    *,
    gps: tuple[float, float] | None = None,
    orientation: int | None = None,
    quality: int = 85,
    color: tuple[int, int, int] = (180, 120, 60),
    noise: bool = False,
) -> bytes:
    """A JPEG, optionally with EXIF GPS (signed decimal degrees) and an orientation tag."""
    if noise:
        import os

        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), color)
    exif = Image.Exif()
    exif[0x0110] = "TestCam"  # Model
    if orientation:
        exif[0x0112] = orientation
    if gps:
        lat, lon = gps
        gps_ifd = {
            1: "N" if lat >= 0 else "S",
            2: _rational(abs(lat)),
            3: "E" if lon >= 0 else "W",
            4: _rational(abs(lon)),
        }
        exif[0x8825] = gps_ifd
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


def jpeg_of_size(target_bytes: int) -> bytes:
    """A noisy JPEG close to `target_bytes` (for benchmarks: '1 MB photo')."""
    side = 400
    while True:
        data = jpeg(side, int(side * 0.75), noise=True, quality=80)
        if len(data) >= target_bytes:
            return data
        side = int(side * (target_bytes / len(data)) ** 0.5) + 16


def png(width: int = 320, height: int = 240, mode: str = "RGBA") -> bytes:
    image = Image.new(mode, (width, height), (10, 200, 30, 128) if mode == "RGBA" else 0)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()
