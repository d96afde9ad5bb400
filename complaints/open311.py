"""Open311 GeoReport v2 in the tracker's terms. Pure rules, tested on their own; the HTTP side is
`public_api/open311/`, what of a report is public is `complaints/publication.py`.

- Status: `open` while the bureau still owes a decision or a handling (`workflow.OPEN_STATUSES`),
  `closed` once it is resolved, closed or not accepted; a merged duplicate follows its primary.
- `expected_datetime`: the statutory deadline that applies now (`deadlines.due_at`): acceptance
  within 15 days, then handling within 60 (+ extensions); none once the report is decided.
- `status_notes`: the latest message staff sent the reporter (a status message, a reply, an
  extension's reason, a declined reopening): never what the reporter wrote.
- Services: one per active category, with a group, keywords and, for the categories whose
  handling needs particular facts, attributes (`PROFILES`); their values are added to the
  report's description so staff read them where they read the rest.
- Searches: `start_date`/`end_date` at most 90 days apart, the last 90 days by default, at most
  1,000 requests per answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from core.errors import ValidationFailed
from core.kit.bureau_time import BureauTime
from core.kit.language import pick

from .deadlines import due_at
from .workflow import OPEN_STATUSES, Status

OPEN = "open"
CLOSED = "closed"
WINDOW_DAYS = 90  # GeoReport v2: a search spans at most 90 days, the last 90 by default
MAX_REQUESTS = 1000  # GeoReport v2: at most 1,000 requests per answer
# Event kinds whose public message staff wrote (the reporter writes supplements and reopening requests).
STAFF_REPLY_KINDS = ("status", "reply", "extension", "reopen_declined")


def open311_status(status: str) -> str:
    """`open` or `closed` for a workflow status (a merged duplicate: pass its primary's)."""
    return OPEN if Status(status) in OPEN_STATUSES else CLOSED


def workflow_statuses(open311: str) -> frozenset[str]:
    """The workflow statuses an Open311 status stands for (merged duplicates are never listed)."""
    if open311 == OPEN:
        return frozenset(s.value for s in OPEN_STATUSES)
    if open311 == CLOSED:
        return frozenset(s.value for s in Status if s not in OPEN_STATUSES and s is not Status.MERGED)
    raise ValidationFailed(f"未知状态“{open311}”，可用：open、closed", f"Unknown status '{open311}'; use open or closed",
                           code="unknown_status")


def expected_datetime(status: str, acceptance_due_at: datetime, handling_due_at: datetime | None) -> datetime | None:
    """When the bureau owes the next step by law; None once the report is decided."""
    return due_at(status, acceptance_due_at, handling_due_at)


# --- services -------------------------------------------------------------------------------
STRING, NUMBER, TEXT, SINGLE, MULTI = "string", "number", "text", "singlevaluelist", "multivaluelist"
MAX_ATTRIBUTE_CHARS = 200


@dataclass(frozen=True)
class Choice:
    key: str
    zh: str
    en: str


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    zh: str  # the question, as staff and the client's users read it
    en: str
    required: bool = False
    choices: tuple[Choice, ...] = ()
    max_number: int = 100_000

    def label(self, lang: str) -> str:
        return pick(lang, self.zh, self.en)


@dataclass(frozen=True)
class ServiceProfile:
    group: tuple[str, str]  # (zh, en)
    keywords_zh: tuple[str, ...] = ()
    keywords_en: tuple[str, ...] = ()
    attributes: tuple[Attribute, ...] = field(default_factory=tuple)

    def keywords(self, lang: str) -> str:
        """GeoReport's comma-separated keywords."""
        return ", ".join(self.keywords_en if lang == "en" else self.keywords_zh)


_SITE = ("工地环境", "Site environment")
_SAFETY = ("安全与质量", "Safety and quality")
_LABOUR = ("劳动保障", "Labour protection")
_BUILDING = ("违法建设", "Illegal construction")
_OTHER = ("其他", "Other")
_YES_NO = (Choice("yes", "是", "Yes"), Choice("no", "否", "No"))

PROFILES: dict[str, ServiceProfile] = {
    "unpaid_wages": ServiceProfile(_LABOUR, ("欠薪", "工资", "农民工", "讨薪"), ("wages", "unpaid", "migrant workers"), (
        Attribute("workers_affected", NUMBER, "被拖欠工资的人数", "How many workers are owed wages?", required=True),
        Attribute("months_owed", NUMBER, "拖欠了几个月", "For how many months?", max_number=240),
        Attribute("employer", STRING, "用工单位或包工头", "Employer or labour contractor"),
    )),
    "dust": ServiceProfile(_SITE, ("扬尘", "灰尘", "洒水", "覆盖"), ("dust", "spraying", "uncovered soil"), (
        Attribute("dust_source", MULTI, "扬尘来自哪里", "Where does the dust come from?", choices=(
            Choice("earthworks", "土方作业", "Earthworks"), Choice("uncovered", "裸土未覆盖", "Uncovered soil"),
            Choice("trucks", "车辆带泥上路", "Trucks carrying mud onto roads"),
            Choice("demolition", "拆除作业", "Demolition"), Choice("other", "其他", "Other"))),
    )),
    "night_noise": ServiceProfile(_SITE, ("噪声", "夜间施工", "扰民"), ("noise", "night work"), (
        Attribute("happening_now", SINGLE, "现在是否正在施工", "Is the work going on right now?", required=True,
                  choices=_YES_NO),
        Attribute("noise_source", SINGLE, "噪声来源", "What makes the noise?", choices=(
            Choice("piling", "打桩", "Piling"), Choice("concrete", "混凝土浇筑/泵车", "Concrete pouring / pumps"),
            Choice("machinery", "机械作业", "Machinery"), Choice("trucks", "运输车辆", "Trucks"),
            Choice("other", "其他", "Other"))),
    )),
    "safety_hazard": ServiceProfile(_SAFETY, ("安全隐患", "安全网", "脚手架", "塔吊"),
                                    ("safety", "scaffolding", "crane", "safety nets"), (
        Attribute("hazard_kind", MULTI, "隐患类型", "What kind of hazard?", required=True, choices=(
            Choice("no_nets", "未设安全网", "No safety nets"), Choice("scaffolding", "脚手架不牢", "Unsafe scaffolding"),
            Choice("edges", "临边洞口无防护", "Unprotected edges or openings"),
            Choice("crane", "塔吊/起重机械", "Cranes and lifting equipment"),
            Choice("electrical", "临时用电", "Temporary electrics"), Choice("other", "其他", "Other"))),
        Attribute("immediate_danger", SINGLE, "是否有人员面临立即危险", "Is anyone in immediate danger?",
                  required=True, choices=_YES_NO),
    )),
    "unpermitted": ServiceProfile(_BUILDING, ("无证施工", "违建", "施工许可"), ("no permit", "illegal building")),
    "quality": ServiceProfile(_SAFETY, ("质量", "裂缝", "渗漏"), ("quality", "cracks", "leaks")),
    "waste": ServiceProfile(_SITE, ("建筑垃圾", "渣土", "乱倒"), ("construction waste", "spoil", "dumping")),
}
DEFAULT_PROFILE = ServiceProfile(_OTHER)


def profile(code: str) -> ServiceProfile:
    """A category's Open311 profile; categories staff added later get the default one."""
    return PROFILES.get(code, DEFAULT_PROFILE)


def _bad(zh: str, en: str) -> ValidationFailed:
    return ValidationFailed(zh, en, code="invalid_attribute")


def _one_value(attribute: Attribute, raw: str) -> str:
    value = raw.strip()
    if attribute.datatype == NUMBER:
        if not re.fullmatch(r"\d{1,9}", value) or int(value) > attribute.max_number:
            raise _bad(f"attribute[{attribute.code}]（{attribute.zh}）须为 0 至 {attribute.max_number} 的整数",
                       f"attribute[{attribute.code}] ({attribute.en}) must be a whole number from 0 to "
                       f"{attribute.max_number}")
        return str(int(value))
    if attribute.choices:
        keys = [c.key for c in attribute.choices]
        if value not in keys:
            raise _bad(f"attribute[{attribute.code}] 的取值须为：{'、'.join(keys)}",
                       f"attribute[{attribute.code}] must be one of: {', '.join(keys)}")
        return value
    if len(value) > MAX_ATTRIBUTE_CHARS:
        raise _bad(f"attribute[{attribute.code}] 不能超过 {MAX_ATTRIBUTE_CHARS} 个字符",
                   f"attribute[{attribute.code}] must be at most {MAX_ATTRIBUTE_CHARS} characters")
    return value


def read_attributes(service: ServiceProfile, given: Mapping[str, Sequence[str]]) -> list[tuple[Attribute, list[str]]]:
    """The submitted `attribute[code]` values, checked against the service's definition: unknown
    codes, missing required ones, values outside a list, a second value for a single one refused."""
    known = {a.code: a for a in service.attributes}
    unknown = sorted(set(given) - set(known))
    if unknown:
        names = ", ".join(unknown)
        raise _bad(f"该类别没有这些属性：{names}", f"This service has no attribute(s): {names}")
    out: list[tuple[Attribute, list[str]]] = []
    for attribute in service.attributes:
        values = [v for v in given.get(attribute.code, ()) if v.strip()]
        if not values:
            if attribute.required:
                raise _bad(f"请填写 attribute[{attribute.code}]（{attribute.zh}）",
                           f"attribute[{attribute.code}] ({attribute.en}) is required")
            continue
        if len(values) > 1 and attribute.datatype != MULTI:
            raise _bad(f"attribute[{attribute.code}] 只能有一个值", f"attribute[{attribute.code}] takes one value")
        out.append((attribute, list(dict.fromkeys(_one_value(attribute, v) for v in values))))
    return out


def attributes_text(answers: Sequence[tuple[Attribute, Sequence[str]]]) -> str:
    """The answers as lines staff read with the description (in Chinese, the console's language)."""
    lines = []
    for attribute, values in answers:
        names = {c.key: c.zh for c in attribute.choices}
        lines.append(f"{attribute.zh}：{'、'.join(names.get(v, v) for v in values)}")
    return "\n".join(lines)


def contact_name(first: str | None, last: str | None) -> str | None:
    """One name from GeoReport's two: 张 + 三 -> 张三 (family name first, no space, for Chinese
    names); Jane + Doe -> Jane Doe."""
    first, last = (first or "").strip(), (last or "").strip()
    if not first or not last:
        return first or last or None
    if re.search(r"[\u4e00-\u9fff]", first + last):
        return last + first
    return f"{first} {last}"


# --- searches -------------------------------------------------------------------------------
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_time(text: str, bureau: BureauTime, name: str, end: bool = False) -> datetime:
    """A W3C date-time (2026-03-01T00:00:00Z, 2026-03-01T08:00:00+08:00) or a date (a bureau-time
    day: from its start, or for an end, through its end). Naive times are bureau time."""
    value = text.strip()
    try:
        if _DATE.match(value):
            day = date.fromisoformat(value)
            # An end date includes its whole day: up to the last moment before the next one.
            return bureau.day_start(day + timedelta(days=1)) - timedelta(microseconds=1) if end else bureau.day_start(day)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValidationFailed(f"{name} 不是有效的日期时间（例如 2026-03-01T00:00:00+08:00）",
                               f"{name} is not a valid date-time (e.g. 2026-03-01T00:00:00Z)", code="bad_date") from None
    return bureau.read_local(parsed)


def search_window(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """GeoReport's window: given bounds kept (at most 90 days apart), a missing one 90 days from
    the other, neither: the last 90 days."""
    span = timedelta(days=WINDOW_DAYS)
    if start is None and end is None:
        return now - span, now
    if start is None:
        assert end is not None
        return end - span, end
    if end is None:
        return start, start + span
    if end < start:
        raise ValidationFailed("end_date 不能早于 start_date", "end_date is before start_date", code="bad_date")
    if end - start > span + timedelta(days=1):  # a date-only end_date includes its whole day
        raise ValidationFailed(f"start_date 与 end_date 相隔不能超过 {WINDOW_DAYS} 天",
                               f"start_date and end_date may be at most {WINDOW_DAYS} days apart", code="bad_date")
    return start, end
