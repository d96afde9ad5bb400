"""Photo limits and refusals: what is accepted, and the message that says why a photo is not."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from core.errors import ValidationFailed

if TYPE_CHECKING:
    from core.settings import Settings

RejectCode = Literal[
    "photo_empty", "photo_too_large", "photo_too_many_pixels", "photo_unsupported_type", "photo_damaged"
]



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



def check_photo_size(size: int, limits: PhotoLimits, filename: str | None = None) -> None:
    """Refuse an empty or too large photo by its real size, before anyone reads all of it."""
    if not size:
        raise PhotoRejected("photo_empty", limits, filename)
    if size > limits.max_bytes:
        raise PhotoRejected("photo_too_large", limits, filename, size_mb=_mb(size, round_up=True))

