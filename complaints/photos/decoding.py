"""Validation and decoding: the real format, size, pixel and decoded-byte budgets checked from the
header, then one strict decode of the whole image (truncated or damaged files are refused)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final, Literal

import numpy as np
import pillow_heif
import simplejpeg
from PIL import Image, ImageFile

from core.kit.memory import MAPPED_FROM

from .limits import PhotoLimits, PhotoRejected, RejectCode

# thumbnails/depth/aux images are never used; not decoding them saves time and memory.
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
# Pillow keeps an image's pixels in blocks of up to 16 MB, each a buffer of its own. Where the heap maps
# large buffers (core.kit.memory, as a server with the knowledge index does), every page of every block
# faulted anew on each photo: a 1,415 x 1,061 photo cost ~2,200 page faults and 6-7 ms of kernel time, a
# quarter of its intake. Blocks below the mapping threshold come from the heap and are reused.
if "PILLOW_BLOCK_SIZE" not in os.environ:  # Pillow's own setting, if someone chose one
    Image.core.set_block_size(MAPPED_FROM // 2)

PhotoFormat = Literal["jpeg", "png", "webp", "heic"]

# Pillow format names -> ours. MPO is how Pillow names a JPEG that carries extra (MPF) images.
FORMATS: Final[dict[str, PhotoFormat]] = {
    "JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "WEBP": "webp", "HEIF": "heic",
}
# Only these plugins may even look at the bytes: no TIFF/GIF/BMP/PDF/... parser is reachable.
_PILLOW_FORMATS: Final = ("JPEG", "PNG", "WEBP", "HEIF")
MIME_TYPES: Final[dict[PhotoFormat, str]] = {
    "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "heic": "image/heic",
}
EXTENSIONS: Final[dict[PhotoFormat, str]] = {"jpeg": "jpg", "png": "png", "webp": "webp", "heic": "heic"}
_MAX_JPEG_SCANS: Final = 150
_HEIF_BRANDS: Final = (
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1",
)


@contextmanager
def open_checked(
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
            if img.format in ("JPEG", "MPO"):  # CMYK/YCCK: libjpeg's strict pass checks the data
                _strict_jpeg_check(img, data, limits)
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
    scale = _dct_scale(img.size, limits)
    gray = img.mode == "L"
    pixels = simplejpeg.decode_jpeg(data, colorspace="GRAY" if gray else "RGB", strict=True,
                                    min_width=max(1, int(width * scale)), min_height=max(1, int(height * scale)))
    decoded = Image.fromarray(pixels[:, :, 0] if gray else pixels, "L" if gray else "RGB")
    decoded.info = dict(img.info)  # EXIF (orientation, GPS, time) and the ICC profile
    decoded.format = img.format
    return decoded


def _strict_jpeg_check(img: ImageFile.ImageFile, data: bytes, limits: PhotoLimits) -> None:
    """The strict libjpeg pass for a JPEG Pillow decodes itself (CMYK and YCCK, whose inverted
    Adobe channels Pillow handles): any warning raises, as in _strict_jpeg. It runs at the DCT
    scale the public copy needs (every coefficient is still entropy-decoded), and the pixels
    are dropped: Pillow's decode below makes the image, as before."""
    width, height = img.size
    scale = _dct_scale(img.size, limits)
    simplejpeg.decode_jpeg(data, colorspace="CMYK", strict=True,
                           min_width=max(1, int(width * scale)), min_height=max(1, int(height * scale)))


def _dct_scale(size: tuple[int, int], limits: PhotoLimits) -> float:
    longest = max(size)
    return min(1.0, limits.public_max_side / longest) if longest >= 2 * limits.public_max_side else 1.0


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
    if img.format not in FORMATS:
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
    so a raw count cannot miss a scan (metadata may add a few harmless extra hits).

    Counted with numpy, whose comparisons release the GIL: `bytes.count(b"\\xff\\xda")` held it
    for 0.9 ms of a 1 MB photo's intake (half of all the GIL time of the decode threads under
    load, py-spy --gil), time in which the server's event loop could not run; this takes 0.2 ms."""
    octets = np.frombuffer(data, np.uint8)
    return int(np.count_nonzero(octets[1:][octets[:-1] == 0xFF] == 0xDA))


def _looks_accepted(data: bytes) -> bool:
    """Magic bytes of an accepted format: used only to word the error when Pillow cannot open it."""
    return (
        data.startswith(b"\xff\xd8\xff")
        or data.startswith(b"\x89PNG\r\n\x1a\n")
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
        or (data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS)
    )

