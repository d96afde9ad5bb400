"""The public copy: the decoded image upright, sRGB, downscaled and without any metadata, as JPEG
re-encoded from its pixels (nothing a sender hid in the file reaches other people)."""

from __future__ import annotations

import io
import os
from functools import lru_cache
from typing import Final

from PIL import Image, ImageCms

from .limits import PhotoLimits

PUBLIC_MIME: Final = "image/jpeg"
PUBLIC_EXT: Final = "jpg"
PUBLIC_QUALITY: Final = 85

_TRANSPOSE: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def public_copy(img: Image.Image, orientation: int, limits: PhotoLimits) -> tuple[bytes, tuple[int, int]]:
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
