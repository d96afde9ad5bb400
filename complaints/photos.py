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
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import math
import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Final, Literal

import pillow_heif
import simplejpeg
from PIL import Image, ImageCms, ImageFile

from core.kit.bureau_time import DEFAULT_TZ
from core.errors import ValidationFailed

from .exif import read_exif

if TYPE_CHECKING:
    from core.settings import Settings

# thumbnails/depth/aux images are never used; not decoding them saves time and memory.
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)

PhotoFormat = Literal["jpeg", "png", "webp", "heic"]
RejectCode = Literal[
    "photo_empty", "photo_too_large", "photo_too_many_pixels", "photo_unsupported_type", "photo_damaged"
]

# Pillow format names -> ours. MPO is how Pillow names a JPEG that carries extra (MPF) images.
_FORMATS: Final[dict[str, PhotoFormat]] = {
    "JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "WEBP": "webp", "HEIF": "heic",
}
# Only these plugins may even look at the bytes: no TIFF/GIF/BMP/PDF/... parser is reachable.
_PILLOW_FORMATS: Final = ("JPEG", "PNG", "WEBP", "HEIF")
MIME_TYPES: Final[dict[PhotoFormat, str]] = {
    "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "heic": "image/heic",
}
EXTENSIONS: Final[dict[PhotoFormat, str]] = {"jpeg": "jpg", "png": "png", "webp": "webp", "heic": "heic"}
PUBLIC_MIME: Final = "image/jpeg"
PUBLIC_EXT: Final = "jpg"
PUBLIC_QUALITY: Final = 85
_MAX_JPEG_SCANS: Final = 150

_TRANSPOSE: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_HEIF_BRANDS: Final = (
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1",
)


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int
    max_pixels: int
    public_max_side: int
    # Bytes the decoded image takes as its file declares it (pixels x channels x bit depth): five
    # small PNGs of 6320x6320 RGBA at 16 bits would otherwise cost seconds and gigabytes.
    max_decoded_bytes: int = 160 * 2**20
    decode_concurrency: int = 2  # photos decoded at once in one process (see check_photo)

    def __post_init__(self) -> None:
        if min(self.max_bytes, self.max_pixels, self.public_max_side, self.max_decoded_bytes,
               self.decode_concurrency) <= 0:
            raise ValueError("photo limits must be positive")

    @classmethod
    def from_settings(cls, settings: Settings) -> PhotoLimits:
        return cls(
            max_bytes=settings.max_photo_bytes,
            max_pixels=settings.max_photo_pixels,
            public_max_side=settings.public_photo_max_side,
            max_decoded_bytes=settings.max_photo_decoded_bytes,
            decode_concurrency=settings.photo_decode_concurrency,
        )


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


# --- errors -----------------------------------------------------------------------------------


class PhotoRejected(ValidationFailed):
    """A photo we will not take; the message says why and what is accepted."""

    code = "photo_rejected"

    def __init__(self, code: RejectCode, limits: PhotoLimits, filename: str | None = None, **details: object):
        name = _display_name(filename)
        subject_zh = f"照片“{name}”" if name else "照片"
        subject_en = f'The photo "{name}"' if name else "The photo"
        problem_zh, problem_en = _problem(code, details)
        super().__init__(
            f"{subject_zh}{problem_zh}{accepted_zh(limits)}",
            f"{subject_en} {problem_en} {accepted_en(limits)}",
            code=code,
            filename=name,
            **details,
        )


def _problem(code: RejectCode, details: dict[str, object]) -> tuple[str, str]:
    """What is wrong, in Chinese and English, to follow the photo's name."""
    if code == "photo_empty":
        return "是空文件。", "is empty."
    if code == "photo_too_large":
        return f"太大（{details['size_mb']} MB）。", f"is too large ({details['size_mb']} MB)."
    if code == "photo_too_many_pixels":
        if "bytes_per_pixel" in details:
            found = f"{details['width']}x{details['height']}，每像素 {details['bytes_per_pixel']} 字节"
            found_en = f"{details['width']}x{details['height']} at {details['bytes_per_pixel']} bytes a pixel"
            return f"解码后过大（{found}）。", f"is too large once decoded ({found_en})."
        if "width" in details:
            found = f"{details['width']}x{details['height']}"
            return f"像素过多（{found}）。", f"has too many pixels ({found})."
        return "像素过多。", "has too many pixels."
    if code == "photo_unsupported_type":
        return "不是支持的图片格式。", "is not in a supported format."
    return (
        "已损坏或不完整，无法读取，请重新发送原图。",
        "is damaged or incomplete and cannot be read; please send the original again.",
    )


def accepted_zh(limits: PhotoLimits) -> str:
    return (
        f"仅支持 JPEG、PNG、WebP、HEIC 格式的照片，单张不超过 {_mb(limits.max_bytes)} MB、"
        f"{_number(limits.max_pixels / 10_000)} 万像素。"
    )


def accepted_en(limits: PhotoLimits) -> str:
    return (
        f"Only JPEG, PNG, WebP and HEIC photos are accepted, each at most {_mb(limits.max_bytes)} MB "
        f"and {_number(limits.max_pixels / 1_000_000)} megapixels."
    )


def _mb(size: int, *, round_up: bool = False) -> str:
    value = size / (1024 * 1024)
    # An actual size is rounded up, so 10 MB + 3 bytes does not read as "10 MB" next to the limit.
    return _number(math.ceil(value * 100) / 100 if round_up else value)


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def stored_filename(filename: str | None, max_length: int = 255) -> str | None:
    """The sender's file name as kept with the photo: its last path part, printable characters
    only (no NUL), and at most `max_length` characters with the extension kept."""
    if not filename:
        return None
    name = "".join(ch for ch in re.split(r"[\\/]", filename)[-1] if ch.isprintable()).strip()
    if len(name) > max_length:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:16] if dot and stem else ""
        name = name[: max_length - len(ext) - (1 if ext else 0)] + (f".{ext}" if ext else "")
    return name or None


def _display_name(filename: str | None) -> str | None:
    """The last path part, without control characters and not absurdly long (it is shown to people)."""
    if not filename:
        return None
    name = re.split(r"[\\/]", filename)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return (name[:77] + "...") if len(name) > 80 else (name or None)


# --- processing -------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _decode_pool(workers: int) -> ThreadPoolExecutor:
    """One pool per process: at most `workers` photos are decoded at once, whoever asks (API,
    portal, bot); the rest wait their turn without holding the event loop's default threads."""
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="photo-decode")


async def check_photo(data: bytes, limits: PhotoLimits, filename: str | None = None) -> ProcessedPhoto:
    """`process_photo` in the process's bounded decode pool; what every channel calls."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_decode_pool(limits.decode_concurrency),
                                      partial(process_photo, data, limits, filename))


def process_photo(
    data: bytes, limits: PhotoLimits, filename: str | None = None, *, camera_tz: tzinfo = DEFAULT_TZ
) -> ProcessedPhoto:
    """Validate an uploaded photo and build its metadata-free public copy; raises PhotoRejected.

    EXIF capture times are camera wall-clock time; without an OffsetTimeOriginal tag they are read
    in camera_tz (the bureau's zone), so taken_at is always aware and storable as UTC."""
    _check_size(data, limits, filename)
    with _open(data, limits, filename) as (img, (width, height)):
        photo_format = _FORMATS[img.format or ""]
        orientation, gps, taken_at = read_exif(img, camera_tz)
        public, public_size = _public_copy(img, orientation, limits)
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


def _check_size(data: bytes, limits: PhotoLimits, filename: str | None) -> None:
    check_photo_size(len(data), limits, filename)


def check_photo_size(size: int, limits: PhotoLimits, filename: str | None = None) -> None:
    """Refuse an empty or too large photo by its real size, before anyone reads all of it."""
    if not size:
        raise PhotoRejected("photo_empty", limits, filename)
    if size > limits.max_bytes:
        raise PhotoRejected("photo_too_large", limits, filename, size_mb=_mb(size, round_up=True))


@contextmanager
def _open(
    data: bytes, limits: PhotoLimits, filename: str | None
) -> Iterator[tuple[ImageFile.ImageFile, tuple[int, int]]]:
    """Open from the header, check format and pixel count, then decode the whole image once.
    Yields the decoded image and the original's size (a JPEG may be decoded smaller, see below)."""
    try:
        img = Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS)
    except Image.DecompressionBombError:
        raise PhotoRejected("photo_too_many_pixels", limits, filename) from None
    except Exception:
        code: RejectCode = "photo_damaged" if _looks_accepted(data) else "photo_unsupported_type"
        raise PhotoRejected(code, limits, filename) from None
    size = img.size
    try:
        _check_header(img, data, limits, filename)
        _check_container(img, data, limits, filename)
        if img.format in ("JPEG", "MPO") and img.mode in ("RGB", "L"):
            decoded = _strict_jpeg(img, data, limits)
            img.close()
            img = decoded  # type: ignore[assignment]
        else:
            _draft_for_public_copy(img, limits)
            img.load()
    except PhotoRejected:
        img.close()
        raise
    except Image.DecompressionBombError:
        img.close()
        raise PhotoRejected("photo_too_many_pixels", limits, filename) from None
    except Exception:
        img.close()
        raise PhotoRejected("photo_damaged", limits, filename) from None
    with img:
        yield img, size


def _strict_jpeg(img: ImageFile.ImageFile, data: bytes, limits: PhotoLimits) -> Image.Image:
    """Decode with libjpeg-turbo in strict mode: Pillow fills missing or corrupt data with grey
    and says nothing (a 693-byte file declaring 6000x6600 "decodes"); here any libjpeg warning
    (premature end of data, corrupt data, extraneous bytes) refuses the photo. Decoded at the
    DCT scale the public copy needs, as _draft_for_public_copy does for Pillow."""
    width, height = img.size
    scale = min(1.0, limits.public_max_side / max(width, height)) if max(width, height) >= 2 * limits.public_max_side else 1.0
    gray = img.mode == "L"
    pixels = simplejpeg.decode_jpeg(data, colorspace="GRAY" if gray else "RGB", strict=True,
                                    min_width=max(1, int(width * scale)), min_height=max(1, int(height * scale)))
    decoded = Image.fromarray(pixels[:, :, 0] if gray else pixels, "L" if gray else "RGB")
    decoded.info = dict(img.info)  # EXIF (orientation, GPS, time) and the ICC profile
    decoded.format = img.format
    return decoded


def _check_container(img: ImageFile.ImageFile, data: bytes, limits: PhotoLimits, filename: str | None) -> None:
    """Files whose container says more data follows than there is: libheif decodes a HEIC cut in
    half with a green half, so the boxes are checked before decoding. WebP's RIFF size likewise."""
    if img.format == "HEIF" and not _boxes_complete(data):
        raise PhotoRejected("photo_damaged", limits, filename)
    if img.format == "WEBP" and int.from_bytes(data[4:8], "little") + 8 > len(data):
        raise PhotoRejected("photo_damaged", limits, filename)


def _boxes_complete(data: bytes) -> bool:
    """ISO BMFF top-level boxes (ftyp, meta, mdat, ...) each fit inside the file."""
    offset = 0
    while offset < len(data):
        if offset + 8 > len(data):
            return False
        size = int.from_bytes(data[offset:offset + 4], "big")
        header = 8
        if size == 1:  # 64-bit size follows the type
            if offset + 16 > len(data):
                return False
            size, header = int.from_bytes(data[offset + 8:offset + 16], "big"), 16
        elif size == 0:  # the last box runs to the end of the file
            return True
        if size < header or offset + size > len(data):
            return False
        offset += size
    return True


def _draft_for_public_copy(img: ImageFile.ImageFile, limits: PhotoLimits) -> None:
    """A JPEG at least twice the public copy's size is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's
    DCT scaling, as Pillow's own thumbnail() does). Every block's coefficients are still decoded,
    so a truncated or damaged file is refused exactly as in a full decode; only the inverse DCT
    runs on fewer pixels: a 12 MP phone photo decodes about 3x faster."""
    if img.format not in ("JPEG", "MPO"):
        return
    longest = max(img.size)
    if longest < 2 * limits.public_max_side:
        return
    scale = limits.public_max_side / longest
    img.draft(img.mode, (max(1, int(img.width * scale)), max(1, int(img.height * scale))))


def _check_header(img: ImageFile.ImageFile, data: bytes, limits: PhotoLimits, filename: str | None) -> None:
    if img.format not in _FORMATS:
        raise PhotoRejected("photo_unsupported_type", limits, filename)
    width, height = img.size
    if width <= 0 or height <= 0:
        raise PhotoRejected("photo_damaged", limits, filename)
    # Pillow only warns below 2x MAX_IMAGE_PIXELS; past its threshold we refuse too.
    max_pixels = min(limits.max_pixels, Image.MAX_IMAGE_PIXELS or limits.max_pixels)
    if width * height > max_pixels:
        raise PhotoRejected("photo_too_many_pixels", limits, filename, width=width, height=height)
    if width * height * _bytes_per_pixel(img, data) > limits.max_decoded_bytes:
        raise PhotoRejected("photo_too_many_pixels", limits, filename, width=width, height=height,
                            bytes_per_pixel=_bytes_per_pixel(img, data))
    if img.format in ("JPEG", "MPO") and _jpeg_scan_markers(data) > _MAX_JPEG_SCANS:
        raise PhotoRejected("photo_damaged", limits, filename)


_MODE_BYTES: Final = {"1": 1, "L": 1, "P": 1, "LA": 2, "La": 2, "PA": 2, "I;16": 2, "I;16B": 2, "I;16L": 2,
                      "RGB": 3, "YCbCr": 3, "LAB": 3, "HSV": 3, "RGBA": 4, "RGBa": 4, "CMYK": 4, "RGBX": 4,
                      "I": 4, "F": 4}
_PNG_CHANNELS: Final = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _bytes_per_pixel(img: ImageFile.ImageFile, data: bytes) -> int:
    """What one pixel costs to decode: Pillow's mode, or a PNG's own bit depth and channels when
    larger (a 16-bit RGBA PNG is read as 8 bytes a pixel even though Pillow keeps 4)."""
    size = _MODE_BYTES.get(img.mode, 4)
    if img.format == "PNG" and data[12:16] == b"IHDR":
        depth, colour = data[24], data[25]
        size = max(size, -(-depth * _PNG_CHANNELS.get(colour, 4) // 8))
    return size


def _jpeg_scan_markers(data: bytes) -> int:
    """Upper bound of the scans libjpeg will run. Thousands of tiny progressive scans over a large
    image take minutes to decode; real photos have 1-12. Entropy-coded data cannot contain FFDA,
    so a raw count cannot miss a scan (metadata may add a few harmless extra hits)."""
    return data.count(b"\xff\xda")


def _looks_accepted(data: bytes) -> bool:
    """Magic bytes of an accepted format: used only to word the error when Pillow cannot open it."""
    return (
        data.startswith(b"\xff\xd8\xff")
        or data.startswith(b"\x89PNG\r\n\x1a\n")
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
        or (data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS)
    )


# --- public copy --------------------------------------------------------------------------------


def _public_copy(img: Image.Image, orientation: int, limits: PhotoLimits) -> tuple[bytes, tuple[int, int]]:
    """The already decoded image, upright, sRGB, downscaled and without metadata, as JPEG."""
    public = _downscale(_to_rgb(img), limits.public_max_side)
    if orientation in _TRANSPOSE:  # after downscaling: fewer pixels to move
        public = public.transpose(_TRANSPOSE[orientation])
    public = _to_srgb(public, img.info.get("icc_profile"))
    public.info = {}  # Pillow carries comments and the like from info into the output
    return _encode_jpeg(public), public.size


def _encode_jpeg(img: Image.Image) -> bytes:
    """Pillow holds the GIL while encoding into a BytesIO but not into a real file descriptor, so
    threads encode in parallel only through an in-memory file (Linux memfd)."""
    if not hasattr(os, "memfd_create"):
        out = io.BytesIO()
        img.save(out, "JPEG", quality=PUBLIC_QUALITY)
        return out.getvalue()
    with open(os.memfd_create("civicdesk-photo", os.MFD_CLOEXEC), "w+b") as file:
        img.save(file, "JPEG", quality=PUBLIC_QUALITY)
        file.seek(0)
        return file.read()


def _to_rgb(img: Image.Image) -> Image.Image:
    """RGB with any transparency flattened onto white (JPEG has no alpha)."""
    if img.mode == "RGB":
        return img
    if img.mode.startswith("I;16") or img.mode == "I":  # 16-bit PNG: scale, do not clip
        img = img.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if img.mode not in ("RGBA", "LA", "La", "PA", "RGBa") and "transparency" not in img.info:
        return img.convert("RGB")
    rgba = img if img.mode == "RGBA" else img.convert("RGBA")  # no second full-size copy
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _downscale(img: Image.Image, max_side: int) -> Image.Image:
    """Long side <= max_side. An integer box reduce() is ~6x cheaper than filtering, so it is used
    whenever it lands within 3/4 of max_side (a 4032 px phone photo gives 2016 px)."""
    longest = max(img.size)
    if longest <= max_side:
        return img
    factor = -(-longest // max_side)
    if longest / factor >= 0.75 * max_side:
        return img.reduce(factor)
    scale = max_side / longest
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def _to_srgb(img: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Colours are baked into sRGB because the public copy carries no ICC profile."""
    transform = _srgb_transform(icc_profile or b"")
    if transform is None:
        return img
    try:
        return transform.apply(img)
    except Exception:
        return img


@lru_cache(maxsize=32)
def _srgb_transform(icc_profile: bytes) -> ImageCms.ImageCmsTransform | None:
    """None for no/sRGB/unusable profiles. Cached: phones of one kind all send the same profile."""
    if not icc_profile:
        return None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        profile = source.profile
        if profile.xcolor_space.strip() != "RGB" or "srgb" in profile.profile_description.lower():
            return None
        return ImageCms.buildTransform(source, _SRGB, "RGB", "RGB")
    except Exception:
        return None


_SRGB: Final = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
