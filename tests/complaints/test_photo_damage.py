"""Damaged photos are refused as damaged, and a photo's decoding cost is bounded by bytes (pixels,
channels and bit depth), not by pixels alone."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image

from complaints.photos import PhotoLimits, PhotoRejected, process_photo
from tests.complaints.test_photos import SHARED_PHOTOS

LIMITS = PhotoLimits(max_bytes=10 * 2**20, max_pixels=40_000_000, public_max_side=2048)


def _refused(data: bytes, limits: PhotoLimits = LIMITS) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as error:
        process_photo(data, limits, "x")
    return error.value


def _png(width: int, height: int, depth: int, colour: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_small_jpeg_declaring_40_megapixels_is_damaged() -> None:
    """Pillow fills the missing data with grey; the strict decoder refuses it."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (9, 9, 9)).save(out, "JPEG")
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", 6600, 6000)
    assert len(data) < 1000
    assert _refused(bytes(data)).code == "photo_damaged"


def _cmyk_jpeg(width: int = 640, height: int = 480) -> bytes:
    """A real CMYK JPEG (Adobe APP14, as print workflows and some scanners write them)."""
    noise = bytes((i * 7919 + i // width * 104729) % 256 for i in range(width * height * 3))
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), noise).convert("CMYK").save(out, "JPEG", quality=90)
    return out.getvalue()


def test_damaged_cmyk_jpegs_are_refused_like_rgb_ones() -> None:
    """Pillow decodes CMYK JPEGs itself and fills missing or corrupt data silently: the strict
    libjpeg pass covers them too. Each damaged form below was accepted before."""
    data = _cmyk_jpeg()
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    good = process_photo(data, LIMITS)
    assert (good.width, good.height, good.original_format) == (640, 480, "jpeg")
    scan = data.index(b"\xff\xda")
    cut_with_end = data[: scan + 2000] + b"\xff\xd9"
    corrupt = data[: scan + 5000] + bytes((i * 37 + 11) % 255 for i in range(3000)) + data[scan + 8000:]
    small = io.BytesIO()
    Image.new("CMYK", (16, 16), (1, 2, 3, 4)).save(small, "JPEG")
    declaring_9_mp = bytearray(small.getvalue())
    sof = declaring_9_mp.index(b"\xff\xc0")
    declaring_9_mp[sof + 5:sof + 9] = struct.pack(">HH", 3000, 3000)
    for damaged in (cut_with_end, corrupt, bytes(declaring_9_mp)):
        Image.open(io.BytesIO(damaged)).load()  # Pillow alone takes each of them
        assert _refused(damaged).code == "photo_damaged"


def test_a_truncated_png_and_webp_are_damaged() -> None:
    image = Image.frombytes("RGB", (300, 200), bytes(range(256)) * 703 + bytes(32))
    for fmt in ("PNG", "WEBP"):
        out = io.BytesIO()
        image.save(out, fmt)
        data = out.getvalue()
        assert process_photo(data, LIMITS).width == 300
        assert _refused(data[: len(data) // 2]).code == "photo_damaged", fmt


def test_decoded_bytes_count_bit_depth_and_channels() -> None:
    """A 16-bit RGBA PNG of 6320x6320 costs 320 MB to decode: refused from its header, at once."""
    started = time.perf_counter()
    error = _refused(_png(6320, 6320, 16, 6, zlib.compress(b"\x00" * 1000)))
    assert time.perf_counter() - started < 1  # nothing was decoded
    assert error.code == "photo_too_many_pixels"
    assert error.details["bytes_per_pixel"] == 8
    assert "6320x6320" in error.message_zh and "bytes a pixel" in error.message_en


def test_the_decode_budget_is_a_setting() -> None:
    small = PhotoLimits(max_bytes=2**20, max_pixels=10**6, public_max_side=512, max_decoded_bytes=40 * 30 * 3)
    rgb = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(rgb, "PNG")
    assert process_photo(rgb.getvalue(), small).width == 40
    rgba = io.BytesIO()
    Image.new("RGBA", (40, 30), (1, 2, 3, 4)).save(rgba, "PNG")  # 4 bytes a pixel: over
    assert _refused(rgba.getvalue(), small).code == "photo_too_many_pixels"


@pytest.mark.shared
@pytest.mark.parametrize("name", ["heic_mobile_iphone_13_pro_max.HEIC", "jpg_hdr_iphone_hdr_YES.jpg",
                                  "jpg_gps_DSCN0010.jpg", "jpg_mobile_jolla.jpg"])
def test_real_photos_cut_short_are_damaged(name: str) -> None:
    path = SHARED_PHOTOS / name
    if not path.exists():
        pytest.skip(f"../shared/fixtures/photos/{name} is not present")
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 1000):
        error = _refused(data[:cut])
        assert error.code == "photo_damaged", (name, cut)
        assert "已损坏" in error.message_zh


@pytest.mark.shared
def test_a_corrupt_camera_jpeg_is_damaged() -> None:
    path: Path = SHARED_PHOTOS / "jpg_corrupted.jpg"
    if not path.exists():
        pytest.skip("../shared/fixtures/photos/jpg_corrupted.jpg is not present")
    assert _refused(path.read_bytes()).code == "photo_damaged"
