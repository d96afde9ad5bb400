"""行政执法公示: what of a resolved case the public may see. Pure rules, tested on their own.

- Which cases: resolved or closed ones (not merged duplicates, not rejected ones).
- What: category, department, dates, whether it was resolved within the deadline, and the outcome
  text staff wrote for publication when resolving (`public_outcome`); never the reporter, the
  description, notes or replies.
- Where: the address coarsened to street level (`coarse_address`) and the point to a grid of about
  1 km (`coarse_point`).
"""

from __future__ import annotations

import re
import unicodedata

from core.errors import ValidationFailed

from .workflow import Status

PUBLISHED_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED})
MAX_OUTCOME = 1000
GRID_DEGREES = 0.01  # about 1.1 km north-south; less east-west away from the equator

# Address levels kept, from the widest: provinces, cities, districts and counties, then townships
# and streets (街道, 镇, 乡), villages, and roads. Whatever follows the last of them (a compound,
# a building, a house number) is dropped. "区" and "市" also end words that are places within a
# street (小区 housing estate, 园区, 超市 supermarket): those do not count as a level.
_LEVEL = re.compile(
    r"(?:省|自治区|(?<![超菜集夜])市|自治州|(?<![小园景厂校社营院矿])区|县|旗|街道|镇|乡|苏木|村"
    r"|大道|大街|路|街(?!道)|胡同|巷)"
)
# A house number or what comes after one ends the address: Arabic digits (a road named 中山二路
# keeps its Chinese numeral), a Chinese numeral followed by 号/栋/幢/弄, or a bracket.
_CUT = re.compile(r"[0-9#＃(（\[【]|[一二三四五六七八九十百零〇]+(?:号|栋|幢|弄|单元|室)")
_SPACE = re.compile(r"\s+")


def coarse_address(address: str | None) -> str:
    """The address up to its last street-level part: "城关镇人民路 88 号幸福小区" -> "城关镇人民路".
    An address without any recognisable level gives "" (it could be a building's name)."""
    text = _SPACE.sub("", unicodedata.normalize("NFKC", address or ""))
    cut = _CUT.search(text)
    head = text[: cut.start()] if cut else text
    last = None
    for match in _LEVEL.finditer(head):
        last = match
    return head[: last.end()] if last else ""


def coarse_point(lat: float | None, lon: float | None, step: float = GRID_DEGREES) -> tuple[float, float] | None:
    """The centre of the grid cell the point falls in."""
    if lat is None or lon is None:
        return None
    return (round((lat // step) * step + step / 2, 4), round((lon // step) * step + step / 2, 4))


def clean_outcome(text: str | None) -> str | None:
    """The outcome staff publish: stripped, within its length (never cut), or None for none."""
    value = (text or "").strip()
    if len(value) > MAX_OUTCOME:
        raise ValidationFailed(f"公示的办理结果不能超过 {MAX_OUTCOME} 个字符（现为 {len(value)} 个）",
                               f"The public outcome must be at most {MAX_OUTCOME} characters (it has {len(value)})",
                               code="text_too_long")
    return value or None


def check_can_publish(status: str) -> None:
    if Status(status) not in PUBLISHED_STATUSES:
        raise ValidationFailed("只有已办结的举报可以公示办理结果", "Only resolved reports can have a public outcome",
                               code="not_resolved")
