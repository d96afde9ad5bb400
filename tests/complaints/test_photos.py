"""Photo intake: formats, limits, damaged files, EXIF and the metadata-free public copy."""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from unittest import mock

import pytest
from PIL import Image, ImageCms, ImageFile, TiffImagePlugin

from complaints.photos import (
    PhotoLimits,
    PhotoRejected,
    ProcessedPhoto,
    process_photo,
)
from complaints.photos.decoding import _jpeg_scan_markers
from core.kit.bureau_time import DEFAULT_TZ as SHANGHAI
from core.errors import ValidationFailed
from core.settings import Settings

LIMITS = PhotoLimits(max_bytes=10 * 1024 * 1024, max_pixels=40_000_000, public_max_side=2048)
SHARED_PHOTOS = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "photos"
SHARED_README = SHARED_PHOTOS.parent / "README.md"
METADATA_SIGNATURES = (b"Exif\x00\x00", b"ICC_PROFILE\x00", b"http://ns.adobe.com/xap", b"MPF\x00")

GPS_IFD, EXIF_IFD = 0x8825, 0x8769
R = TiffImagePlugin.IFDRational


# --- building test images -----------------------------------------------------------------------


def photo_like(size: tuple[int, int] = (800, 600), seed: int = 1) -> Image.Image:
    """Smooth colours plus a little noise, so JPEG sizes look like a photo's."""
    width, height = size
    noise = Image.frombytes("L", size, random.Random(seed).randbytes(width * height))
    gradient = Image.linear_gradient("L").resize(size)
    return Image.merge("RGB", (gradient, noise.point(lambda v: v // 4 + 96), gradient.transpose(0)))


def gps_exif(
    lat: tuple[object, ...] = (R(31, 1), R(13, 1), R(1234, 100)),
    lat_ref: object = "N",
    lon: tuple[object, ...] = (R(121, 1), R(28, 1), R(305, 10)),
    lon_ref: object = "E",
    *,
    taken: str | None = "2024:05:01 09:30:15",
    offset: str | None = "+08:00",
    orientation: int | None = None,
) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    if orientation is not None:
        exif[0x0112] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps.update({0: b"\x02\x02\x00\x00", 1: lat_ref, 2: lat, 3: lon_ref, 4: lon})
    sub = exif.get_ifd(EXIF_IFD)
    if taken:
        sub[0x9003] = taken
    if offset:
        sub[0x9011] = offset
    return exif


def encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **params)
    return out.getvalue()


def jpeg(img: Image.Image | None = None, **params: object) -> bytes:
    params.setdefault("quality", 90)
    return encode(img or photo_like(), "JPEG", **params)


def jpeg_header(width: int, height: int) -> bytes:
    """A JPEG whose SOF claims width x height, with no real image data behind it."""
    sof = b"\xff\xc0\x00\x11\x08" + height.to_bytes(2, "big") + width.to_bytes(2, "big")
    sof += b"\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    sos = b"\xff\xda\x00\x0c\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00"
    return b"\xff\xd8" + sof + sos + b"\x00" * 64 + b"\xff\xd9"


def header_markers(data: bytes) -> list[int]:
    """Marker codes of a JPEG up to its first SOS (where all metadata segments live)."""
    assert data[:2] == b"\xff\xd8"
    markers, pos = [], 2
    while True:
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            return markers
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")


def assert_public_clean(result: ProcessedPhoto) -> Image.Image:
    """The public copy is a JPEG with no EXIF/ICC/XMP/comment, of the size it claims."""
    public = Image.open(io.BytesIO(result.public))
    public.load()
    assert public.format == "JPEG"
    assert public.mode == "RGB"
    assert public.size == (result.public_width, result.public_height)
    assert max(public.size) <= LIMITS.public_max_side
    assert not public.getexif()
    for key in ("exif", "icc_profile", "xmp", "comment", "adobe", "mp"):
        assert key not in public.info
    for signature in METADATA_SIGNATURES:
        assert signature not in result.public
    assert not [m for m in header_markers(result.public) if 0xE1 <= m <= 0xEF or m == 0xFE]
    assert result.public.endswith(b"\xff\xd9")
    return public


def assert_rejected(
    code: str, data: bytes, filename: str | None = "photo.jpg", limits: PhotoLimits = LIMITS
) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as info:
        process_photo(data, limits, filename)
    assert info.value.code == code
    return info.value


# --- accepted photos ----------------------------------------------------------------------------


def test_jpeg_with_gps_is_read_and_public_copy_has_no_metadata() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = jpeg(exif=gps_exif(), icc_profile=icc, comment=b"home address", xmp=b"<x:xmpmeta secret/>")

    result = process_photo(data, LIMITS, "IMG_0001.JPG")

    assert result.gps == pytest.approx((31 + 13 / 60 + 12.34 / 3600, 121 + 28 / 60 + 30.5 / 3600), abs=1e-7)
    assert result.taken_at == datetime(2024, 5, 1, 9, 30, 15, tzinfo=timezone(timedelta(hours=8)))
    assert (result.original_format, result.original_mime) == ("jpeg", "image/jpeg")
    assert result.original_ext == "jpg"
    assert (result.width, result.height) == (800, 600)
    assert result.original == data
    assert result.filename == "IMG_0001.JPG"
    assert_public_clean(result)
    assert b"home address" not in result.public and b"secret" not in result.public


def test_hashes_are_sha256_of_the_bytes() -> None:
    import hashlib

    result = process_photo(jpeg(exif=gps_exif()), LIMITS)
    assert result.original_sha256 == hashlib.sha256(result.original).hexdigest()
    assert result.public_sha256 == hashlib.sha256(result.public).hexdigest()


def test_south_and_west_give_negative_degrees() -> None:
    exif = gps_exif((R(33, 1), R(52, 1), R(0, 1)), b"S\x00", (R(151, 1), R(12, 1), R(36, 1)), "W")
    result = process_photo(jpeg(exif=exif), LIMITS)
    assert result.gps == pytest.approx((-33.8666667, -151.21), abs=1e-6)


def test_gps_as_single_decimal_rational() -> None:
    exif = gps_exif((R(315, 10),), "N", (R(1215, 10),), "E")
    assert process_photo(jpeg(exif=exif), LIMITS).gps == pytest.approx((31.5, 121.5))


@pytest.mark.parametrize(
    "lat, lat_ref, lon, lon_ref",
    [
        ((R(31, 0), R(0, 1), R(0, 1)), "N", (R(121, 1), R(0, 1), R(0, 1)), "E"),  # zero denominator
        ((R(31, 1), R(0, 1), R(0, 1)), "X", (R(121, 1), R(0, 1), R(0, 1)), "E"),  # unknown reference
        ((R(0, 1), R(0, 1), R(0, 1)), "N", (R(0, 1), R(0, 1), R(0, 1)), "E"),  # no fix
        ((R(91, 1), R(0, 1), R(0, 1)), "N", (R(121, 1), R(0, 1), R(0, 1)), "E"),  # out of range
    ],
)
def test_unusable_gps_is_none_not_an_error(lat: tuple, lat_ref: str, lon: tuple, lon_ref: str) -> None:
    result = process_photo(jpeg(exif=gps_exif(lat, lat_ref, lon, lon_ref)), LIMITS)
    assert result.gps is None
    assert_public_clean(result)


def test_capture_time_without_offset_is_read_in_the_camera_zone() -> None:
    data = jpeg(exif=gps_exif(offset=None))
    shanghai = process_photo(data, LIMITS)
    assert shanghai.taken_at == datetime(2024, 5, 1, 1, 30, 15, tzinfo=UTC)
    assert shanghai.taken_at.tzinfo == SHANGHAI  # type: ignore[union-attr]
    elsewhere = process_photo(data, LIMITS, camera_tz=timezone(timedelta(hours=-5)))
    assert elsewhere.taken_at == datetime(2024, 5, 1, 14, 30, 15, tzinfo=UTC)
    broken = process_photo(jpeg(exif=gps_exif(taken="0000:00:00 00:00:00")), LIMITS)
    assert broken.taken_at is None


@pytest.mark.timeout(20)
@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about the corrupt EXIF it skips
@pytest.mark.parametrize(
    "exif_block",
    [
        b"Exif\x00\x00" + b"\x00" * 3,
        b"Exif\x00\x00II*\x00\xff\xff\xff\x7f",  # IFD offset past the end
        b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff" + b"\x00\x01" * 40,  # absurd entry count
        b"Exif\x00\x00" + random.Random(7).randbytes(2000),
    ],
)
def test_broken_exif_means_no_gps_never_a_crash(exif_block: bytes) -> None:
    data = jpeg(exif=exif_block)
    result = process_photo(data, LIMITS)
    assert result.gps is None
    assert_public_clean(result)


def test_orientation_6_public_copy_is_upright() -> None:
    stored = Image.new("RGB", (300, 200), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 60, 40))  # red in the stored top-left corner
    data = jpeg(stored, exif=gps_exif(orientation=6), quality=95)

    result = process_photo(data, LIMITS)

    assert (result.width, result.height) == (200, 300)
    public = assert_public_clean(result)
    assert public.size == (200, 300)
    # Orientation 6 means "rotate 90 degrees clockwise to display": top-left goes to top-right.
    red, green, blue = public.getpixel((190, 10))  # type: ignore[misc]
    assert red > 200 and blue < 60
    assert public.getpixel((10, 10))[2] > 200  # type: ignore[index]


def test_png_with_alpha_is_flattened_onto_white() -> None:
    img = Image.new("RGBA", (120, 80), (0, 0, 0, 0))
    img.paste((200, 0, 0, 255), (0, 0, 60, 80))
    result = process_photo(encode(img, "PNG"), LIMITS, "screenshot.png")

    assert (result.original_format, result.original_mime, result.original_ext) == ("png", "image/png", "png")
    public = assert_public_clean(result)
    assert public.getpixel((100, 40)) == pytest.approx((255, 255, 255), abs=3)
    assert public.getpixel((20, 40)) == pytest.approx((200, 0, 0), abs=8)


def test_palette_png_with_transparency_and_16_bit_png() -> None:
    palette = Image.new("P", (64, 64), 0)
    palette.putpalette([0, 0, 0, 10, 200, 10] + [0] * 762)
    palette.paste(1, (0, 0, 32, 64))
    public = assert_public_clean(process_photo(encode(palette, "PNG", transparency=0), LIMITS))
    assert public.getpixel((60, 30)) == pytest.approx((255, 255, 255), abs=3)

    deep = Image.new("I;16", (64, 64), 32768)  # mid grey, must not clip to white
    public = assert_public_clean(process_photo(encode(deep, "PNG"), LIMITS))
    assert 110 < public.getpixel((30, 30))[0] < 145  # type: ignore[index]


def test_webp_with_gps() -> None:
    result = process_photo(encode(photo_like(), "WEBP", quality=80, exif=gps_exif()), LIMITS, "a.webp")
    assert (result.original_format, result.original_mime) == ("webp", "image/webp")
    assert result.gps == pytest.approx((31.2200944, 121.4751389), abs=1e-6)
    assert_public_clean(result)


def test_heic_is_accepted() -> None:
    try:
        data = encode(photo_like((320, 240)), "HEIF", quality=60, exif=gps_exif().tobytes())
    except (KeyError, OSError, ValueError) as error:  # no HEVC encoder in this pillow-heif build
        pytest.skip(f"pillow-heif cannot encode HEIC here: {error}")
    result = process_photo(data, LIMITS, "IMG_1234.HEIC")
    assert (result.original_format, result.original_mime) == ("heic", "image/heic")
    assert result.original_ext == "heic"
    assert (result.width, result.height) == (320, 240)
    assert result.gps == pytest.approx((31.2200944, 121.4751389), abs=1e-6)
    assert_public_clean(result)


def test_large_photo_is_downscaled_within_max_side() -> None:
    wide = process_photo(jpeg(photo_like((4096, 300))), LIMITS)  # box reduce by 2
    assert (wide.public_width, wide.public_height) == (2048, 150)
    odd = process_photo(jpeg(photo_like((2500, 500))), LIMITS)  # filtered resize
    assert (odd.public_width, odd.public_height) == (2048, 410)
    assert (odd.width, odd.height) == (2500, 500)
    assert_public_clean(wide)
    assert_public_clean(odd)


def test_small_limits_downscale_rotated_photo() -> None:
    limits = PhotoLimits(max_bytes=LIMITS.max_bytes, max_pixels=LIMITS.max_pixels, public_max_side=100)
    result = process_photo(jpeg(photo_like((400, 300)), exif=gps_exif(orientation=8)), limits)
    assert (result.width, result.height) == (300, 400)
    assert (result.public_width, result.public_height) == (75, 100)


def swapped_primaries_profile() -> bytes:
    """An RGB ICC profile whose red and blue primaries are swapped: its red is sRGB blue."""
    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    count = int.from_bytes(icc[128:132], "big")
    entries = {bytes(icc[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    red, blue = entries[b"rXYZ"], entries[b"bXYZ"]
    icc[red + 4 : red + 12], icc[blue + 4 : blue + 12] = icc[blue + 4 : blue + 12], icc[red + 4 : red + 12]
    return bytes(icc).replace(b"\x00s\x00R\x00G\x00B", b"\x00s\x00w\x00a\x00p")  # no longer "sRGB"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_colours_are_converted_to_srgb_before_the_profile_is_dropped(fmt: str) -> None:
    data = encode(Image.new("RGB", (32, 32), (255, 0, 0)), fmt, icc_profile=swapped_primaries_profile())
    public = assert_public_clean(process_photo(data, LIMITS))
    red, green, blue = public.getpixel((16, 16))  # type: ignore[misc]
    assert blue > 230 and red < 30 and green < 30


def test_reencoding_works_without_memfd(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.delattr(os, "memfd_create", raising=False)
    result = process_photo(encode(photo_like((64, 48)), "PNG"), LIMITS)
    assert (result.public_width, result.public_height) == (64, 48)
    assert_public_clean(result)


def test_public_copy_is_reencoded_and_drops_trailing_data() -> None:
    """Never the uploaded bytes: the public copy is rebuilt from decoded pixels, so nothing an
    uploader hid in the file (metadata, appended data, odd segments) reaches other people."""
    original = jpeg(exif=gps_exif(), comment=b"c")
    data = original + b"APPENDED-SECRET" * 10
    result = process_photo(data, LIMITS)
    assert_public_clean(result)
    assert b"APPENDED-SECRET" not in result.public and result.public != original
    assert (result.public_width, result.public_height) == Image.open(io.BytesIO(original)).size


def test_dense_jpeg_is_reencoded() -> None:
    noise = Image.frombytes("RGB", (400, 300), random.Random(3).randbytes(400 * 300 * 3))
    data = jpeg(noise, quality=100, exif=gps_exif())
    result = process_photo(data, LIMITS)
    assert len(result.public) < len(data) * 0.7
    assert_public_clean(result)


# --- refused files ------------------------------------------------------------------------------


def test_text_named_jpg_is_refused_with_what_is_accepted() -> None:
    error = assert_rejected("photo_unsupported_type", b"hello, this is not a photo\n" * 10, "现场.jpg")
    assert isinstance(error, ValidationFailed)
    assert "现场.jpg" in error.message_zh and "现场.jpg" in error.message_en
    assert "仅支持 JPEG、PNG、WebP、HEIC 格式的照片，单张不超过 10 MB、4000 万像素" in error.message_zh
    assert "JPEG, PNG, WebP and HEIC" in error.message_en and "10 MB" in error.message_en
    assert "40 megapixels" in error.message_en
    assert error.as_dict("en")["code"] == "photo_unsupported_type"


@pytest.mark.parametrize("fmt", ["TIFF", "GIF", "BMP", "PDF", "ICO", "PPM"])
def test_other_image_formats_are_refused(fmt: str) -> None:
    assert_rejected("photo_unsupported_type", encode(photo_like((64, 64)), fmt), f"x.{fmt.lower()}")


def test_fifty_megapixels_refused_before_decoding() -> None:
    png = encode(Image.new("1", (7100, 7100)), "PNG")  # 50.4 MP, a few kB
    with mock.patch.object(ImageFile.ImageFile, "load", side_effect=AssertionError("decoded")):
        error = assert_rejected("photo_too_many_pixels", png, "big.png")
        assert_rejected("photo_too_many_pixels", jpeg_header(8000, 7000))
        assert_rejected("photo_too_many_pixels", jpeg_header(20000, 20000))  # Pillow's own bomb limit
    assert "7100x7100" in error.message_en and "4000 万像素" in error.message_zh


def test_jpeg_with_thousands_of_scans_refused_before_decoding() -> None:
    data = jpeg(comment=b"\xff\xda" * 1000)  # scan markers, counted like real ones
    with mock.patch.object(ImageFile.ImageFile, "load", side_effect=AssertionError("decoded")):
        assert_rejected("photo_damaged", data)
    assert process_photo(jpeg(progressive=True), LIMITS).original_format == "jpeg"


@pytest.mark.parametrize("data", [
    b"", b"\xff", b"\xda", b"\xff\xda", b"\xda\xff", b"\xff\xff\xda", b"\xff\xda\xff\xda\xff",
    b"\x00\xff\xda" * 3 + b"\xff", random.Random(7).randbytes(200_000) + b"\xff\xda",
])
def test_scan_markers_are_counted_as_the_bytes_say(data: bytes) -> None:
    # the numpy count (without the GIL) finds what bytes.count finds, at either end too
    assert _jpeg_scan_markers(data) == data.count(b"\xff\xda")


def test_pixel_limit_is_configurable() -> None:
    limits = PhotoLimits(max_bytes=LIMITS.max_bytes, max_pixels=10_000, public_max_side=2048)
    error = assert_rejected("photo_too_many_pixels", jpeg(photo_like((200, 100))), limits=limits)
    assert "0.01 megapixels" in error.message_en and "1 万像素" in error.message_zh
    assert "200x100" in error.message_en


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    "data",
    [
        pytest.param(jpeg()[:15000], id="jpeg"),
        pytest.param(encode(photo_like(), "PNG")[:20000], id="png"),
        pytest.param(encode(photo_like(), "WEBP")[:3000], id="webp"),
    ],
)
def test_truncated_files_are_refused_as_damaged(data: bytes) -> None:
    assert_rejected("photo_damaged", data)


def test_jpeg_magic_with_garbage_is_damaged() -> None:
    assert_rejected("photo_damaged", b"\xff\xd8\xff\xe0" + b"\x13" * 500)


def test_over_max_bytes_refused_before_decoding() -> None:
    data = b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024)
    with mock.patch.object(Image, "open", side_effect=AssertionError("opened")):
        error = assert_rejected("photo_too_large", data, "big.jpg")
    assert "（10.01 MB）" in error.message_zh and "big.jpg" in error.message_zh
    assert "at most 10 MB" in error.message_en


def test_empty_is_refused() -> None:
    error = assert_rejected("photo_empty", b"", None)
    assert error.message_zh.startswith("照片是空文件")
    assert error.message_en.startswith("The photo is empty")


def test_filename_in_messages_is_sanitised() -> None:
    error = assert_rejected("photo_empty", b"", "C:\\Users\\me\\evil\x1b[31m\nname.jpg")
    assert "evil[31mname.jpg" in error.message_zh
    assert "Users" not in error.message_en and "\x1b" not in error.message_en


@pytest.mark.timeout(60)
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_random_corruption_is_refused_or_accepted_never_a_crash(fmt: str) -> None:
    good = encode(photo_like((160, 120)), fmt, exif=gps_exif())
    rng = random.Random(fmt)
    for _ in range(40):
        damaged = bytearray(good)
        for _ in range(rng.randint(1, 12)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            result = process_photo(bytes(damaged), LIMITS)
        except PhotoRejected as error:
            assert error.code in {"photo_damaged", "photo_unsupported_type", "photo_too_many_pixels"}
        else:
            assert_public_clean(result)


def test_limits_from_settings() -> None:
    limits = PhotoLimits.from_settings(Settings(max_photo_bytes=5_000_000, public_photo_max_side=1024))
    assert limits == PhotoLimits(max_bytes=5_000_000, max_pixels=40_000_000, public_max_side=1024)
    with pytest.raises(ValueError):
        PhotoLimits(max_bytes=0, max_pixels=1, public_max_side=1)


# --- real camera and phone files in ../shared/fixtures/photos ------------------------------------


@dataclass(frozen=True)
class Expect:
    accept: bool | None  # None: refusing or accepting are both fine, crashing is not
    gps: tuple[float, float] | None = None
    size: tuple[int, int] | None = None  # upright width, height
    reject_code: str | None = None


# Mirrors the table in ../shared/fixtures/README.md.
SHARED_EXPECTATIONS: dict[str, Expect] = {
    "jpg_gps_DSCN0010.jpg": Expect(True, gps=(43.4674483, 11.8851267), size=(640, 480)),
    "jpg_gps_DSCN0021.jpg": Expect(True, gps=(43.4670817, 11.8845383), size=(640, 480)),
    "jpg_hdr_iphone_hdr_YES.jpg": Expect(True, gps=(40.4469722, -3.7247528), size=(3264, 2448)),
    "jpg_mobile_jolla.jpg": Expect(True, size=(3264, 2448)),
    "jpg_orientation_portrait_6.jpg": Expect(True, size=(450, 600)),
    "heic_mobile_iphone_13_pro_max.HEIC": Expect(True, size=(3024, 4032)),
    "jpg_corrupted.jpg": Expect(False, reject_code="photo_damaged"),  # libjpeg: premature end of data segment
    "jpg_invalid_image00971.jpg": Expect(None),
    "jpg_tests_36-memory_error.jpg": Expect(None),
    "jpg_tests_42_IndexError.jpg": Expect(None),
    "tiff_BSG1.tiff": Expect(False, reject_code="photo_unsupported_type"),
}


@pytest.fixture(scope="module")
def shared_photos() -> Path:
    if not SHARED_PHOTOS.is_dir():
        pytest.skip(f"../shared/fixtures not present ({SHARED_PHOTOS})")
    return SHARED_PHOTOS


@pytest.mark.shared
def test_shared_table_covers_every_fixture(shared_photos: Path) -> None:
    on_disk = {path.name for path in shared_photos.iterdir()}
    in_readme = set()
    if SHARED_README.is_file():
        for line in SHARED_README.read_text(encoding="utf-8").splitlines():
            if line.startswith("| ") and "." in line.split("|")[1]:
                first_column = line.split("|")[1]
                in_readme |= set(re.findall(r"[\w.-]+\.(?:jpe?g|heic|tiff?|png|webp)", first_column, re.I))
    assert on_disk <= SHARED_EXPECTATIONS.keys(), "a new shared photo needs an expectation here"
    assert in_readme <= SHARED_EXPECTATIONS.keys(), "the README table names a photo not tested here"
    assert in_readme or not SHARED_README.is_file()


@pytest.mark.shared
@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", sorted(SHARED_EXPECTATIONS))
def test_shared_photo(shared_photos: Path, name: str) -> None:
    path = shared_photos / name
    if not path.exists():
        pytest.skip(f"{name} not in ../shared/fixtures")
    expect = SHARED_EXPECTATIONS[name]
    try:
        result = process_photo(path.read_bytes(), LIMITS, name)
    except PhotoRejected as error:
        assert expect.accept is not True, f"{name} refused: {error.message_en}"
        assert expect.reject_code in (None, error.code)
        assert name in error.message_zh
        return
    assert expect.accept is not False, f"{name} should have been refused"
    assert_public_clean(result)
    if expect.size:
        assert (result.width, result.height) == expect.size
        assert (result.public_width > result.public_height) == (result.width > result.height)
    if expect.gps:
        assert result.gps == pytest.approx(expect.gps, abs=1e-6)
    assert result.taken_at is None or result.taken_at.tzinfo is not None


def test_large_jpeg_is_decoded_at_reduced_scale_but_fully_checked() -> None:
    """A 12 MP photo's public copy comes from a DCT-scaled decode; its reported size is still the
    original's, and a truncated one is still refused."""
    big = Image.frombytes("RGB", (4032, 3024), random.Random(5).randbytes(4032 * 3024 * 3))
    data = jpeg(big, quality=70, exif=gps_exif())
    result = process_photo(data, LIMITS)
    assert (result.width, result.height) == (4032, 3024)
    assert max(result.public_width, result.public_height) <= LIMITS.public_max_side
    assert result.public_width >= LIMITS.public_max_side * 0.75
    assert result.gps is not None
    assert_public_clean(result)
    with pytest.raises(PhotoRejected) as err:
        process_photo(data[: len(data) * 2 // 3], LIMITS)
    assert err.value.code == "photo_damaged"
